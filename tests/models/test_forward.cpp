// The native forward of every family against the independent double-precision reference
// (forward_reference.cpp) on tiny random checkpoints in the real layouts, dtypes F32, F16 and BF16,
// one file and sharded; what it keeps, what it refuses.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/error.h"
#include "attnscope/models/forward.h"
#include "attnscope/models/position_resample.h"
#include "forward_reference.h"
#include "matrix_compare.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {


/// Every kept layer's Q, K, V, probabilities and the final hidden state within 1e-4 of the reference.
void expectMatches(const ForwardResult& got, const RefForward& want, const std::string& what) {
  ASSERT_EQ(got.layers.size(), want.layers.size()) << what;
  for (std::size_t l = 0; l < want.layers.size(); ++l) {
    const LayerAttention& a = got.layers[l];
    const RefLayer& r = want.layers[l];
    ASSERT_EQ(a.qkv.numHeads(), static_cast<int>(r.q.size())) << what;
    for (std::size_t h = 0; h < r.q.size(); ++h) {
      const std::string at = what + " layer " + std::to_string(l) + " head " + std::to_string(h);
      EXPECT_LT(relativeError(a.qkv.q[h], r.q[h]), 1e-4) << at << " Q";
      EXPECT_LT(relativeError(a.qkv.k[h], r.k[h]), 1e-4) << at << " K";
      EXPECT_LT(relativeError(a.qkv.v[h], r.v[h]), 1e-4) << at << " V";
      if (!a.probabilities.empty()) {
        EXPECT_LT(relativeError(a.probabilities[h], r.probabilities[h]), 1e-4) << at << " P";
      }
    }
  }
  EXPECT_LT(relativeError(got.finalHidden, want.finalHidden), 1e-4) << what << " final hidden";
}

std::vector<WTensor> asDtype(std::vector<WTensor> t, const std::string& dtype) {
  for (WTensor& w : t)
    if (w.raw.empty()) w.dtype = dtype;
  return t;
}

std::string written(const TinyModel& m, const std::string& dtype = "F32") {
  const std::string dir = makeTempDir("fwd");
  writeCheckpoint(dir, TinyModel{asDtype(m.tensors, dtype), m.config});
  return dir;
}

ForwardOptions allProbabilities(int layers) {
  ForwardOptions o;
  for (int l = 0; l < layers; ++l) o.probabilityLayers.push_back(l);
  return o;
}

/// A deterministic CHW image in roughly the normalised range.
PixelInput image(int height, int width, std::uint64_t seed) {
  PixelInput px;
  px.height = height;
  px.width = width;
  const std::vector<double> v = randomValues(static_cast<std::size_t>(3) * height * width, seed);
  for (double x : v) px.chw.push_back(static_cast<float>(2 * x));
  return px;
}

std::vector<double> asDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(Forward, Gpt2MatchesTheReference) {
  for (const char* dtype : {"F32", "F16", "BF16"})
    for (const std::string prefix : {"", "transformer."}) {
      const TinyModel m = tinyGpt2(prefix);
      const ModelRunner runner(Checkpoint::open(written(m, dtype)));
      RefConfig c;
      c.prefix = prefix;
      for (const std::vector<int>& ids : {std::vector<int>{3, 0, 10, 5, 5, 1, 7}, std::vector<int>{4, 2, 9}, std::vector<int>{6}}) {
        ModelInput in;
        in.ids = ids;
        const ForwardResult r = runner.run(in, allProbabilities(2));
        EXPECT_TRUE(r.causal);
        EXPECT_EQ(r.tokens, static_cast<int>(ids.size()));
        expectMatches(r, referenceGpt2(asDtype(m.tensors, dtype), c, ids),
                      std::string("gpt2 ") + dtype + " '" + prefix + "' N=" + std::to_string(ids.size()));
      }
    }
}

TEST(Forward, ShardedGpt2EqualsOneFile) {
  const TinyModel m = tinyGpt2();
  const std::string dir = makeTempDir("fwd-shards");
  writeBytes(dir + "/config.json", m.config);
  writeSharded(dir, m.tensors, 3);
  ModelInput in;
  in.ids = {1, 2, 3, 4};
  const ForwardResult r = ModelRunner(Checkpoint::open(dir)).run(in, allProbabilities(2));
  expectMatches(r, referenceGpt2(m.tensors, RefConfig{}, in.ids), "sharded gpt2");
}

TEST(Forward, ImageFamiliesMatchTheReference) {
  struct Case {
    std::string name;
    TinyModel model;
    RefConfig config;
  };
  std::vector<Case> cases;
  {
    RefConfig c;
    c.family = RefFamily::HfVit;
    c.eps = 1e-12;
    cases.push_back({"hf vit", tinyHfVit(), c});
    c.prefix = "vit.";
    cases.push_back({"hf vit (vit.)", tinyHfVit("vit."), c});
  }
  {
    RefConfig c;
    c.family = RefFamily::TimmVit;
    c.eps = 1e-6;
    cases.push_back({"timm vit", tinyTimmVit(), c});
  }
  for (int reg : {0, 2}) {
    RefConfig c;
    c.family = RefFamily::Dinov2;
    c.eps = 1e-6;
    c.registers = reg;
    cases.push_back({"dinov2 registers=" + std::to_string(reg), tinyDinov2(reg), c});
  }
  for (const Case& k : cases)
    for (const char* dtype : {"F32", "F16", "BF16"}) {
      const ModelRunner runner(Checkpoint::open(written(k.model, dtype)));
      const PixelInput px = image(8, 8, 77);
      ModelInput in;
      in.pixels = px;
      const ForwardResult r = runner.run(in, allProbabilities(2));
      EXPECT_FALSE(r.causal);
      EXPECT_EQ(r.tokens, 1 + k.config.registers + 4) << k.name;
      EXPECT_EQ(r.prefixTokens, 1 + k.config.registers) << k.name;
      EXPECT_EQ(r.gridRows, 2);
      EXPECT_EQ(r.gridCols, 2);
      expectMatches(r, referenceVit(asDtype(k.model.tensors, dtype), k.config, asDouble(px.chw), 8, 8),
                    k.name + " " + dtype);
    }
}

TEST(Forward, OtherGridsResamplePositionsAndKeepPrefixTokens) {
  // A 2 × 3 grid (8 × 12 pixels) on checkpoints trained at 2 × 2: the patch positions are the
  // stored grid resampled as each family's reference does (position_resample.h, checked against
  // resample_reference.py); CLS and registers stay in front.
  struct Case {
    std::string name;
    TinyModel model;
    RefConfig config;
    models::Family family;
  };
  RefConfig dino;
  dino.family = RefFamily::Dinov2;
  dino.eps = 1e-6;
  dino.registers = 2;
  RefConfig timm;
  timm.family = RefFamily::TimmVit;
  timm.eps = 1e-6;
  for (const Case& k : {Case{"dinov2 registers=2", tinyDinov2(2), dino, Family::Dinov2},
                        Case{"timm", tinyTimmVit(), timm, Family::TimmVit}}) {
    const ModelRunner runner(Checkpoint::open(written(k.model)));
    ModelInput in;
    in.pixels = image(8, 12, 31);
    const ForwardResult r = runner.run(in, allProbabilities(2));
    EXPECT_EQ(r.gridRows, 2);
    EXPECT_EQ(r.gridCols, 3);
    EXPECT_EQ(r.tokens, 1 + k.config.registers + 6);
    const std::string posName = k.family == Family::TimmVit ? "pos_embed" : "embeddings.position_embeddings";
    const WTensor* pos = nullptr;
    for (const WTensor& t : k.model.tensors)
      if (t.name == posName) pos = &t;
    ASSERT_NE(pos, nullptr);
    MatrixF stored(4, 8);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 8; ++j) stored(i, j) = static_cast<float>(pos->values[(1 + i) * 8 + j]);
    const MatrixF grid = resamplePositionGrid(stored, 2, 2, 2, 3, positionAntialias(k.family));
    Mat gridPositions(6, std::vector<double>(8));
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 8; ++j) gridPositions[i][j] = grid(i, j);
    expectMatches(r, referenceVit(k.model.tensors, k.config, asDouble(in.pixels.chw), 8, 12, gridPositions),
                  k.name + " at 2 x 3");
  }
}

TEST(Forward, Dinov2SwigluMatchesTheReference) {
  TinyModel m = tinyDinov2(0);
  // SwiGLU replaces fc1/fc2: hidden = (int(F·2/3) + 7) / 8 · 8 with F = 4·8 → 24.
  std::vector<WTensor> t;
  std::uint64_t seed = 900;
  for (const WTensor& w : m.tensors)
    if (w.name.find(".mlp.fc") == std::string::npos) t.push_back(w);
  for (int l = 0; l < 2; ++l) {
    const std::string b = "encoder.layer." + std::to_string(l) + ".mlp.";
    t.push_back(randomTensor(b + "weights_in.weight", {48, 8}, seed++));
    t.push_back(randomTensor(b + "weights_in.bias", {48}, seed++));
    t.push_back(randomTensor(b + "weights_out.weight", {8, 24}, seed++));
    t.push_back(randomTensor(b + "weights_out.bias", {8}, seed++));
  }
  m.tensors = t;
  m.config.insert(m.config.size() - 1, ", \"use_swiglu_ffn\": true");
  RefConfig c;
  c.family = RefFamily::Dinov2;
  c.eps = 1e-6;
  c.swiglu = true;
  ModelInput in;
  in.pixels = image(8, 8, 5);
  const ForwardResult r = ModelRunner(Checkpoint::open(written(m))).run(in);
  expectMatches(r, referenceVit(m.tensors, c, asDouble(in.pixels.chw), 8, 8), "dinov2 swiglu");
}

TEST(Forward, KeepsOnlyWhatIsAsked) {
  const ModelRunner runner(Checkpoint::open(written(tinyGpt2())));
  ModelInput in;
  in.ids = {1, 2, 3, 4, 5};
  ForwardOptions o;
  o.keepLayers = {1};
  const ForwardResult r = runner.run(in, o);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].layer, 1);
  EXPECT_TRUE(r.layers[0].probabilities.empty());
  EXPECT_EQ(r.layer(1).qkv.n(), 5);
  EXPECT_EQ(r.layer(1).qkv.dk(), 4);
  EXPECT_THROW(r.layer(0), InvalidArgument);

  o.keepLayers = {0};
  o.probabilityLayers = {0};
  const ForwardResult p = runner.run(in, o);
  ASSERT_EQ(p.layers.size(), 1u);
  ASSERT_EQ(p.layers[0].probabilities.size(), 2u);
  const MatrixF& P = p.layers[0].probabilities[1];
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    EXPECT_NEAR(P.row(i).sum(), 1.0f, 1e-5f);
    for (Eigen::Index j = i + 1; j < P.cols(); ++j) EXPECT_EQ(P(i, j), 0.0f) << "causal";
  }
}

TEST(Forward, Float32WeightsAreMappedOthersConvertedOnce) {
  EXPECT_EQ(ModelRunner(Checkpoint::open(written(tinyHfVit()))).convertedBytes(), 0);
  EXPECT_GT(ModelRunner(Checkpoint::open(written(tinyHfVit(), "BF16"))).convertedBytes(), 0);
}

TEST(Forward, RefusesWhatItCannotRun) {
  const ModelRunner gpt2(Checkpoint::open(written(tinyGpt2())));
  ModelInput in;
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message([&] { gpt2.run(in); }).find("no tokens"), std::string::npos);
  in.ids = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_NE(message([&] { gpt2.run(in); }).find("at most 7"), std::string::npos);
  in.ids = {1, 11};
  EXPECT_NE(message([&] { gpt2.run(in); }).find("outside the vocabulary of 11"), std::string::npos);
  in.ids = {1, 2};
  ForwardOptions o;
  o.keepLayers = {2};
  EXPECT_NE(message([&] { gpt2.run(in, o); }).find("layer 2 does not exist"), std::string::npos);
  o = allProbabilities(2);
  o.probabilityBudgetBytes = 16;
  EXPECT_THROW(gpt2.run(in, o), BudgetExceeded);

  const ModelRunner vit(Checkpoint::open(written(tinyHfVit())));
  ModelInput img;
  img.pixels = image(8, 6, 1);
  EXPECT_NE(message([&] { vit.run(img); }).find("not a multiple of the patch size 4"), std::string::npos);
  img.pixels.chw.pop_back();
  EXPECT_THROW(vit.run(img), InvalidArgument);
}

TEST(Forward, StopsWhenCancelledAndReportsProgress) {
  const ModelRunner runner(Checkpoint::open(written(tinyGpt2())));
  ModelInput in;
  in.ids = {1, 2, 3};
  std::vector<double> seen;
  JobControl job;
  job.progress = [&](double f) { seen.push_back(f); };
  runner.run(in, {}, job);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  job.cancel.cancel();
  EXPECT_THROW(runner.run(in, {}, job), Cancelled);
}
