#include "llama_reference.h"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

namespace attnscope::test {

LlamaSpec llama3Spec() {
  LlamaSpec s;
  s.heads = 4;
  s.kvHeads = 1;
  s.llama3Scaling = true;
  s.ropeTheta = 10000;  // pairs of wavelength 6.3, 63, 628, 6283: kept, smoothed, scaled, scaled
  s.dtype = "BF16";
  return s;
}

LlamaSpec llama2Spec() {
  LlamaSpec s;
  s.kvHeads = 4;
  s.tied = false;
  return s;
}

LlamaSpec qwen2Spec() {
  LlamaSpec s;
  s.modelType = "qwen2";
  s.dModel = 24;
  s.heads = 4;
  s.kvHeads = 2;
  s.headDim = 8;  // 4 × 8 = 32 ≠ 24
  s.explicitHeadDim = true;
  s.qkvBias = true;
  s.tied = false;
  s.ropeTheta = 1000000;
  s.eps = 1e-6;
  return s;
}

LlamaSpec mistralSpec() {
  LlamaSpec s;
  s.modelType = "mistral";
  s.kvHeads = 2;
  s.slidingWindow = 3;
  s.tied = false;
  return s;
}

TinyModel tinyLlama(const LlamaSpec& s) {
  TinyModel m;
  std::uint64_t seed = 1000;
  auto add = [&](const std::string& name, std::vector<std::int64_t> shape) {
    m.tensors.push_back(randomTensor(name, std::move(shape), seed++, s.dtype));
  };
  const std::int64_t D = s.dModel, HD = std::int64_t(s.heads) * s.headDim, KV = std::int64_t(s.kvHeads) * s.headDim,
                     F = s.hidden, V = s.vocab;
  add("model.embed_tokens.weight", {V, D});
  for (int i = 0; i < s.layers; ++i) {
    const std::string h = "model.layers." + std::to_string(i) + ".";
    add(h + "input_layernorm.weight", {D});
    add(h + "self_attn.q_proj.weight", {HD, D});
    add(h + "self_attn.k_proj.weight", {KV, D});
    add(h + "self_attn.v_proj.weight", {KV, D});
    if (s.qkvBias) {
      add(h + "self_attn.q_proj.bias", {HD});
      add(h + "self_attn.k_proj.bias", {KV});
      add(h + "self_attn.v_proj.bias", {KV});
    }
    add(h + "self_attn.o_proj.weight", {D, HD});
    add(h + "post_attention_layernorm.weight", {D});
    add(h + "mlp.gate_proj.weight", {F, D});
    add(h + "mlp.up_proj.weight", {F, D});
    add(h + "mlp.down_proj.weight", {D, F});
  }
  add("model.norm.weight", {D});
  if (!s.tied) add("lm_head.weight", {V, D});

  std::ostringstream c;
  c << "{\"model_type\": \"" << s.modelType << "\", \"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": " << D
    << ", \"intermediate_size\": " << F << ", \"num_hidden_layers\": " << s.layers
    << ", \"num_attention_heads\": " << s.heads << ", \"num_key_value_heads\": " << s.kvHeads
    << ", \"vocab_size\": " << V << ", \"max_position_embeddings\": " << s.positions
    << ", \"rms_norm_eps\": " << s.eps << ", \"rope_theta\": " << s.ropeTheta << ", \"hidden_act\": \"silu\""
    << ", \"tie_word_embeddings\": " << (s.tied ? "true" : "false") << ", \"torch_dtype\": \"bfloat16\"";
  if (s.explicitHeadDim) c << ", \"head_dim\": " << s.headDim;
  if (s.llama3Scaling)
    c << ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": " << s.factor
      << ", \"low_freq_factor\": " << s.lowFreqFactor << ", \"high_freq_factor\": " << s.highFreqFactor
      << ", \"original_max_position_embeddings\": " << s.originalPositions << "}";
  else
    c << ", \"rope_scaling\": null";
  if (s.modelType == "mistral") c << ", \"sliding_window\": " << (s.slidingWindow > 0 ? std::to_string(s.slidingWindow) : "null");
  if (s.modelType == "qwen2") c << ", \"use_sliding_window\": false, \"sliding_window\": 4096";
  c << "}";
  m.config = c.str();
  return m;
}

namespace {

/// GPT-2's byte → character map as UTF-8: printable bytes stand for themselves, the other 68 for
/// U+0100 + n in byte order.
std::string byteChar(int b) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  int cp = b;
  if (!printable) {
    int n = 0;
    for (int x = 0; x < b; ++x)
      if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) ++n;
    cp = 256 + n;
  }
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

/// `s` as a JSON string literal.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string llamaTokenizerJson() {
  std::string vocab = "{";
  for (int b = 0; b < 256; ++b) vocab += quoted(byteChar(b)) + ": " + std::to_string(b) + ", ";
  const std::string space = byteChar(' ');
  vocab += "\"he\": 256, \"ll\": 257, \"hell\": 258, " + quoted(space + "w") + ": 259}";
  const std::string pattern = quoted(
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
  return R"({
  "version": "1.0",
  "added_tokens": [{"id": 260, "content": "<|begin_of_text|>", "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": )" + pattern + R"(}, "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
  "post_processor": {"type": "Sequence", "processors": [
    {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
    {"type": "TemplateProcessing",
     "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
     "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
              {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
     "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [260], "tokens": ["<|begin_of_text|>"]}}}]},
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
            "vocab": )" + vocab + R"(, "merges": [["h", "e"], ["l", "l"], ["he", "ll"], [)" + quoted(space) + R"(, "w"]]}
})";
}

namespace {

struct Tensors {
  std::map<std::string, const WTensor*> byName;
  explicit Tensors(const std::vector<WTensor>& t) {
    for (const WTensor& w : t) byName[w.name] = &w;
  }
  const WTensor* find(const std::string& n) const {
    const auto it = byName.find(n);
    return it == byName.end() ? nullptr : it->second;
  }
  const std::vector<double>& vec(const std::string& n) const {
    const WTensor* t = find(n);
    if (!t) throw std::runtime_error("llama reference: no tensor " + n);
    return t->values;
  }
};

/// y[i][o] = Σ_k x[i][k]·W[o·in + k] (+ b[o]); W is [out, in] row-major.
Mat project(const Mat& x, const std::vector<double>& W, const std::vector<double>* b, std::size_t out) {
  const std::size_t in = x[0].size();
  Mat y(x.size(), std::vector<double>(out, 0.0));
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t o = 0; o < out; ++o) {
      double s = b ? (*b)[o] : 0.0;
      for (std::size_t k = 0; k < in; ++k) s += x[i][k] * W[o * in + k];
      y[i][o] = s;
    }
  return y;
}

Mat rmsNorm(const Mat& x, const std::vector<double>& w, double eps) {
  Mat y = x;
  for (std::size_t i = 0; i < x.size(); ++i) {
    double ms = 0;
    for (double v : x[i]) ms += v * v;
    ms /= static_cast<double>(x[i].size());
    for (std::size_t j = 0; j < x[i].size(); ++j) y[i][j] = x[i][j] / std::sqrt(ms + eps) * w[j];
  }
  return y;
}

/// The angle frequency of pair i of a head of d, from MODELS.md (Llama 3: by wavelength λ = 2π/θ).
double frequency(const LlamaSpec& s, int i, int d) {
  const double base = 1.0 / std::pow(s.ropeTheta, (2.0 * i) / d);
  if (!s.llama3Scaling) return base;
  const double lambda = 2 * M_PI / base;
  const double orig = s.originalPositions;
  if (lambda > orig / s.lowFreqFactor) return base / s.factor;
  if (lambda < orig / s.highFreqFactor) return base;
  const double t = (orig / lambda - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - t) * base / s.factor + t * base;
}

/// Head `h`'s d columns of x (starting at column h·d), rotated by position (rotate-half convention).
Mat headWithRope(const Mat& x, int h, int d, const LlamaSpec& s, bool rotate) {
  Mat out(x.size(), std::vector<double>(static_cast<std::size_t>(d)));
  for (std::size_t pos = 0; pos < x.size(); ++pos) {
    for (int c = 0; c < d; ++c) out[pos][c] = x[pos][static_cast<std::size_t>(h * d + c)];
    if (!rotate) continue;
    const std::vector<double> orig = out[pos];
    for (int i = 0; i < d / 2; ++i) {
      const double a = static_cast<double>(pos) * frequency(s, i, d);
      // x' = x·cos + rotate_half(x)·sin; rotate_half(x)[i] = −x[i + d/2], [i + d/2] = x[i].
      out[pos][i] = orig[i] * std::cos(a) - orig[i + d / 2] * std::sin(a);
      out[pos][i + d / 2] = orig[i + d / 2] * std::cos(a) + orig[i] * std::sin(a);
    }
  }
  return out;
}

}  // namespace

namespace {

/// K and V replaced by the rank-r approximation of [K/α | V], α = ‖K‖_F / ‖V‖_F (MATH.md).
void lowRank(Mat& k, Mat& v, int rank) {
  const auto n = static_cast<Eigen::Index>(k.size()), c = static_cast<Eigen::Index>(k[0].size());
  Eigen::MatrixXd K(n, c), V(n, c);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < c; ++j) {
      K(i, j) = k[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      V(i, j) = v[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    }
  const double alpha = K.norm() / V.norm();
  Eigen::MatrixXd X(n, 2 * c);
  X << K / alpha, V;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::Index r = std::min<Eigen::Index>(rank, svd.singularValues().size());
  const Eigen::MatrixXd Xr = svd.matrixU().leftCols(r) * svd.singularValues().head(r).asDiagonal() *
                             svd.matrixV().leftCols(r).transpose();
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < c; ++j) {
      k[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = alpha * Xr(i, j);
      v[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = Xr(i, c + j);
    }
}

}  // namespace

LlamaRef referenceLlama(const TinyModel& model, const LlamaSpec& s, const std::vector<int>& ids, int kvRank,
                        const std::vector<int>& linearLayers) {
  const Tensors T(model.tensors);
  const std::size_t D = static_cast<std::size_t>(s.dModel), N = ids.size();
  const int d = s.headDim, group = s.heads / s.kvHeads;
  const std::vector<double>& embed = T.vec("model.embed_tokens.weight");
  Mat h(N, std::vector<double>(D));
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = 0; j < D; ++j) h[i][j] = embed[static_cast<std::size_t>(ids[i]) * D + j];
  LlamaRef out;
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const Mat a = rmsNorm(h, T.vec(p + "input_layernorm.weight"), s.eps);
    auto bias = [&](const std::string& n) { const WTensor* t = T.find(n); return t ? &t->values : nullptr; };
    const Mat q = project(a, T.vec(p + "self_attn.q_proj.weight"), bias(p + "self_attn.q_proj.bias"),
                          static_cast<std::size_t>(s.heads * d));
    Mat k = project(a, T.vec(p + "self_attn.k_proj.weight"), bias(p + "self_attn.k_proj.bias"),
                          static_cast<std::size_t>(s.kvHeads * d));
    Mat v = project(a, T.vec(p + "self_attn.v_proj.weight"), bias(p + "self_attn.v_proj.bias"),
                          static_cast<std::size_t>(s.kvHeads * d));
    if (kvRank > 0) lowRank(k, v, kvRank);
    RefLayer layer;
    Mat merged(N, std::vector<double>(static_cast<std::size_t>(s.heads * d), 0.0));
    for (int j = 0; j < s.heads; ++j) {
      const int g = j / group;
      const Mat qh = headWithRope(q, j, d, s, true), kh = headWithRope(k, g, d, s, true),
                vh = headWithRope(v, g, d, s, false);
      Mat P(N, std::vector<double>(N, 0.0));
      for (std::size_t i = 0; i < N; ++i) {
        const std::size_t first = s.slidingWindow > 0 && i + 1 > static_cast<std::size_t>(s.slidingWindow)
                                      ? i + 1 - static_cast<std::size_t>(s.slidingWindow)
                                      : 0;
        const bool linear = std::find(linearLayers.begin(), linearLayers.end(), l) != linearLayers.end();
        if (linear) {
          // A_it = φ(q_i)·φ(k_t) / Σ_t' φ(q_i)·φ(k_t'), φ(x) = max(x, 0) + 1e-6, causal.
          auto phi = [](double x) { return std::max(x, 0.0) + 1e-6; };
          double z = 0;
          for (std::size_t t = 0; t <= i; ++t) {
            double dot = 0;
            for (int c = 0; c < d; ++c) dot += phi(qh[i][c]) * phi(kh[t][c]);
            P[i][t] = dot;
            z += dot;
          }
          for (std::size_t t = 0; t <= i; ++t) P[i][t] /= z;
        } else {
        double mx = -1e300;
        std::vector<double> sc(N, 0.0);
        for (std::size_t t = first; t <= i; ++t) {
          double dot = 0;
          for (int c = 0; c < d; ++c) dot += qh[i][c] * kh[t][c];
          sc[t] = dot / std::sqrt(static_cast<double>(d));
          mx = std::max(mx, sc[t]);
        }
        double z = 0;
        for (std::size_t t = first; t <= i; ++t) z += std::exp(sc[t] - mx);
        for (std::size_t t = first; t <= i; ++t) P[i][t] = std::exp(sc[t] - mx) / z;
        }
        for (int c = 0; c < d; ++c) {
          double o = 0;
          for (std::size_t t = 0; t <= i; ++t) o += P[i][t] * vh[t][c];
          merged[i][static_cast<std::size_t>(j * d + c)] = o;
        }
      }
      layer.q.push_back(qh);
      layer.k.push_back(kh);
      layer.v.push_back(vh);
      layer.probabilities.push_back(P);
    }
    const Mat o = project(merged, T.vec(p + "self_attn.o_proj.weight"), bias(p + "self_attn.o_proj.bias"), D);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < D; ++j) h[i][j] += o[i][j];
    const Mat b = rmsNorm(h, T.vec(p + "post_attention_layernorm.weight"), s.eps);
    const auto F = static_cast<std::size_t>(s.hidden);
    Mat gate = project(b, T.vec(p + "mlp.gate_proj.weight"), nullptr, F);
    const Mat up = project(b, T.vec(p + "mlp.up_proj.weight"), nullptr, F);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < F; ++j) gate[i][j] = gate[i][j] / (1 + std::exp(-gate[i][j])) * up[i][j];
    const Mat down = project(gate, T.vec(p + "mlp.down_proj.weight"), nullptr, D);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < D; ++j) h[i][j] += down[i][j];
    out.forward.layers.push_back(layer);
  }
  out.forward.finalHidden = rmsNorm(h, T.vec("model.norm.weight"), s.eps);
  const std::vector<double>& head = T.vec(s.tied ? "model.embed_tokens.weight" : "lm_head.weight");
  const Mat logits = project(out.forward.finalHidden, head, nullptr, static_cast<std::size_t>(s.vocab));
  out.logits = logits;
  for (std::size_t i = 0; i + 1 < N; ++i) {
    double mx = -1e300, z = 0;
    for (double x : logits[i]) mx = std::max(mx, x);
    for (double x : logits[i]) z += std::exp(x - mx);
    out.losses.push_back(std::log(z) + mx - logits[i][static_cast<std::size_t>(ids[i + 1])]);
  }
  return out;
}

}  // namespace attnscope::test
