// The model families attnscope reads (MODELS.md), as plug-ins of one registry. A family is its own
// files plus one registerFamily() call: how its files name it (config.json's model_type, tensor
// names), what its config and tensors hold (info), where the forward finds its weights (bind: the
// norms, Q/K/V with any number of KV heads, the MLP, the embeddings, into BoundWeights), whether it
// reads text or images, and its image preprocessing. The built-in families are registered in
// families.cpp; a test adds a toy one (tests/models/test_toy_family.cpp).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::models {

struct ModelInfo;
struct OpenOptions;
struct Detection;
struct ConfigSource;
struct ImagePreprocess;
class TensorStore;
class BoundWeights;
class Checkpoint;
struct Encoding;

/// A family by its registry name ("gpt2"); the built-in ones have constants.
class Family {
 public:
  Family() = default;
  explicit Family(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool operator==(const Family& o) const { return name_ == o.name_; }
  bool operator!=(const Family& o) const { return name_ != o.name_; }

  static const Family Gpt2, HfVit, TimmVit, Dinov2, Llama;

 private:
  std::string name_ = "gpt2";
};
inline std::ostream& operator<<(std::ostream& os, const Family& f) { return os << f.name(); }

struct FamilyEntry {
  Family family;
  std::string description;  ///< "GPT-2 (Hugging Face)", ...
  bool text = false;        ///< text model (vocabulary) or image model (patches)
  bool causal = false;      ///< its attention masks future tokens (a language model)

  // How its files say what they are.
  std::vector<std::string> modelTypes;  ///< config.json "model_type" values naming it
  bool timmArchitecture = false;        ///< config.json "architecture" (timm's) names it
  /// Tensor names (after a prefix) only its checkpoints have; detection from the names tries the
  /// families by `detectOrder` (lower first), then registry order.
  std::vector<std::string> anchors;
  std::vector<std::string> prefixes{""};  ///< name prefixes its checkpoints use ("", "transformer.")
  int detectOrder = 0;

  /// ModelInfo from config.json and the tensors, every tensor the forward reads checked (FileError).
  std::function<ModelInfo(const Detection&, const ConfigSource&, const TensorStore&, const OpenOptions&)> info;
  /// Where the forward finds each weight (BoundWeights' blocks, embeddings, final norm).
  std::function<void(const ModelInfo&, BoundWeights&)> bind;
  /// A tensor that is not a parameter (GPT-2's causal-mask buffers); empty: none.
  std::function<bool(const std::string& tensor)> isBuffer;
  /// Text models: the text's tokens as the checkpoint's tokenizer makes them (GPT-2: the byte-level
  /// BPE of the model folder's tokenizer.json or vocab.json + merges.txt), at most `maxTokens` of
  /// them: a tokenizer that can stops there (GPT-2's does: memory and time bounded by the budget,
  /// not the text); exactly maxTokens tokens may have been cut. Throws FileError.
  std::function<Encoding(const Checkpoint&, std::string_view utf8, std::size_t maxTokens)> tokenize;
  /// Image models: the reference's preprocessing (empty for text models).
  std::function<ImagePreprocess(const Checkpoint&)> preprocess;
  /// Image models: position embeddings resampled with antialiasing (timm) or without (HF).
  bool positionAntialias = false;

  const std::string& name() const { return family.name(); }
};

/// Every family: the built-in ones (gpt2, vit, timm-vit, dinov2, llama), then registered ones.
const std::vector<FamilyEntry>& families();
/// The entry of `f`; throws InvalidArgument for a family that is not registered.
const FamilyEntry& familyEntry(const Family& f);
/// Adds a family (a new name of [a-z0-9_-], info and bind set; throws InvalidArgument). Call it
/// before checkpoints are opened (start-up, a test's set-up).
void registerFamily(FamilyEntry entry);
/// Removes a family registerFamily added (tests clean up after them).
void unregisterFamily(const std::string& name);

}  // namespace attnscope::models
