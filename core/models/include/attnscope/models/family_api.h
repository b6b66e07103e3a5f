// What a model family's plug-in (family.h) works with: the detection, the config, the shape
// checks of its tensors and a few helpers its info function needs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/models/checkpoint.h"

namespace attnscope::models {

/// Which family, its tensor-name prefix and what told us.
struct Detection {
  Family family = Family::Gpt2;
  std::string prefix;
  std::string from;  ///< "config.json model_type", "config.json architecture", "tensor names"
};

/// Where the config came from: the parsed object (empty without one) and its path for messages.
struct ConfigSource {
  nlohmann::json json = nlohmann::json::object();
  std::string path;  ///< empty without config.json
  bool present() const { return !path.empty(); }
  /// What messages say a value came from: the config's path, or "the tensor shapes".
  std::string source() const { return present() ? path : "the tensor shapes"; }
};

/// Checks tensors of `store` against the shapes a family's forward needs.
class LayoutCheck {
 public:
  LayoutCheck(const TensorStore& store, std::string familyName, std::string source)
      : store_(store), family_(std::move(familyName)), source_(std::move(source)) {}
  /// `name` must exist with exactly `shape`.
  void require(const std::string& name, const std::vector<std::int64_t>& shape) const;
  /// When `name` exists it must have `shape`.
  void optional(const std::string& name, const std::vector<std::int64_t>& shape) const;
  /// `name`'s shape (it must exist and have rank `rank`).
  std::vector<std::int64_t> shapeOf(const std::string& name, std::size_t rank) const;

 private:
  const TensorStore& store_;
  std::string family_, source_;
};

/// Layers counted from the names: the first i for which `before + i + after` is missing.
int countLayers(const TensorStore& store, const std::string& before, const std::string& after);
/// Heads when the config does not say: `given` if > 0, else d_model / 64 when it divides; else a
/// FileError naming `path` that asks for them.
int fallbackHeads(int given, int dModel, const std::string& path);
/// int(sqrt(n)) when n is a perfect square, else -1.
int exactSqrt(std::int64_t n);

}  // namespace attnscope::models
