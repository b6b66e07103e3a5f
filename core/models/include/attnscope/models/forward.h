// The native forward of a checkpoint (MODELS.md): GPT-2 on token ids, the ViT family on a
// preprocessed image, in float32 on the Eigen core (GEMM-shaped: projections are matrix products
// over all tokens, attention one product per head). It keeps what the analysis needs: every layer's
// per-head Q, K, V exactly as the model's attention uses them, and on request the attention
// probabilities of chosen layers (never an L×H×N×N tensor unless asked and within the budget).
//
// Weights are read where they lie: float32 tensors of a mapped file are used in place (no copy);
// F16, BF16 and F64 tensors are converted once, when the model is bound.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/models/checkpoint.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"
#include "attnscope/types.h"

namespace attnscope::models {

/// A normalised image as the patch embedding takes it: 3 channels, height by width, CHW order.
struct PixelInput {
  int width = 0, height = 0;
  std::vector<float> chw;  ///< 3·height·width values: channel c, row y, column x at (c·height + y)·width + x
};

/// What the forward runs on: token ids (text models) or pixels (image models).
struct ModelInput {
  std::vector<int> ids;
  PixelInput pixels;
};

struct ForwardOptions {
  /// Layers whose Q/K/V are kept (0-based); empty = every layer.
  std::vector<int> keepLayers;
  /// Layers whose attention probabilities are kept (all heads); empty = none.
  std::vector<int> probabilityLayers;
  /// Bytes the kept probabilities may take (layers × H × N² × 4); more is a BudgetExceeded.
  std::int64_t probabilityBudgetBytes = std::int64_t(2) << 30;
  /// Compute threads; 0 = the core's default (every core).
  int threads = 0;
};

/// One layer's attention as the model computed it.
struct LayerAttention {
  int layer = -1;
  Qkv qkv;  ///< per head: Q, K (N × d_head), V (N × d_head)
  /// Per head N × N probabilities (rows sum to 1; causal for GPT-2); empty unless asked.
  std::vector<MatrixF> probabilities;
};

struct ForwardResult {
  int tokens = 0;                     ///< N
  int prefixTokens = 0;               ///< tokens before the patch grid (CLS, registers); 0 for text
  int gridRows = 0, gridCols = 0;     ///< image models: the patch grid
  bool causal = false;                ///< GPT-2's attention is causal
  float scale = 1.0f;                 ///< the attention's scale 1/√d_head
  std::vector<LayerAttention> layers; ///< the kept layers, ascending
  MatrixF finalHidden;                ///< N × D after the final LayerNorm

  /// The kept layer `layer`; throws InvalidArgument when it was not kept.
  const LayerAttention& layer(int layer) const;
};

class BoundWeights;

/// A checkpoint bound for running: weights resolved once (float32 ones mapped in place).
class ModelRunner {
 public:
  explicit ModelRunner(const Checkpoint& checkpoint);
  ~ModelRunner();
  ModelRunner(ModelRunner&&) noexcept;
  ModelRunner& operator=(ModelRunner&&) noexcept;

  const ModelInfo& info() const { return info_; }
  /// Runs the forward. Text models need `input.ids` (each < vocabulary, at most `positions` of
  /// them); image models need `input.pixels` with sides that are multiples of the patch size (any
  /// grid other than the training one resamples the patch position embeddings, MODELS.md).
  /// Reports progress per layer and stops (Cancelled) between layers when `job` says so.
  ForwardResult run(const ModelInput& input, const ForwardOptions& options = {}, const JobControl& job = {}) const;
  /// Bytes of weights converted to float32 at bind time (0 when every tensor is a mapped F32).
  std::int64_t convertedBytes() const;

 private:
  ModelInfo info_;
  std::unique_ptr<BoundWeights> w_;
};

/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's activation.
float geluTanh(float x);
/// 0.5·x·(1 + erf(x/√2)), the ViTs' activation.
float geluErf(float x);

}  // namespace attnscope::models
