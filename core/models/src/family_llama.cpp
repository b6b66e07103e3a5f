// The Llama family in the Hugging Face layout (MODELS.md "Text: Llama family"): Llama 2/3/3.x,
// TinyLlama, SmolLM/SmolLM2 (model_type "llama"), Mistral ("mistral") and Qwen2/2.5 ("qwen2").
// RMSNorm, grouped key/value heads, rotary positions (rope_theta, Llama 3's rope_scaling), optional
// q/k/v(/o) biases (Qwen2 has them without saying so in its config), a gated SiLU MLP, tied or
// separate lm_head, Mistral's sliding window. Its tokenizer is the folder's tokenizer.json.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/models/hf_tokenizer.h"
#include "attnscope/models/json_config.h"
#include "family_layout.h"

namespace attnscope::models {

std::string RopeSpec::describe() const {
  if (!present()) return "none";
  std::ostringstream s;
  s << "theta " << std::setprecision(10) << theta;
  if (scaling == "llama3")
    s << ", llama3 scaling (factor " << factor << ", low_freq_factor " << lowFreqFactor << ", high_freq_factor "
      << highFreqFactor << ", original " << originalPositions << " positions)";
  return s.str();
}

std::vector<double> RopeSpec::inverseFrequencies(int dHead) const {
  std::vector<double> f(static_cast<std::size_t>(dHead / 2));
  const double pi = 3.14159265358979323846;
  for (std::size_t i = 0; i < f.size(); ++i) {
    double inv = std::pow(theta, -2.0 * static_cast<double>(i) / dHead);
    if (scaling == "llama3") {
      // Wavelengths longer than original/low_freq_factor are slowed by `factor`, shorter than
      // original/high_freq_factor kept, and those between interpolated smoothly.
      const double wavelength = 2 * pi / inv;
      const double lowWave = originalPositions / lowFreqFactor, highWave = originalPositions / highFreqFactor;
      if (wavelength > lowWave) {
        inv /= factor;
      } else if (wavelength >= highWave) {
        const double s = (originalPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inv = (1 - s) * inv / factor + s * inv;
      }
    }
    f[i] = inv;
  }
  return f;
}

namespace {

/// rope_scaling: null, {"rope_type"|"type": "default"} or Llama 3's; any other kind refused by name.
void readRopeScaling(const nlohmann::json& config, const std::string& cfg, RopeSpec& rope) {
  if (!config.contains("rope_scaling") || config["rope_scaling"].is_null()) return;
  const nlohmann::json& r = config["rope_scaling"];
  if (!r.is_object()) throw FileError(cfg + ": rope_scaling is not an object or null");
  std::string type = configString(r, "rope_type", cfg + ": rope_scaling");
  if (type.empty()) type = configString(r, "type", cfg + ": rope_scaling");
  if (type.empty() || type == "default") return;
  if (type != "llama3")
    throw FileError(cfg + ": rope_scaling type \"" + type +
                    "\" is not supported (attnscope implements Llama 3's \"llama3\" scaling and none)");
  rope.scaling = type;
  const std::string where = cfg + ": rope_scaling";
  rope.factor = configDouble(r, "factor", -1, where);
  rope.lowFreqFactor = configDouble(r, "low_freq_factor", 1, where);
  rope.highFreqFactor = configDouble(r, "high_freq_factor", 4, where);
  rope.originalPositions = configInt(r, "original_max_position_embeddings", 8192, where);
  if (!(rope.factor >= 1) || !(rope.lowFreqFactor > 0) || !(rope.highFreqFactor > rope.lowFreqFactor))
    throw FileError(where + ": llama3 scaling needs factor ≥ 1 and 0 < low_freq_factor < high_freq_factor");
}

}  // namespace

ModelInfo llamaInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  const std::string& p = d.prefix;
  const LayoutCheck check(s, "Llama", c.source());
  const std::string cfg = c.path;
  const std::vector<std::int64_t> embed = check.shapeOf(p + "embed_tokens.weight", 2);
  ModelInfo m;
  m.family = d.family;
  m.detectedFrom = d.from;
  m.prefix = p;
  m.architecture = configString(c.json, "model_type", cfg);
  if (m.architecture.empty()) m.architecture = "llama";
  m.dModel = configInt(c.json, "hidden_size", static_cast<int>(embed[1]), cfg);
  m.vocabSize = configInt(c.json, "vocab_size", static_cast<int>(embed[0]), cfg);
  m.layers = configInt(c.json, "num_hidden_layers", countLayers(s, p + "layers.", ".self_attn.q_proj.weight"), cfg);
  if (m.layers <= 0) throw FileError(s.path() + ": no Llama layers ('" + p + "layers.0.self_attn.q_proj.weight')");
  m.heads = c.json.contains("num_attention_heads") ? configInt(c.json, "num_attention_heads", -1, cfg)
                                                  : fallbackHeads(o.heads, m.dModel, s.path());
  m.dHead = configInt(c.json, "head_dim", m.dModel % m.heads == 0 ? m.dModel / m.heads : -1, cfg);
  if (m.dHead % 2 != 0) throw FileError(c.source() + ": head_dim " + std::to_string(m.dHead) + " is odd (RoPE rotates pairs)");
  // Key/value heads: the config's, else what k_proj's rows say.
  const std::int64_t kRows = check.shapeOf(p + "layers.0.self_attn.k_proj.weight", 2)[0];
  m.kvHeads = configInt(c.json, "num_key_value_heads",
                        kRows % m.dHead == 0 ? static_cast<int>(kRows / m.dHead) : m.heads, cfg);
  if (m.heads % m.kvHeads != 0)
    throw FileError(c.source() + ": num_attention_heads " + std::to_string(m.heads) +
                    " is not a multiple of num_key_value_heads " + std::to_string(m.kvHeads));
  m.mlpHidden = configInt(c.json, "intermediate_size",
                          static_cast<int>(check.shapeOf(p + "layers.0.mlp.up_proj.weight", 2)[0]), cfg);
  m.positions = configInt(c.json, "max_position_embeddings", 2048, cfg);
  m.layerNormEps = configDouble(c.json, "rms_norm_eps", 1e-6, cfg);
  if (!(m.layerNormEps >= 0)) throw FileError(cfg + ": rms_norm_eps must be ≥ 0");
  const std::string act = configString(c.json, "hidden_act", cfg);
  if (!act.empty() && act != "silu")
    throw FileError(cfg + ": hidden_act \"" + act + "\" is not supported (the Llama family's MLP is SiLU-gated)");
  m.rope.theta = configDouble(c.json, "rope_theta", 10000.0, cfg);
  if (!(m.rope.theta > 1)) throw FileError(cfg + ": rope_theta must be > 1");
  readRopeScaling(c.json, cfg, m.rope);
  if (c.json.contains("partial_rotary_factor") && !c.json["partial_rotary_factor"].is_null() &&
      configDouble(c.json, "partial_rotary_factor", 1.0, cfg) != 1.0)
    throw FileError(cfg + ": partial_rotary_factor other than 1 is not supported");
  // Sliding window: Mistral's `sliding_window`; Qwen2 only with use_sliding_window (refused: its
  // per-layer window is not implemented).
  if (m.architecture == "qwen2") {
    if (configBool(c.json, "use_sliding_window", false, cfg))
      throw FileError(cfg + ": use_sliding_window true is not supported (Qwen2's per-layer window)");
  } else if (c.json.contains("sliding_window") && !c.json["sliding_window"].is_null()) {
    m.slidingWindow = configInt(c.json, "sliding_window", 0, cfg);
  }
  // lm_head: separate unless tied; a checkpoint without lm_head.weight is tied (the weights of a
  // model saved with tie_word_embeddings).
  const bool hasHead = s.contains("lm_head.weight");
  m.tiedEmbeddings = configBool(c.json, "tie_word_embeddings", !hasHead, cfg);
  if (!m.tiedEmbeddings && !hasHead)
    throw FileError(s.path() + ": missing tensor 'lm_head.weight' (" + c.source() +
                    " says tie_word_embeddings is false)");

  const std::int64_t D = m.dModel, F = m.mlpHidden, HD = std::int64_t(m.heads) * m.dHead,
                     KV = std::int64_t(m.kvHeads) * m.dHead;
  check.require(p + "embed_tokens.weight", {m.vocabSize, D});
  const bool attentionBias = configBool(c.json, "attention_bias", false, cfg);
  const bool mlpBias = configBool(c.json, "mlp_bias", false, cfg);
  for (int i = 0; i < m.layers; ++i) {
    const std::string h = p + "layers." + std::to_string(i) + ".";
    check.require(h + "input_layernorm.weight", {D});
    check.require(h + "post_attention_layernorm.weight", {D});
    const struct { const char* name; std::int64_t out, in; } projections[] = {
        {"self_attn.q_proj", HD, D}, {"self_attn.k_proj", KV, D}, {"self_attn.v_proj", KV, D},
        {"self_attn.o_proj", D, HD}, {"mlp.gate_proj", F, D},   {"mlp.up_proj", F, D},
        {"mlp.down_proj", D, F}};
    for (const auto& pr : projections) {
      const std::string base = h + pr.name;
      check.require(base + ".weight", {pr.out, pr.in});
      const bool attention = base.find("self_attn.") != std::string::npos;
      // Biases: required where the config announces them, else read when present (Qwen2's q/k/v).
      if ((attention && attentionBias) || (!attention && mlpBias))
        check.require(base + ".bias", {pr.out});
      else
        check.optional(base + ".bias", {pr.out});
    }
  }
  check.require(p + "norm.weight", {D});
  if (!m.tiedEmbeddings) check.require("lm_head.weight", {m.vocabSize, D});
  const std::string extra = p + "layers." + std::to_string(m.layers) + ".self_attn.q_proj.weight";
  if (s.contains(extra))
    throw FileError(s.path() + ": tensor '" + extra + "' is a layer past the " + std::to_string(m.layers) +
                    " that " + c.source() + " gives");
  return m;
}

void bindLlama(const ModelInfo& m, BoundWeights& w) {
  const std::string& p = m.prefix;
  const auto eps = static_cast<float>(m.layerNormEps);
  w.tokenEmbedding = w.matrix(p + "embed_tokens.weight", m.vocabSize, m.dModel);
  for (int i = 0; i < m.layers; ++i) {
    const std::string h = p + "layers." + std::to_string(i) + ".";
    BlockWeights& b = w.blocks[static_cast<std::size_t>(i)];
    b.ln1 = w.rmsNorm(h + "input_layernorm", eps);
    b.q = w.linear(h + "self_attn.q_proj", false);
    b.k = w.linear(h + "self_attn.k_proj", false);
    b.v = w.linear(h + "self_attn.v_proj", false);
    b.proj = w.linear(h + "self_attn.o_proj", false);
    b.ln2 = w.rmsNorm(h + "post_attention_layernorm", eps);
    b.gate = w.linear(h + "mlp.gate_proj", false);
    b.fc1 = w.linear(h + "mlp.up_proj", false);
    b.fc2 = w.linear(h + "mlp.down_proj", false);
  }
  w.finalNorm = w.rmsNorm(p + "norm", eps);
  w.lmHead = m.tiedEmbeddings ? w.tokenEmbedding : w.matrix("lm_head.weight", m.vocabSize, m.dModel);
}

Encoding llamaTokenize(const Checkpoint& c, std::string_view utf8, std::size_t maxTokens) {
  // (HfTokenizer encodes the whole text: its normalizers and post-processor see all of it.)
  Encoding e = HfTokenizer::fromFolder(c.folder()).encode(utf8);
  if (e.ids.size() > maxTokens) {
    e.ids.resize(maxTokens);
    e.pieces.resize(maxTokens);
    e.byteSpans.resize(maxTokens);
  }
  return e;
}

}  // namespace attnscope::models
