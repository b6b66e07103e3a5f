// Which family a checkpoint is: config.json's model_type / architecture, else the tensor names.
#include <algorithm>

#include "attnscope/error.h"
#include "family_layout.h"
#include "attnscope/models/json_config.h"

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

/// The families in the order detection from the names tries them.
std::vector<const FamilyEntry*> detectionOrder() {
  std::vector<const FamilyEntry*> out;
  for (const FamilyEntry& e : families()) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(),
                   [](const FamilyEntry* a, const FamilyEntry* b) { return a->detectOrder < b->detectOrder; });
  return out;
}

/// The first prefix of `e` under which one of its anchors is a tensor.
bool anchoredPrefix(const FamilyEntry& e, const TensorStore& s, std::string* prefix) {
  for (const std::string& p : e.prefixes)
    for (const std::string& a : e.anchors)
      if (s.contains(p + a)) {
        *prefix = p;
        return true;
      }
  return false;
}

bool fromNames(const TensorStore& s, Detection* d) {
  for (const FamilyEntry* e : detectionOrder())
    if (anchoredPrefix(*e, s, &d->prefix)) {
      d->family = e->family;
      return true;
    }
  return false;
}

/// "GPT-2 (gpt2), ViT / DeiT / DINO (Hugging Face) (vit), …": what detection knows.
std::string knownText() {
  std::string out;
  for (const FamilyEntry& e : families()) {
    std::string how;
    for (const std::string& t : e.modelTypes) how += (how.empty() ? "" : ", ") + t;
    if (e.timmArchitecture) how += std::string(how.empty() ? "" : ", ") + "timm architecture";
    out += (out.empty() ? "" : "; ") + e.description + (how.empty() ? "" : " (" + how + ")");
  }
  return out;
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
  // The config decides; the prefix is then the one that family's names use (or none).
  auto decided = [&](const FamilyEntry& e, const char* from) {
    if (!named || d.family != e.family) {
      d.family = e.family;
      d.prefix.clear();
      anchoredPrefix(e, s, &d.prefix);
    }
    d.from = from;
    return d;
  };
  if (!modelType.empty()) {
    for (const FamilyEntry& e : families())
      if (std::find(e.modelTypes.begin(), e.modelTypes.end(), modelType) != e.modelTypes.end())
        return decided(e, "config.json model_type");
    throw FileError(c.path + ": model_type \"" + modelType + "\" is not one attnscope reads (" + knownText() + ")" +
                    foundText(c, s));
  }
  if (!architecture.empty())
    for (const FamilyEntry& e : families())
      if (e.timmArchitecture) return decided(e, "config.json architecture");
  if (!named) throw FileError(path + ": not a checkpoint layout attnscope knows (" + knownText() + ")" + foundText(c, s));
  d.from = "tensor names";
  return d;
}

}  // namespace attnscope::models
