// A trained checkpoint: a folder (config.json + model.safetensors or its sharded index) or a single
// .safetensors file. Opening one detects the family (config.json's "model_type" or timm's
// "architecture"; failing that, the tensor names), derives ModelInfo from the config and checks it
// against the shapes of every tensor the family's forward needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/models/family.h"
#include "attnscope/models/tensor_store.h"

namespace attnscope::models {

/// Rotary position embedding (RoPE, rotate-half convention of the Hugging Face Llama code).
struct RopeSpec {
  double theta = 0;           ///< rope_theta; 0 = the model has no rotary embedding
  std::string scaling;        ///< "" (none) or "llama3"
  double factor = 1, lowFreqFactor = 1, highFreqFactor = 4;  ///< Llama 3 scaling
  int originalPositions = 0;  ///< Llama 3 scaling: original_max_position_embeddings
  bool present() const { return theta > 0; }
  /// "θ = 500000, llama3 scaling (factor 32, low 1, high 4, original 8192)", "none".
  std::string describe() const;
  /// The rotation frequency of each of the d/2 pairs of a head of `dHead` (θ^(−2i/d), scaled).
  std::vector<double> inverseFrequencies(int dHead) const;
};

/// What a checkpoint is. Sizes are counts; 0 = does not apply (vocabulary for image models, ...).
struct ModelInfo {
  Family family = Family::Gpt2;
  std::string detectedFrom;   ///< "config.json model_type", "config.json architecture", "tensor names"
  std::string prefix;         ///< tensor-name prefix: "", "transformer.", "vit."
  std::string architecture;   ///< timm's architecture name, or config's model_type
  int layers = 0;
  int heads = 0;
  int kvHeads = 0;            ///< key/value heads (grouped-query attention); 0 = heads
  int dModel = 0;
  int dHead = 0;              ///< dModel / heads
  int mlpHidden = 0;          ///< hidden width of the MLP
  int vocabSize = 0;          ///< text models
  int patchSize = 0;          ///< image models
  int imageSize = 0;          ///< image models: training resolution (square side, pixels)
  int positions = 0;          ///< GPT-2 n_positions; ViTs: rows of the position embeddings
  int registers = 0;          ///< DINOv2 with registers / timm reg tokens
  double layerNormEps = 0;
  RopeSpec rope;              ///< Llama family: rotary positions on Q and K
  int slidingWindow = 0;      ///< Mistral: keys older than this many positions are masked; 0 = none
  bool tiedEmbeddings = false;  ///< the logits use the token embedding (GPT-2, tie_word_embeddings)
  std::vector<std::string> dtypes;  ///< sorted dtype names of the parameters
  std::int64_t parameters = 0;      ///< elements of every parameter (GPT-2 mask buffers excluded)

  /// Key/value heads: kvHeads, or heads when it is not set.
  int keyValueHeads() const { return kvHeads > 0 ? kvHeads : heads; }
};

struct OpenOptions {
  /// Heads when neither config.json nor (timm) the architecture name tells; 0 = none given, then
  /// d_model / 64 when that divides, else an error asking for it.
  int heads = 0;
};

class Checkpoint {
 public:
  /// Throws FileError naming the file (and tensor, and expected and found shape) on any problem.
  static Checkpoint open(const std::string& path, const OpenOptions& options = {});

  const ModelInfo& info() const { return info_; }
  const TensorStore& tensors() const { return tensors_; }
  const std::string& path() const { return path_; }
  /// The folder the checkpoint is in (path() itself when that is a folder): where its tokenizer
  /// and preprocessing files are.
  std::string folder() const;
  /// config.json's path, empty when there is none.
  const std::string& configPath() const { return configPath_; }
  /// The first `max` tensors (in name order) holding a NaN or an infinity, each as "tensor
  /// 'h.0.mlp.c_fc.weight' (NaN at element 3)"; empty when every readable tensor is finite. Reads
  /// every tensor: for an error message, after the forward met a non-finite value.
  std::vector<std::string> nonFiniteTensors(std::size_t max = 3) const;

 private:
  std::string path_, configPath_;
  TensorStore tensors_;
  ModelInfo info_;
};

}  // namespace attnscope::models
