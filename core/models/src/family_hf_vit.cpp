// Hugging Face ViT / DeiT / DINO v1 ("vit", optional "vit." prefix) and DINOv2 ("dinov2",
// "dinov2_with_registers"): hidden_size, num_hidden_layers, num_attention_heads, intermediate_size or
// mlp_ratio, image_size, patch_size, num_channels, layer_norm_eps, num_register_tokens, checked
// against every tensor the forward uses.
#include "attnscope/error.h"
#include "family_layout.h"
#include "attnscope/models/json_config.h"

namespace attnscope::models {

ModelInfo hfVitInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  const bool dino2 = d.family == Family::Dinov2;
  const std::string& p = d.prefix;
  const std::string e = p + "embeddings.";
  const std::string layer = p + "encoder.layer.";
  const LayoutCheck check(s, dino2 ? "DINOv2" : "ViT", c.source());
  const std::string cfg = c.path;
  const std::vector<std::int64_t> cls = check.shapeOf(e + "cls_token", 3);
  const std::vector<std::int64_t> proj = check.shapeOf(e + "patch_embeddings.projection.weight", 4);
  const std::vector<std::int64_t> pos = check.shapeOf(e + "position_embeddings", 3);

  ModelInfo m;
  m.family = d.family;
  m.detectedFrom = d.from;
  m.prefix = p;
  m.architecture = configString(c.json, "model_type", cfg);
  if (m.architecture.empty()) m.architecture = dino2 ? "dinov2" : "vit";
  m.dModel = configInt(c.json, "hidden_size", static_cast<int>(cls[2]), cfg);
  m.layers = configInt(c.json, "num_hidden_layers",
                       countLayers(s, layer, dino2 ? ".norm1.weight" : ".layernorm_before.weight"), cfg);
  m.heads = c.json.contains("num_attention_heads") ? configInt(c.json, "num_attention_heads", -1, cfg)
                                                   : fallbackHeads(o.heads, m.dModel, s.path());
  m.patchSize = configInt(c.json, "patch_size", static_cast<int>(proj[2]), cfg);
  const int channels = configInt(c.json, "num_channels", static_cast<int>(proj[1]), cfg);
  // Without a config, the training resolution is what the position embeddings cover.
  const int shapeGrid = exactSqrt(pos[1] - 1);
  m.imageSize = configInt(c.json, "image_size", shapeGrid > 0 ? shapeGrid * m.patchSize : -1, cfg);
  if (dino2) {
    const double ratio = configDouble(c.json, "mlp_ratio", 4.0, cfg);
    m.mlpHidden = static_cast<int>(m.dModel * ratio);
    m.layerNormEps = configEpsilon(c.json, "layer_norm_eps", 1e-6, cfg);
    const bool registersInConfig = c.json.contains("num_register_tokens");
    if (registersInConfig) {
      m.registers = configInt(c.json, "num_register_tokens", 0, cfg);
    } else if (s.contains(e + "register_tokens")) {
      m.registers = static_cast<int>(check.shapeOf(e + "register_tokens", 3)[1]);
    }
  } else {
    m.mlpHidden = configInt(c.json, "intermediate_size", 4 * m.dModel, cfg);
    m.layerNormEps = configEpsilon(c.json, "layer_norm_eps", 1e-12, cfg);
  }
  // The forward's GELU is the exact (erf) one, the ViTs' "gelu"; any other activation is refused.
  configChoice(c.json, "hidden_act", "gelu", {"gelu", "gelu_python"}, cfg);
  if (m.layers <= 0) throw FileError(s.path() + ": no encoder layers ('" + layer + "0.…')");
  if (m.dModel % m.heads != 0)
    throw FileError(c.source() + ": hidden_size " + std::to_string(m.dModel) +
                    " is not a multiple of num_attention_heads " + std::to_string(m.heads));
  if (m.imageSize % m.patchSize != 0)
    throw FileError(c.source() + ": image_size " + std::to_string(m.imageSize) + " is not a multiple of patch_size " +
                    std::to_string(m.patchSize));
  const std::int64_t grid = m.imageSize / m.patchSize;
  m.positions = static_cast<int>(1 + grid * grid);

  const std::int64_t D = m.dModel, F = m.mlpHidden, P = m.patchSize;
  check.require(e + "cls_token", {1, 1, D});
  check.require(e + "position_embeddings", {1, m.positions, D});
  check.require(e + "patch_embeddings.projection.weight", {D, channels, P, P});
  check.require(e + "patch_embeddings.projection.bias", {D});
  if (m.registers > 0) check.require(e + "register_tokens", {1, m.registers, D});
  const bool swiglu = dino2 && configBool(c.json, "use_swiglu_ffn", false, cfg);
  for (int i = 0; i < m.layers; ++i) {
    const std::string h = layer + std::to_string(i) + ".";
    const std::string ln1 = dino2 ? "norm1" : "layernorm_before";
    const std::string ln2 = dino2 ? "norm2" : "layernorm_after";
    for (const std::string& ln : {ln1, ln2}) {
      check.require(h + ln + ".weight", {D});
      check.require(h + ln + ".bias", {D});
    }
    for (const char* qkv : {"query", "key", "value"}) {
      check.require(h + "attention.attention." + qkv + ".weight", {D, D});  // Linear: [out, in]
      check.require(h + "attention.attention." + qkv + ".bias", {D});
    }
    check.require(h + "attention.output.dense.weight", {D, D});
    check.require(h + "attention.output.dense.bias", {D});
    if (dino2) {
      check.require(h + "layer_scale1.lambda1", {D});
      check.require(h + "layer_scale2.lambda1", {D});
      if (swiglu) {
        const std::int64_t hidden = (static_cast<std::int64_t>(F * 2 / 3) + 7) / 8 * 8;
        check.require(h + "mlp.weights_in.weight", {2 * hidden, D});
        check.require(h + "mlp.weights_out.weight", {D, hidden});
      } else {
        check.require(h + "mlp.fc1.weight", {F, D});
        check.require(h + "mlp.fc1.bias", {F});
        check.require(h + "mlp.fc2.weight", {D, F});
        check.require(h + "mlp.fc2.bias", {D});
      }
    } else {
      check.require(h + "intermediate.dense.weight", {F, D});
      check.require(h + "intermediate.dense.bias", {F});
      check.require(h + "output.dense.weight", {D, F});
      check.require(h + "output.dense.bias", {D});
    }
  }
  check.require(p + "layernorm.weight", {D});
  check.require(p + "layernorm.bias", {D});
  const std::string extra = layer + std::to_string(m.layers) + (dino2 ? ".norm1.weight" : ".layernorm_before.weight");
  if (s.contains(extra))
    throw FileError(s.path() + ": tensor '" + extra + "' is a layer past the " + std::to_string(m.layers) +
                    " that " + c.source() + " gives");
  return m;
}

}  // namespace attnscope::models

namespace attnscope::models {

void bindHfVit(const ModelInfo& m, BoundWeights& w) {
  const std::string& p = m.prefix;
  const auto eps = static_cast<float>(m.layerNormEps);
  const Eigen::Index D = m.dModel;
  const bool dino2 = m.family == Family::Dinov2;
  const std::string e = p + "embeddings.";
  const std::string proj = e + "patch_embeddings.projection.";
  const Eigen::Index kernel = w.store_.info(proj + "weight").numel() / D;
  w.patch.weight = w.view(proj + "weight", D, kernel);
  w.patch.bias = w.row(proj + "bias");
  w.cls = w.view(e + "cls_token", 1, D);
  if (m.registers > 0) w.registers = w.view(e + "register_tokens", m.registers, D);
  w.positions = w.view(e + "position_embeddings", m.positions, D);
  w.positionPrefix = 1;
  for (int i = 0; i < m.layers; ++i) {
    const std::string h = p + "encoder.layer." + std::to_string(i) + ".";
    BlockWeights& b = w.blocks[static_cast<std::size_t>(i)];
    b.ln1 = w.layerNorm(h + (dino2 ? "norm1" : "layernorm_before"), eps);
    b.ln2 = w.layerNorm(h + (dino2 ? "norm2" : "layernorm_after"), eps);
    b.q = w.linear(h + "attention.attention.query", false);
    b.k = w.linear(h + "attention.attention.key", false);
    b.v = w.linear(h + "attention.attention.value", false);
    b.proj = w.linear(h + "attention.output.dense", false);
    if (dino2) {
      b.layerScale1 = w.row(h + "layer_scale1.lambda1");
      b.layerScale2 = w.row(h + "layer_scale2.lambda1");
      b.swiglu = w.has(h + "mlp.weights_in.weight");
      b.fc1 = w.linear(h + (b.swiglu ? "mlp.weights_in" : "mlp.fc1"), false);
      b.fc2 = w.linear(h + (b.swiglu ? "mlp.weights_out" : "mlp.fc2"), false);
    } else {
      b.fc1 = w.linear(h + "intermediate.dense", false);
      b.fc2 = w.linear(h + "output.dense", false);
    }
  }
  w.finalNorm = w.layerNorm(p + "layernorm", eps);
}

}  // namespace attnscope::models
