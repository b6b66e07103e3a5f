// Which family a checkpoint is: config.json's model_type / architecture, else the tensor names.
#include "attnscope/error.h"
#include "family_layout.h"
#include "json_config.h"

namespace attnscope::models {

namespace {
/// The first of `prefixes` for which prefix + key is a tensor; false when none is.
bool findPrefix(const TensorStore& s, const std::string& key, const std::vector<std::string>& prefixes,
                std::string* prefix) {
  for (const std::string& p : prefixes)
    if (s.contains(p + key)) {
      *prefix = p;
      return true;
    }
  return false;
}

bool fromNames(const TensorStore& s, Detection* d) {
  if (findPrefix(s, "h.0.attn.c_attn.weight", {"", "transformer."}, &d->prefix)) {
    d->family = Family::Gpt2;
  } else if (findPrefix(s, "embeddings.register_tokens", {"", "dinov2."}, &d->prefix) ||
             findPrefix(s, "encoder.layer.0.layer_scale1.lambda1", {"", "dinov2."}, &d->prefix)) {
    d->family = Family::Dinov2;
  } else if (findPrefix(s, "embeddings.patch_embeddings.projection.weight", {"", "vit."}, &d->prefix)) {
    d->family = Family::HfVit;
  } else if (s.contains("blocks.0.attn.qkv.weight")) {
    d->family = Family::TimmVit;
    d->prefix.clear();
  } else {
    return false;
  }
  return true;
}

std::string foundText(const ConfigSource& c, const TensorStore& s) {
  std::string text;
  if (c.present()) {
    text += "; config keys: ";
    int n = 0;
    for (auto it = c.json.begin(); it != c.json.end() && n < 8; ++it, ++n) text += (n ? ", " : "") + it.key();
    if (c.json.size() > 8) text += ", …";
  }
  const std::vector<std::string> names = s.names();
  text += "; " + std::to_string(names.size()) + " tensors";
  for (std::size_t i = 0; i < names.size() && i < 6; ++i) text += (i ? ", " : ": ") + names[i];
  if (names.size() > 6) text += ", …";
  return text;
}
}  // namespace

Detection detectFamily(const ConfigSource& c, const TensorStore& s, const std::string& path) {
  Detection d;
  const std::string modelType = configString(c.json, "model_type", c.path);
  const std::string architecture = configString(c.json, "architecture", c.path);
  const bool named = fromNames(s, &d);
  const std::string known = "GPT-2 (gpt2), HF ViT (vit), DINOv2 (dinov2, dinov2_with_registers), timm ViT";
  if (!modelType.empty()) {
    Family want;
    if (modelType == "gpt2") {
      want = Family::Gpt2;
    } else if (modelType == "vit") {
      want = Family::HfVit;
    } else if (modelType == "dinov2" || modelType == "dinov2_with_registers") {
      want = Family::Dinov2;
    } else {
      throw FileError(c.path + ": model_type \"" + modelType + "\" is not one attnscope reads (" + known + ")" +
                      foundText(c, s));
    }
    if (!named || d.family != want) {
      // The config decides; the names must then be that family's (the prefix is still open).
      d.family = want;
      d.prefix.clear();
    }
    d.from = "config.json model_type";
    return d;
  }
  if (!architecture.empty()) {
    d.family = Family::TimmVit;
    d.prefix.clear();
    d.from = "config.json architecture";
    return d;
  }
  if (!named) throw FileError(path + ": not a checkpoint layout attnscope knows (" + known + ")" + foundText(c, s));
  d.from = "tensor names";
  return d;
}

}  // namespace attnscope::models
