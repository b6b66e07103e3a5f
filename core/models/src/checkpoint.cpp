#include "attnscope/models/checkpoint.h"

#include <cmath>
#include <set>

#include "attnscope/error.h"
#include "family_layout.h"
#include "attnscope/models/json_config.h"

namespace attnscope::models {

Checkpoint Checkpoint::open(const std::string& path, const OpenOptions& options) {
  Checkpoint cp;
  cp.path_ = path;
  ConfigSource config;
  if (isDirectory(path)) {
    const std::string cfg = joinPath(path, "config.json");
    if (pathExists(cfg)) {
      config.json = readJsonFile(cfg);
      config.path = cfg;
    }
  } else if (!pathExists(path)) {
    throw FileError(path + ": no such file or folder");
  }
  cp.configPath_ = config.path;
  cp.tensors_ = TensorStore::open(path);

  const Detection d = detectFamily(config, cp.tensors_, path);
  const FamilyEntry& family = familyEntry(d.family);
  ModelInfo m = family.info(d, config, cp.tensors_, options);
  if (m.dHead == 0) m.dHead = m.dModel / m.heads;  // a family whose head_dim is its own sets it
  std::set<std::string> dtypes;
  for (const std::string& name : cp.tensors_.names()) {
    if (family.isBuffer && family.isBuffer(name)) continue;
    const TensorInfo& t = cp.tensors_.info(name);
    m.parameters += t.numel();
    dtypes.insert(dtypeName(t.dtype));
  }
  m.dtypes.assign(dtypes.begin(), dtypes.end());
  cp.info_ = std::move(m);
  return cp;
}

std::string Checkpoint::folder() const {
  if (isDirectory(path_)) return path_;
  const std::size_t slash = path_.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path_.substr(0, slash);
}

std::vector<std::string> Checkpoint::nonFiniteTensors(std::size_t max) const {
  std::vector<std::string> out;
  for (const std::string& name : tensors_.names()) {
    if (out.size() >= max) break;
    if (!isReadable(tensors_.info(name).dtype)) continue;
    const std::vector<float> v = tensors_.values(name);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) {
        out.push_back("tensor '" + name + "' (" + (std::isnan(v[i]) ? "NaN" : "an infinity") + " at element " +
                      std::to_string(i) + ")");
        break;
      }
  }
  return out;
}

}  // namespace attnscope::models
