#include "attnscope/models/tensor_store.h"

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "attnscope/models/json_config.h"

namespace attnscope::models {

namespace {
bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

TensorStore TensorStore::open(const std::string& path) {
  if (isDirectory(path)) {
    const std::string index = joinPath(path, "model.safetensors.index.json");
    if (pathExists(index)) return openIndex(index);
    const std::string single = joinPath(path, "model.safetensors");
    if (pathExists(single)) return openFile(single);
    throw FileError(path + ": no model.safetensors or model.safetensors.index.json in this folder");
  }
  if (endsWith(path, ".json")) return openIndex(path);
  return openFile(path);
}

TensorStore TensorStore::openFile(const std::string& path) {
  TensorStore s;
  s.path_ = path;
  s.shards_.push_back(SafetensorsFile::open(path));
  for (const std::string& name : s.shards_[0]->names()) s.where_[name] = 0;
  return s;
}

TensorStore TensorStore::openIndex(const std::string& indexPath) {
  const nlohmann::json index = readJsonFile(indexPath);
  const auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object())
    throw FileError(indexPath + ": no \"weight_map\" object");
  TensorStore s;
  s.path_ = indexPath;
  const std::string dir = parentDir(indexPath);
  std::map<std::string, std::size_t> shardOf;  // file name → shard
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it.value().is_string())
      throw FileError(indexPath + ": tensor '" + it.key() + "': weight_map value is not a file name");
    const std::string file = it.value().get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos ||
        file == "." || file == "..")
      throw FileError(indexPath + ": tensor '" + it.key() + "': shard \"" + file +
                      "\" must be a file name in the index's folder");
    auto found = shardOf.find(file);
    if (found == shardOf.end()) {
      s.shards_.push_back(SafetensorsFile::open(joinPath(dir, file)));
      found = shardOf.emplace(file, s.shards_.size() - 1).first;
      // A name in two shards is ambiguous, whatever the index says.
      for (const std::string& name : s.shards_.back()->names())
        for (std::size_t other = 0; other + 1 < s.shards_.size(); ++other)
          if (s.shards_[other]->contains(name))
            throw FileError(indexPath + ": tensor '" + name + "' is in two shards, " +
                            s.shards_[other]->path() + " and " + s.shards_.back()->path());
    }
    const SafetensorsFile& shard = *s.shards_[found->second];
    if (!shard.contains(it.key()))
      throw FileError(indexPath + ": tensor '" + it.key() + "' is listed in the index but missing from " +
                      shard.path());
    s.where_[it.key()] = found->second;
  }
  return s;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& [name, shard] : where_) out.push_back(name);
  return out;
}

const SafetensorsFile& TensorStore::fileOf(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) throw FileError(path_ + ": no tensor '" + name + "'");
  return *shards_[it->second];
}

const TensorInfo& TensorStore::info(const std::string& name) const { return fileOf(name).info(name); }

std::vector<std::string> TensorStore::files() const {
  std::vector<std::string> out;
  for (const auto& s : shards_) out.push_back(s->path());
  return out;
}

}  // namespace attnscope::models
