// The tensors of a checkpoint: one .safetensors file, or the shards named by a
// model.safetensors.index.json ({"weight_map": {NAME: FILE}}), each shard mapped once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/models/safetensors.h"

namespace attnscope::models {

class TensorStore {
 public:
  /// PATH = a .safetensors file, an index .json, or a folder holding model.safetensors.index.json
  /// (preferred) or model.safetensors. Throws FileError naming the file and tensor.
  static TensorStore open(const std::string& path);
  /// One file.
  static TensorStore openFile(const std::string& path);
  /// An index: every shard it names (relative to the index's folder; no '/' or '..') is opened once;
  /// a tensor of the index missing from its shard, or a name held by two shards, is an error.
  static TensorStore openIndex(const std::string& indexPath);

  /// Sorted names.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const { return where_.count(name) > 0; }
  /// Throws FileError "PATH: no tensor 'NAME'" (PATH = the file or index).
  const TensorInfo& info(const std::string& name) const;
  /// The shard that holds `name`.
  const SafetensorsFile& fileOf(const std::string& name) const;
  /// See SafetensorsFile::values / matrix for the shapes.
  std::vector<float> values(const std::string& name) const { return fileOf(name).values(name); }
  MatrixF matrix(const std::string& name) const { return fileOf(name).matrix(name); }
  /// The file or index this store was opened from.
  const std::string& path() const { return path_; }
  /// The shard files, in the order opened.
  std::vector<std::string> files() const;

 private:
  std::string path_;
  std::vector<std::shared_ptr<const SafetensorsFile>> shards_;
  std::map<std::string, std::size_t> where_;  // name → shard
};

}  // namespace attnscope::models
