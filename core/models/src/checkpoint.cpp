#include "attnscope/models/checkpoint.h"

#include <set>

#include "attnscope/error.h"
#include "family_layout.h"
#include "json_config.h"

namespace attnscope::models {

namespace {
/// GPT-2's causal-mask buffers ("h.i.attn.bias", "h.i.attn.masked_bias") are not parameters.
bool isBuffer(const ModelInfo& m, const std::string& name) {
  if (m.family != Family::Gpt2) return false;
  auto ends = [&](const std::string& t) {
    return name.size() >= t.size() && name.compare(name.size() - t.size(), t.size(), t) == 0;
  };
  return ends(".attn.bias") || ends(".attn.masked_bias");
}

ModelInfo familyInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o) {
  switch (d.family) {
    case Family::Gpt2:
      return gpt2Info(d, c, s, o);
    case Family::HfVit:
    case Family::Dinov2:
      return hfVitInfo(d, c, s, o);
    case Family::TimmVit:
      return timmVitInfo(d, c, s, o);
  }
  throw FileError(s.path() + ": unknown family");
}
}  // namespace

Checkpoint Checkpoint::open(const std::string& path, const OpenOptions& options) {
  Checkpoint cp;
  cp.path_ = path;
  ConfigSource config;
  if (isDirectory(path)) {
    const std::string cfg = joinPath(path, "config.json");
    if (fileExists(cfg)) {
      config.json = readJsonFile(cfg);
      config.path = cfg;
    }
  } else if (!fileExists(path)) {
    throw FileError(path + ": no such file or folder");
  }
  cp.configPath_ = config.path;
  cp.tensors_ = TensorStore::open(path);

  const Detection d = detectFamily(config, cp.tensors_, path);
  // Prefixes the config cannot tell: take the one the names use.
  Detection chosen = d;
  if (d.family == Family::Gpt2 && !cp.tensors_.contains("wte.weight") && cp.tensors_.contains("transformer.wte.weight"))
    chosen.prefix = "transformer.";
  if (d.family == Family::HfVit && !cp.tensors_.contains("embeddings.cls_token") &&
      cp.tensors_.contains("vit.embeddings.cls_token"))
    chosen.prefix = "vit.";
  if (d.family == Family::Dinov2 && !cp.tensors_.contains("embeddings.cls_token") &&
      cp.tensors_.contains("dinov2.embeddings.cls_token"))
    chosen.prefix = "dinov2.";

  ModelInfo m = familyInfo(chosen, config, cp.tensors_, options);
  m.dHead = m.dModel / m.heads;
  std::set<std::string> dtypes;
  for (const std::string& name : cp.tensors_.names()) {
    if (isBuffer(m, name)) continue;
    const TensorInfo& t = cp.tensors_.info(name);
    m.parameters += t.numel();
    dtypes.insert(dtypeName(t.dtype));
  }
  m.dtypes.assign(dtypes.begin(), dtypes.end());
  cp.info_ = std::move(m);
  return cp;
}

}  // namespace attnscope::models
