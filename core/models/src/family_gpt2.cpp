// GPT-2 (Hugging Face layout, optional "transformer." prefix): config.json's n_layer, n_head, n_embd,
// n_positions, vocab_size, n_inner, layer_norm_epsilon, checked against every tensor the forward uses.
#include "attnscope/error.h"
#include "family_layout.h"
#include "attnscope/models/json_config.h"

namespace attnscope::models {

ModelInfo gpt2Info(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  const std::string& p = d.prefix;
  const LayoutCheck check(s, "GPT-2", c.source());
  const std::vector<std::int64_t> wte = check.shapeOf(p + "wte.weight", 2);
  const std::vector<std::int64_t> wpe = check.shapeOf(p + "wpe.weight", 2);
  const std::string cfg = c.path;
  ModelInfo m;
  m.family = Family::Gpt2;
  m.detectedFrom = d.from;
  m.prefix = p;
  m.architecture = "gpt2";
  m.dModel = configInt(c.json, "n_embd", static_cast<int>(wte[1]), cfg);
  m.vocabSize = configInt(c.json, "vocab_size", static_cast<int>(wte[0]), cfg);
  m.positions = configInt(c.json, "n_positions", configInt(c.json, "n_ctx", static_cast<int>(wpe[0]), cfg), cfg);
  m.layers = configInt(c.json, "n_layer", countLayers(s, p + "h.", ".ln_1.weight"), cfg);
  m.heads = c.json.contains("n_head") ? configInt(c.json, "n_head", -1, cfg)
                                      : fallbackHeads(o.heads, m.dModel, s.path());
  m.mlpHidden = configInt(c.json, "n_inner", 4 * m.dModel, cfg);
  m.layerNormEps = configEpsilon(c.json, "layer_norm_epsilon", 1e-5, cfg);
  // The forward's GELU is the tanh form (gelu_new; gelu_pytorch_tanh and gelu_fast are the same
  // function); any other activation would be computed wrongly, so it is refused by name.
  configChoice(c.json, "activation_function", "gelu_new", {"gelu_new", "gelu_pytorch_tanh", "gelu_fast"}, cfg);
  m.tiedEmbeddings = true;
  if (m.layers <= 0) throw FileError(s.path() + ": no GPT-2 layers ('" + p + "h.0.ln_1.weight')");
  if (m.dModel % m.heads != 0)
    throw FileError(c.source() + ": n_embd " + std::to_string(m.dModel) + " is not a multiple of n_head " +
                    std::to_string(m.heads));

  const std::int64_t D = m.dModel, F = m.mlpHidden;
  check.require(p + "wte.weight", {m.vocabSize, D});
  check.require(p + "wpe.weight", {m.positions, D});
  for (int i = 0; i < m.layers; ++i) {
    const std::string h = p + "h." + std::to_string(i) + ".";
    for (const char* ln : {"ln_1", "ln_2"}) {
      check.require(h + ln + ".weight", {D});
      check.require(h + ln + ".bias", {D});
    }
    check.require(h + "attn.c_attn.weight", {D, 3 * D});  // Conv1D: [in, out]
    check.require(h + "attn.c_attn.bias", {3 * D});
    check.require(h + "attn.c_proj.weight", {D, D});
    check.require(h + "attn.c_proj.bias", {D});
    check.require(h + "mlp.c_fc.weight", {D, F});
    check.require(h + "mlp.c_fc.bias", {F});
    check.require(h + "mlp.c_proj.weight", {F, D});
    check.require(h + "mlp.c_proj.bias", {D});
  }
  check.require(p + "ln_f.weight", {D});
  check.require(p + "ln_f.bias", {D});
  const std::string extra = p + "h." + std::to_string(m.layers) + ".ln_1.weight";
  if (s.contains(extra))
    throw FileError(s.path() + ": tensor '" + extra + "' is a layer past the " + std::to_string(m.layers) +
                    " that " + c.source() + " gives");
  return m;
}

}  // namespace attnscope::models

namespace attnscope::models {

void bindGpt2(const ModelInfo& m, BoundWeights& w) {
  const std::string& p = m.prefix;
  const auto eps = static_cast<float>(m.layerNormEps);
  const Eigen::Index D = m.dModel;
  w.tanhGelu = true;
  w.tokenEmbedding = w.matrix(p + "wte.weight", m.vocabSize, D);
  w.positionEmbedding = w.view(p + "wpe.weight", m.positions, D);
  w.lmHead = w.tokenEmbedding;  // GPT-2's lm_head is tied to wte
  for (int i = 0; i < m.layers; ++i)
    w.bindFusedBlock(p + "h." + std::to_string(i) + ".",
                     {"ln_1", "ln_2", "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}, true, eps,
                     w.blocks[static_cast<std::size_t>(i)]);
  w.finalNorm = w.layerNorm(p + "ln_f", eps);
}

}  // namespace attnscope::models
