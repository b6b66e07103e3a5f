// Issue 25: the Llama family (Llama 3 / Llama 2 / Qwen2 / Mistral layouts) against the independent
// double-precision reference (llama_reference.cpp) on tiny random checkpoints: every layer's Q and K
// after RoPE, V, the probabilities, the final hidden state and the next-token losses; what the info
// says (KV heads, head_dim, RoPE, tying, window); what it refuses by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "attnscope/error.h"
#include "attnscope/models/forward.h"
#include "llama_reference.h"
#include "matrix_compare.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {


std::vector<int> someIds(int n, int vocab, int seed) {
  std::vector<int> ids;
  for (int i = 0; i < n; ++i) ids.push_back((i * 7 + seed * 13 + i * i) % vocab);
  return ids;
}

std::string written(const TinyModel& m, int shards = 0) {
  const std::string dir = makeTempDir("llama");
  std::ofstream(dir + "/config.json") << m.config;
  if (shards > 0)
    writeSharded(dir, m.tensors, shards);
  else
    writeCheckpoint(dir, m);
  return dir;
}

/// Runs `spec` on N tokens and checks everything against the reference.
void expectMatchesReference(const LlamaSpec& spec, int n, const std::string& what, int shards = 0) {
  const TinyModel model = tinyLlama(spec);
  const Checkpoint c = Checkpoint::open(written(model, shards));
  const ModelRunner runner(c);
  const std::vector<int> ids = someIds(n, spec.vocab, n);
  ForwardOptions o;
  for (int l = 0; l < spec.layers; ++l) o.probabilityLayers.push_back(l);
  const ForwardResult got = runner.run(ModelInput{ids, {}}, o);
  const LlamaRef want = referenceLlama(model, spec, ids);
  ASSERT_EQ(got.layers.size(), want.forward.layers.size()) << what;
  EXPECT_TRUE(got.causal);
  for (std::size_t l = 0; l < got.layers.size(); ++l) {
    const LayerAttention& a = got.layers[l];
    const RefLayer& r = want.forward.layers[l];
    ASSERT_EQ(a.qkv.numHeads(), spec.heads) << what;
    EXPECT_EQ(a.qkv.numKvHeads(), spec.kvHeads) << what;  // K and V kept per KV head, not copied
    for (int j = 0; j < spec.heads; ++j) {
      const std::string at = what + " N=" + std::to_string(n) + " layer " + std::to_string(l) + " head " + std::to_string(j);
      const auto h = static_cast<std::size_t>(j), g = static_cast<std::size_t>(a.qkv.kvHead(j));
      EXPECT_EQ(a.qkv.kvHead(j), j / (spec.heads / spec.kvHeads)) << at;
      EXPECT_LT(relativeError(a.qkv.q[h], r.q[h]), 1e-4) << at << " Q after RoPE";
      EXPECT_LT(relativeError(a.qkv.k[g], r.k[h]), 1e-4) << at << " K after RoPE";
      EXPECT_LT(relativeError(a.qkv.v[g], r.v[h]), 1e-4) << at << " V";
      EXPECT_LT(relativeError(a.probabilities[h], r.probabilities[h]), 1e-4) << at << " P";
    }
  }
  EXPECT_LT(relativeError(got.finalHidden, want.forward.finalHidden), 1e-4) << what << " final hidden";
  const std::vector<double> losses = runner.tokenLosses(got, ids);
  ASSERT_EQ(losses.size(), want.losses.size()) << what;
  for (std::size_t i = 0; i < losses.size(); ++i)
    EXPECT_NEAR(losses[i], want.losses[i], 1e-4 * std::max(1.0, std::abs(want.losses[i]))) << what << " loss " << i;
}

TEST(LlamaFamily, Llama3StyleGqaFourToOneLlama3ScalingTiedBf16) {
  for (int n : {1, 7, 13}) expectMatchesReference(llama3Spec(), n, "llama3");
}

TEST(LlamaFamily, Llama2StyleUntiedLmHead) {
  for (int n : {2, 9}) expectMatchesReference(llama2Spec(), n, "llama2");
}

TEST(LlamaFamily, Qwen2StyleBiasesAndOwnHeadDimShardedOnce) {
  for (int n : {5, 11}) expectMatchesReference(qwen2Spec(), n, "qwen2", 3);
}

TEST(LlamaFamily, MistralSlidingWindowMasksOldKeys) {
  expectMatchesReference(mistralSpec(), 9, "mistral");
  // And the window really is applied: query 8 gives keys 0 … 5 nothing.
  const LlamaSpec spec = mistralSpec();
  const Checkpoint c = Checkpoint::open(written(tinyLlama(spec)));
  ForwardOptions o;
  o.probabilityLayers = {0};
  const ForwardResult r = ModelRunner(c).run(ModelInput{someIds(9, spec.vocab, 1), {}}, o);
  EXPECT_EQ(r.slidingWindow, 3);
  const MatrixF& p = r.layer(0).probabilities[0];
  EXPECT_EQ(p.row(8).head(6).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_NEAR(p.row(8).tail(3).sum(), 1.0f, 1e-5f);
}

TEST(LlamaFamily, InfoSaysGroupsHeadDimRopeAndTying) {
  const Checkpoint l3 = Checkpoint::open(written(tinyLlama(llama3Spec())));
  const ModelInfo& m = l3.info();
  EXPECT_EQ(m.family, Family::Llama);
  EXPECT_EQ(m.detectedFrom, "config.json model_type");
  EXPECT_EQ(m.prefix, "model.");
  EXPECT_EQ(m.heads, 4);
  EXPECT_EQ(m.keyValueHeads(), 1);
  EXPECT_EQ(m.dHead, 8);
  EXPECT_TRUE(m.tiedEmbeddings);
  EXPECT_EQ(m.rope.scaling, "llama3");
  EXPECT_NE(m.rope.describe().find("llama3 scaling (factor 4"), std::string::npos) << m.rope.describe();
  EXPECT_EQ(m.dtypes, std::vector<std::string>{"BF16"});

  const Checkpoint q = Checkpoint::open(written(tinyLlama(qwen2Spec())));
  EXPECT_EQ(q.info().architecture, "qwen2");
  EXPECT_EQ(q.info().dHead, 8);
  EXPECT_EQ(q.info().dModel, 24);
  EXPECT_FALSE(q.info().tiedEmbeddings);
  EXPECT_EQ(q.info().slidingWindow, 0);  // use_sliding_window false

  // Without config.json the tensor names say Llama (heads then fall back to d_model / 64: given here).
  const std::string dir = makeTempDir("llama-noconfig");
  writeCheckpoint(dir, tinyLlama(llama2Spec()), false);
  OpenOptions o;
  o.heads = 4;
  const Checkpoint named = Checkpoint::open(dir, o);
  EXPECT_EQ(named.info().family, Family::Llama);
  EXPECT_EQ(named.info().detectedFrom, "tensor names");
  EXPECT_FALSE(named.info().tiedEmbeddings);  // lm_head.weight is there
}

TEST(LlamaFamily, RopeFrequenciesFollowLlama3Scaling) {
  RopeSpec r;
  r.theta = 10000;
  const std::vector<double> plain = r.inverseFrequencies(8);
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_DOUBLE_EQ(plain[0], 1.0);
  EXPECT_NEAR(plain[1], 0.1, 1e-15);
  r.scaling = "llama3";
  r.factor = 4;
  r.lowFreqFactor = 1;
  r.highFreqFactor = 4;
  r.originalPositions = 64;
  const std::vector<double> s = r.inverseFrequencies(8);
  EXPECT_DOUBLE_EQ(s[0], plain[0]);          // wavelength 6.3 < 16: kept
  EXPECT_DOUBLE_EQ(s[2], plain[2] / 4);      // wavelength 628 > 64: slowed by the factor
  EXPECT_GT(s[1], plain[1] / 4);             // wavelength 63: between, smoothed
  EXPECT_LT(s[1], plain[1]);
}

/// A config edited by `edit`, opened: the FileError's message.
std::string refusal(const LlamaSpec& spec, const std::string& from, const std::string& to) {
  TinyModel m = tinyLlama(spec);
  const std::size_t at = m.config.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) m.config.replace(at, from.size(), to);
  try {
    Checkpoint::open(written(m));
  } catch (const FileError& e) {
    return e.what();
  }
  return "(opened)";
}

TEST(LlamaFamily, RefusesWhatItDoesNotImplementByName) {
  EXPECT_NE(refusal(llama3Spec(), "\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"").find("\"yarn\" is not supported"),
            std::string::npos);
  EXPECT_NE(refusal(llama2Spec(), "\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"").find("hidden_act \"gelu\""),
            std::string::npos);
  EXPECT_NE(refusal(llama3Spec(), "\"num_key_value_heads\": 1", "\"num_key_value_heads\": 3").find("not a multiple"),
            std::string::npos);
  EXPECT_NE(refusal(qwen2Spec(), "\"use_sliding_window\": false", "\"use_sliding_window\": true").find("use_sliding_window"),
            std::string::npos);
  // tie_word_embeddings false without lm_head.weight.
  EXPECT_NE(refusal(llama3Spec(), "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false").find("lm_head.weight"),
            std::string::npos);
  // K projection rows that do not fit the config's KV heads name the tensor.
  EXPECT_NE(refusal(llama2Spec(), "\"num_key_value_heads\": 4", "\"num_key_value_heads\": 2").find("k_proj.weight"),
            std::string::npos);
}

// Issue 25 #5: low-rank K/V. Rank r against the reference (JacobiSVD of [K/α | V], RoPE after).
TEST(LlamaLowRankKv, RankRMatchesTheReferenceAndFullRankIsExact) {
  for (const LlamaSpec& spec : {llama3Spec(), qwen2Spec()}) {
    const TinyModel model = tinyLlama(spec);
    const Checkpoint c = Checkpoint::open(written(model));
    const ModelRunner runner(c);
    const std::vector<int> ids = someIds(11, spec.vocab, 3);
    ForwardOptions o;
    o.probabilityLayers = {0, 1};
    const ForwardResult plain = runner.run(ModelInput{ids, {}}, o);
    const int full = std::min(11, 2 * spec.kvHeads * spec.headDim);
    for (int r : {1, 3, full - 1}) {
      ForwardOptions lr = o;
      lr.kvRank = r;
      const ForwardResult got = runner.run(ModelInput{ids, {}}, lr);
      const LlamaRef want = referenceLlama(model, spec, ids, r);
      for (std::size_t l = 0; l < 2; ++l) {
        const LayerAttention& a = got.layers[l];
        EXPECT_EQ(a.kvRank, r);
        ASSERT_EQ(a.kvSpectrum.singularValues.size(), static_cast<std::size_t>(full));
        for (int j = 0; j < spec.heads; ++j) {
          const auto h = static_cast<std::size_t>(j), g = static_cast<std::size_t>(a.qkv.kvHead(j));
          const std::string at = spec.modelType + " r=" + std::to_string(r) + " layer " + std::to_string(l);
          EXPECT_LT(relativeError(a.qkv.k[g], want.forward.layers[l].k[h]), 1e-4) << at << " K";
          EXPECT_LT(relativeError(a.qkv.v[g], want.forward.layers[l].v[h]), 1e-4) << at << " V";
          EXPECT_LT(relativeError(a.probabilities[h], want.forward.layers[l].probabilities[h]), 1e-4) << at << " P";
        }
      }
      const std::vector<double> losses = runner.tokenLosses(got, ids);
      for (std::size_t i = 0; i < losses.size(); ++i) EXPECT_NEAR(losses[i], want.losses[i], 1e-4) << r;
    }
    // Full rank (and beyond) is the model exactly: the same floats.
    for (int r : {full, full + 5}) {
      ForwardOptions lr = o;
      lr.kvRank = r;
      const ForwardResult same = runner.run(ModelInput{ids, {}}, lr);
      for (std::size_t l = 0; l < 2; ++l)
        for (int j = 0; j < spec.heads; ++j) {
          const auto h = static_cast<std::size_t>(j);
          EXPECT_EQ(same.layers[l].probabilities[h], plain.layers[l].probabilities[h]) << r;
        }
      EXPECT_EQ(same.finalHidden, plain.finalHidden) << r;
    }
  }
}

TEST(LlamaLowRankKv, ErrorFallsWithTheRankAndOneLayerCanBeChosen) {
  const LlamaSpec spec = llama2Spec();  // 4 KV heads of 8: X is N × 64
  const Checkpoint c = Checkpoint::open(written(tinyLlama(spec)));
  const ModelRunner runner(c);
  const std::vector<int> ids = someIds(24, spec.vocab, 5);
  ForwardOptions o;
  o.probabilityLayers = {1};
  const ForwardResult plain = runner.run(ModelInput{ids, {}}, o);
  auto mean = [](const std::vector<double>& v) { double s = 0; for (double x : v) s += x; return s / v.size(); };
  const double nll = mean(runner.tokenLosses(plain, ids));
  double lastError = 1e300;
  for (int r : {1, 2, 4, 8, 16, 24}) {
    ForwardOptions lr = o;
    lr.kvRank = r;
    lr.kvRankLayers = {1};  // one layer: layer 0 keeps its own K/V
    const ForwardResult got = runner.run(ModelInput{ids, {}}, lr);
    EXPECT_EQ(got.layer(0).kvRank, 0);
    EXPECT_TRUE(got.layer(0).kvSpectrum.empty());
    EXPECT_EQ(got.layer(1).kvRank, r);
    EXPECT_EQ(got.layer(0).qkv.k[0], plain.layer(0).qkv.k[0]);
    double err = 0;
    for (int g = 0; g < 4; ++g) err += (got.layer(1).qkv.k[g] - plain.layer(1).qkv.k[g]).squaredNorm() +
                                       (got.layer(1).qkv.v[g] - plain.layer(1).qkv.v[g]).squaredNorm();
    EXPECT_LE(err, lastError * (1 + 1e-6) + 1e-12) << "rank " << r;
    lastError = err;
    if (r == 24) {
      EXPECT_LT(err, 1e-8);  // N = 24 ≤ 64 columns: rank 24 is the whole latent
      EXPECT_NEAR(mean(runner.tokenLosses(got, ids)), nll, 1e-5);
    }
  }
  // The spectrum on request, and the energy ranks.
  ForwardOptions s;
  s.kvSpectra = true;
  const ForwardResult withSpectra = runner.run(ModelInput{ids, {}}, s);
  const KvSpectrum& sp = withSpectra.layer(0).kvSpectrum;
  ASSERT_EQ(sp.singularValues.size(), 24u);
  EXPECT_GT(sp.alpha, 0);
  for (std::size_t i = 1; i < sp.singularValues.size(); ++i) EXPECT_LE(sp.singularValues[i], sp.singularValues[i - 1] * (1 + 1e-12));
  const int r90 = energyRank(sp.singularValues, 0.90), r99 = energyRank(sp.singularValues, 0.99);
  EXPECT_GE(r90, 1);
  EXPECT_LE(r90, r99);
  EXPECT_LE(r99, 24);
  EXPECT_EQ(energyRank({4, 3}, 0.64), 1);  // 16 of 25 = 64 %
  EXPECT_EQ(energyRank({4, 3}, 0.65), 2);
  EXPECT_EQ(energyRank({0, 0}, 0.9), 0);
  EXPECT_THROW(runner.run(ModelInput{ids, {}}, [] { ForwardOptions b; b.kvRank = 2; b.kvRankLayers = {7}; return b; }()),
               InvalidArgument);
}

// bf16 weights streamed (converted per product, never all at once) give the same numbers as the
// converted copy, and the copy is not made.
TEST(LlamaFamily, StreamedBf16WeightsEqualConvertedOnes) {
  for (LlamaSpec spec : {llama3Spec(), [] { LlamaSpec s = llama2Spec(); s.dtype = "F16"; return s; }()}) {
    const TinyModel model = tinyLlama(spec);
    const Checkpoint c = Checkpoint::open(written(model));
    const ModelRunner converted(c), streamed(c, 0);
    EXPECT_FALSE(converted.streamsWeights());
    EXPECT_TRUE(streamed.streamsWeights());
    EXPECT_LT(streamed.convertedBytes(), converted.convertedBytes() / 10) << "only norms stay converted";
    const std::vector<int> ids = someIds(9, spec.vocab, 4);
    ForwardOptions o;
    o.probabilityLayers = {1};
    const ForwardResult a = converted.run(ModelInput{ids, {}}, o), b = streamed.run(ModelInput{ids, {}}, o);
    EXPECT_EQ(a.finalHidden, b.finalHidden);
    EXPECT_EQ(a.layer(1).probabilities[0], b.layer(1).probabilities[0]);
    EXPECT_EQ(converted.tokenLosses(a, ids), streamed.tokenLosses(b, ids));
    const LlamaRef want = referenceLlama(model, spec, ids);
    EXPECT_LT(relativeError(b.finalHidden, want.forward.finalHidden), 1e-4);
  }
}

// Issue 26 #2 (core): a layer's attention replaced by causal linear attention (the hook here is a
// plain float implementation), later layers on the changed stream; the next-token comparison of the
// two forwards (NLL, argmax, KL) against the reference's logits.
TEST(LlamaReplacement, ReplacedLayersAndTheNextTokenComparisonMatchTheReference) {
  const LlamaSpec spec = llama3Spec();
  const TinyModel model = tinyLlama(spec);
  const Checkpoint c = Checkpoint::open(written(model));
  const ModelRunner runner(c);
  const std::vector<int> ids = someIds(12, spec.vocab, 6);
  const AttentionReplacement linear = [](int, const Qkv& qkv) {
    std::vector<MatrixF> out;
    for (int h = 0; h < qkv.numHeads(); ++h) {
      const MatrixF q = (qkv.q[static_cast<std::size_t>(h)].array().max(0.0f) + 1e-6f).matrix();
      const MatrixF k = (qkv.k[static_cast<std::size_t>(qkv.kvHead(h))].array().max(0.0f) + 1e-6f).matrix();
      MatrixF a = q * k.transpose();
      for (Eigen::Index i = 0; i < a.rows(); ++i) {
        a.row(i).tail(a.cols() - i - 1).setZero();
        a.row(i) /= a.row(i).sum();
      }
      out.push_back(a * qkv.v[static_cast<std::size_t>(qkv.kvHead(h))]);
    }
    return out;
  };
  const ForwardResult plain = runner.run(ModelInput{ids, {}});
  // No layer replaced: the same floats as a plain forward.
  ForwardOptions none;
  none.replacement = linear;
  EXPECT_EQ(runner.run(ModelInput{ids, {}}, none).finalHidden, plain.finalHidden);
  for (const std::vector<int>& layers : {std::vector<int>{1}, std::vector<int>{0, 1}}) {
    ForwardOptions o;
    o.replaceLayers = layers;
    o.replacement = linear;
    const ForwardResult got = runner.run(ModelInput{ids, {}}, o);
    const LlamaRef want = referenceLlama(model, spec, ids, 0, layers), base = referenceLlama(model, spec, ids);
    EXPECT_LT(relativeError(got.finalHidden, want.forward.finalHidden), 1e-4) << layers.size();
    const NextTokenComparison cmp = runner.compareNextTokens(plain, got, ids);
    ASSERT_EQ(cmp.nll.size(), ids.size() - 1);
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      EXPECT_NEAR(cmp.nll[i], want.losses[i], 1e-4) << i;
      EXPECT_NEAR(cmp.nllReference[i], base.losses[i], 1e-4) << i;
      // KL(p_base ‖ p_replaced) and the argmaxes from the reference's logits.
      const std::vector<double>& la = base.logits[i];
      const std::vector<double>& lb = want.logits[i];
      const double ma = *std::max_element(la.begin(), la.end()), mb = *std::max_element(lb.begin(), lb.end());
      double za = 0, zb = 0;
      for (std::size_t v = 0; v < la.size(); ++v) {
        za += std::exp(la[v] - ma);
        zb += std::exp(lb[v] - mb);
      }
      double kl = 0;
      for (std::size_t v = 0; v < la.size(); ++v) {
        const double pa = std::exp(la[v] - ma) / za;
        kl += pa * ((la[v] - ma - std::log(za)) - (lb[v] - mb - std::log(zb)));
      }
      EXPECT_NEAR(cmp.kl[i], kl, 1e-4 * std::max(1.0, kl)) << i;
      EXPECT_EQ(cmp.argmaxReference[i], std::max_element(la.begin(), la.end()) - la.begin()) << i;
      EXPECT_EQ(cmp.argmax[i], std::max_element(lb.begin(), lb.end()) - lb.begin()) << i;
    }
  }
  // Resuming from the plain forward's residual stream (only layers from the first replaced one run
  // again) gives the same floats as the full hybrid forward; nothing replaced: the plain forward's.
  ForwardOptions keep;
  keep.keepResidual = true;
  const ForwardResult kept = runner.run(ModelInput{ids, {}}, keep);
  ASSERT_EQ(kept.residual.size(), static_cast<std::size_t>(spec.layers) + 1);
  EXPECT_EQ(kept.finalHidden, plain.finalHidden);
  for (const std::vector<int>& layers : {std::vector<int>{}, std::vector<int>{1}, std::vector<int>{0, 1}}) {
    ForwardOptions full, resumed;
    full.replaceLayers = resumed.replaceLayers = layers;
    full.replacement = resumed.replacement = linear;
    resumed.resumeFrom = &kept;
    int calls = 0;
    resumed.replacement = [&](int l, const Qkv& qkv) {
      ++calls;
      return linear(l, qkv);
    };
    const ForwardResult a = runner.run(ModelInput{ids, {}}, full), b = runner.run(ModelInput{ids, {}}, resumed);
    EXPECT_EQ(b.finalHidden, a.finalHidden) << layers.size();
    EXPECT_EQ(calls, static_cast<int>(layers.size()));
    // Layers before the first replaced one are not run again: none of their Q/K/V is in the result.
    const int first = layers.empty() ? spec.layers : layers[0];
    for (const LayerAttention& la : b.layers) EXPECT_GE(la.layer, first);
  }
  ForwardOptions noResidual;
  noResidual.resumeFrom = &plain;
  EXPECT_THROW(runner.run(ModelInput{ids, {}}, noResidual), InvalidArgument);

  // A replacement that gives the wrong shapes is refused by name.
  ForwardOptions bad;
  bad.replaceLayers = {0};
  bad.replacement = [](int, const Qkv&) { return std::vector<MatrixF>(1, MatrixF(2, 2)); };
  EXPECT_THROW(runner.run(ModelInput{ids, {}}, bad), InvalidArgument);
}

TEST(LlamaFamily, LossRefusesMismatchedIds) {
  const Checkpoint c = Checkpoint::open(written(tinyLlama(llama2Spec())));
  const ModelRunner runner(c);
  const ForwardResult r = runner.run(ModelInput{someIds(5, 40, 2), {}});
  EXPECT_THROW(runner.tokenLosses(r, someIds(4, 40, 2)), InvalidArgument);
  EXPECT_EQ(runner.tokenLosses(r, someIds(5, 40, 2)).size(), 4u);
}

}  // namespace
