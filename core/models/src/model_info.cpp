// What every family shares: shape checks, layer counting and the heads fallback.
#include <cmath>

#include "attnscope/setting_ref.h"
#include "attnscope/error.h"
#include "family_layout.h"

namespace attnscope::models {

void LayoutCheck::require(const std::string& name, const std::vector<std::int64_t>& shape) const {
  if (!store_.contains(name))
    throw FileError(store_.path() + ": missing tensor '" + name + "' (the " + family_ +
                    " layout needs it, shape " + shapeText(shape) + ")");
  optional(name, shape);
}

void LayoutCheck::optional(const std::string& name, const std::vector<std::int64_t>& shape) const {
  if (!store_.contains(name)) return;
  const TensorInfo& t = store_.info(name);
  if (t.shape != shape)
    throw FileError(store_.fileOf(name).path() + ": tensor '" + name + "' has shape " + shapeText(t.shape) +
                    " but " + source_ + " implies " + shapeText(shape));
}

std::vector<std::int64_t> LayoutCheck::shapeOf(const std::string& name, std::size_t rank) const {
  if (!store_.contains(name))
    throw FileError(store_.path() + ": missing tensor '" + name + "' (the " + family_ + " layout needs it)");
  const TensorInfo& t = store_.info(name);
  if (t.shape.size() != rank)
    throw FileError(store_.fileOf(name).path() + ": tensor '" + name + "' has shape " + shapeText(t.shape) +
                    "; the " + family_ + " layout needs " + std::to_string(rank) + " dimensions");
  for (std::int64_t d : t.shape)
    if (d <= 0 || d > 1'000'000'000)
      throw FileError(store_.fileOf(name).path() + ": tensor '" + name + "' has shape " + shapeText(t.shape));
  return t.shape;
}

int countLayers(const TensorStore& store, const std::string& before, const std::string& after) {
  int i = 0;
  while (store.contains(before + std::to_string(i) + after)) ++i;
  return i;
}

int fallbackHeads(int given, int dModel, const std::string& path) {
  if (given > 0) return given;
  if (dModel % 64 == 0) return dModel / 64;
  throw FileError(path + ": the number of heads is not in a config; give it (" + settingRef("model.heads") + ")");
}

int exactSqrt(std::int64_t n) {
  if (n < 0) return -1;
  const auto r = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  return r * r == n ? static_cast<int>(r) : -1;
}

}  // namespace attnscope::models
