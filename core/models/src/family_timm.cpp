// timm ViT / DeiT (DINO weights in timm naming too): depth from the keys, heads from
// model_args.num_heads or the architecture name, resolution from pretrained_cfg.input_size, checked
// against every tensor the forward uses. LayerNorm eps is timm's 1e-6.
#include "attnscope/error.h"
#include "bounded_file.h"
#include "family_layout.h"
#include "attnscope/models/json_config.h"

namespace attnscope::models {

namespace {
/// Heads of timm's named sizes ("vit_small_patch16_224.dino" → 6); 0 when the name has none.
int headsFromArchitecture(const std::string& arch) {
  const struct {
    const char* size;
    int heads;
  } kSizes[] = {{"_tiny", 3}, {"_small", 6}, {"_base", 12}, {"_large", 16}, {"_huge", 16}};
  for (const auto& k : kSizes)
    if (arch.find(k.size) != std::string::npos) return k.heads;
  return 0;
}

const nlohmann::json& objectOr(const nlohmann::json& j, const char* key, const nlohmann::json& empty) {
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}
}  // namespace

ModelInfo timmVitInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  const LayoutCheck check(s, "timm ViT", c.source());
  const std::string cfg = c.path;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& args = objectOr(c.json, "model_args", empty);
  const nlohmann::json& pretrained = objectOr(c.json, "pretrained_cfg", empty);
  const std::vector<std::int64_t> cls = check.shapeOf("cls_token", 3);
  const std::vector<std::int64_t> proj = check.shapeOf("patch_embed.proj.weight", 4);
  const std::vector<std::int64_t> pos = check.shapeOf("pos_embed", 3);

  ModelInfo m;
  m.family = Family::TimmVit;
  m.detectedFrom = d.from;
  m.architecture = configString(c.json, "architecture", cfg);
  m.dModel = static_cast<int>(cls[2]);
  m.layers = countLayers(s, "blocks.", ".norm1.weight");
  if (args.contains("depth") && configInt(args, "depth", -1, cfg) != m.layers)
    throw FileError(cfg + ": model_args.depth " + shortValue(args["depth"]) + " but the checkpoint has " +
                    std::to_string(m.layers) + " blocks");
  if (args.contains("num_heads")) {
    m.heads = configInt(args, "num_heads", -1, cfg);
  } else {
    m.heads = headsFromArchitecture(m.architecture);
    if (m.heads == 0) m.heads = fallbackHeads(o.heads, m.dModel, s.path());
  }
  m.patchSize = static_cast<int>(proj[2]);
  m.mlpHidden = static_cast<int>(check.shapeOf("blocks.0.mlp.fc1.weight", 2)[0]);
  m.layerNormEps = 1e-6;
  if (s.contains("reg_token")) m.registers = static_cast<int>(check.shapeOf("reg_token", 3)[1]);
  m.positions = static_cast<int>(pos[1]);
  // Resolution: pretrained_cfg.input_size [C, H, W], else model_args.img_size, else the grid of
  // the position embeddings (with or without the class token's row).
  const auto input = pretrained.find("input_size");
  if (input != pretrained.end() && !input->is_null()) {
    if (!input->is_array() || input->size() != 3)
      throw FileError(cfg + ": pretrained_cfg.input_size must be [channels, height, width] (found " + shortValue(*input) + ")");
    const nlohmann::json hw = {{"height", (*input)[1]}, {"width", (*input)[2]}};
    m.imageSize = configInt(hw, "height", -1, cfg + " (pretrained_cfg.input_size)");
    if (configInt(hw, "width", -1, cfg + " (pretrained_cfg.input_size)") != m.imageSize)
      throw FileError(cfg + ": pretrained_cfg.input_size " + shortValue(*input) + " is not square");
  } else if (args.contains("img_size")) {
    m.imageSize = configInt(args, "img_size", -1, cfg);
  } else {
    const int g = exactSqrt(pos[1] - 1) > 0 ? exactSqrt(pos[1] - 1) : exactSqrt(pos[1]);
    m.imageSize = g > 0 ? g * m.patchSize : 0;
  }
  if (m.layers <= 0) throw FileError(s.path() + ": no timm blocks ('blocks.0.norm1.weight')");
  if (m.dModel % m.heads != 0)
    throw FileError(c.source() + ": embed dim " + std::to_string(m.dModel) + " is not a multiple of " +
                    std::to_string(m.heads) + " heads");
  if (m.imageSize <= 0 || m.imageSize % m.patchSize != 0)
    throw FileError(c.source() + ": image size " + std::to_string(m.imageSize) +
                    " is not a multiple of the patch size " + std::to_string(m.patchSize));
  const std::int64_t grid = m.imageSize / m.patchSize;
  if (pos[1] != grid * grid + 1 && pos[1] != grid * grid)
    throw FileError(s.fileOf("pos_embed").path() + ": tensor 'pos_embed' has shape " + shapeText(pos) + " but " +
                    c.source() + " implies " + shapeText({1, grid * grid + 1, m.dModel}));

  const std::int64_t D = m.dModel, F = m.mlpHidden, P = m.patchSize;
  check.require("patch_embed.proj.weight", {D, proj[1], P, P});
  check.optional("patch_embed.proj.bias", {D});
  for (int i = 0; i < m.layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const char* ln : {"norm1", "norm2"}) {
      check.require(b + ln + ".weight", {D});
      check.require(b + ln + ".bias", {D});
    }
    check.require(b + "attn.qkv.weight", {3 * D, D});  // rows: q of all heads | k | v
    check.optional(b + "attn.qkv.bias", {3 * D});
    check.require(b + "attn.proj.weight", {D, D});
    check.require(b + "attn.proj.bias", {D});
    check.require(b + "mlp.fc1.weight", {F, D});
    check.require(b + "mlp.fc1.bias", {F});
    check.require(b + "mlp.fc2.weight", {D, F});
    check.require(b + "mlp.fc2.bias", {D});
  }
  check.require("norm.weight", {D});
  check.require("norm.bias", {D});
  return m;
}

}  // namespace attnscope::models

namespace attnscope::models {

void bindTimmVit(const ModelInfo& m, BoundWeights& w) {
  const auto eps = static_cast<float>(m.layerNormEps);
  const Eigen::Index D = m.dModel;
  const Eigen::Index kernel = w.store_.info("patch_embed.proj.weight").numel() / D;
  w.patch.weight = w.view("patch_embed.proj.weight", D, kernel);
  if (w.has("patch_embed.proj.bias")) w.patch.bias = w.row("patch_embed.proj.bias");
  w.cls = w.view("cls_token", 1, D);
  if (m.registers > 0) w.registers = w.view("reg_token", m.registers, D);
  w.positions = w.view("pos_embed", m.positions, D);
  const int grid = m.imageSize / m.patchSize;
  w.positionPrefix = m.positions - grid * grid;  // 1: CLS has a position; 0: timm's no_embed_class
  for (int i = 0; i < m.layers; ++i)
    w.bindFusedBlock("blocks." + std::to_string(i) + ".", {"norm1", "norm2", "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"},
                     false, eps, w.blocks[static_cast<std::size_t>(i)]);
  w.finalNorm = w.layerNorm("norm", eps);
}

}  // namespace attnscope::models
