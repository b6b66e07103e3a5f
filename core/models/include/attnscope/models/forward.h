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
#include <functional>
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

/// A layer's attention replaced (MATH.md "Replacing a layer's attention"): given the layer's Q/K/V
/// as the forward uses them (Q per query head, K and V per key/value head, RoPE applied), the
/// output A·V of every query head (N × d each) that the layer then projects instead of softmax's.
using AttentionReplacement = std::function<std::vector<MatrixF>(int layer, const Qkv& qkv)>;

struct ForwardResult;

struct ForwardOptions {
  /// Layers whose Q/K/V are kept (0-based); empty = every layer.
  std::vector<int> keepLayers;
  /// Layers whose attention probabilities are kept (all heads); empty = none.
  std::vector<int> probabilityLayers;
  /// Bytes the kept probabilities may take (layers × H × N² × 4); more is a BudgetExceeded.
  std::int64_t probabilityBudgetBytes = std::int64_t(2) << 30;
  /// Compute threads; 0 = the core's default (every core).
  int threads = 0;
  /// Low-rank K/V (MATH.md "Low-rank K/V", what MLA keeps): with kvRank > 0 the layers in
  /// `kvRankLayers` (empty = every layer) run on the rank-r latent of X = [K/α | V] (K before
  /// RoPE, every KV head side by side, α = ‖K‖_F/‖V‖_F); RoPE is applied after (not TransMLA's
  /// RoRoPE). A rank ≥ min(N, 2·H_kv·d) leaves K and V exactly as they were.
  int kvRank = 0;
  std::vector<int> kvRankLayers;
  /// Keep each kept layer's K/V spectrum (LayerAttention::kvSpectrum).
  bool kvSpectra = false;
  /// Layers whose attention `replacement` computes (their probabilities are then not kept).
  std::vector<int> replaceLayers;
  AttentionReplacement replacement;
  /// Keep the residual stream at the input of every layer and after the last (ForwardResult::
  /// residual, L + 1 matrices of N × D), so later runs can resume from it.
  bool keepResidual = false;
  /// Resume from a forward of the same input that kept its residual stream: layers before the first
  /// replaced one are not run again (their Q/K/V are not in the result); nothing replaced: only the
  /// final norm runs. The numbers equal a full run's.
  const ForwardResult* resumeFrom = nullptr;
};

/// Next-token statistics of two forwards of the same tokens (positions 0 … N−2 against token t+1):
/// a reference (the model) and another (a hybrid).
struct NextTokenComparison {
  std::vector<double> nllReference, nll;  ///< cross-entropy per position, nats
  std::vector<double> kl;                 ///< KL(p_reference ‖ p) per position
  std::vector<int> argmaxReference, argmax;
};

/// The singular values of one layer's X = [K/α | V] (descending) and its α.
struct KvSpectrum {
  double alpha = 1;
  std::vector<double> singularValues;
  bool empty() const { return singularValues.empty(); }
};

/// The smallest r whose top r singular values hold `fraction` of Σσ² (0 for an all-zero spectrum).
int energyRank(const std::vector<double>& singularValues, double fraction);

/// One layer's attention as the model computed it.
struct LayerAttention {
  int layer = -1;
  /// Per query head Q (N × d_head), per key/value head K and V (N × d_head; `kvOf` maps query heads
  /// to them when the model groups them); with RoPE, Q and K are after the rotation.
  Qkv qkv;
  /// Per head N × N probabilities (rows sum to 1; causal for GPT-2); empty unless asked.
  std::vector<MatrixF> probabilities;
  KvSpectrum kvSpectrum;  ///< with ForwardOptions::kvSpectra, or when the low rank ran on this layer
  int kvRank = 0;         ///< the rank K/V ran at (0 = as the model computed them)
};

struct ForwardResult {
  int tokens = 0;                     ///< N
  int prefixTokens = 0;               ///< tokens before the patch grid (CLS, registers); 0 for text
  int gridRows = 0, gridCols = 0;     ///< image models: the patch grid
  bool causal = false;                ///< GPT-2's attention is causal
  int slidingWindow = 0;              ///< Mistral: query i sees keys i − window + 1 … i; 0 = all
  float scale = 1.0f;                 ///< the attention's scale 1/√d_head
  std::vector<LayerAttention> layers; ///< the kept layers, ascending
  MatrixF finalHidden;                ///< N × D after the final LayerNorm
  /// With ForwardOptions::keepResidual: the residual stream entering layer 0 … L−1, then after
  /// layer L−1 (before the final norm).
  std::vector<MatrixF> residual;

  /// The kept layer `layer`; throws InvalidArgument when it was not kept.
  const LayerAttention& layer(int layer) const;
  /// Query head `head`'s N × N probabilities at kept layer `layer`, recomputed from its kept Q and
  /// K with the model's scale and masks (causal, sliding window): what the forward used.
  MatrixF probabilities(int layer, int head) const;
};

/// Converted float32 copies of F16/BF16/F64 weights above this many bytes in all are not made:
/// the big matrices (projections, embeddings, lm_head) are then streamed, converted per product
/// in parallel into a buffer the thread keeps. A 1B-parameter bf16 model keeps its 2.5 GB mapped
/// instead of adding 5 GB of floats; measured on a 155M-parameter bf16 Llama at N = 256 (bench
/// --model --weights): 1.61–1.78 s streamed vs 1.63–1.64 s converted, peak 0.43 vs 0.96 GB.
constexpr std::int64_t kStreamAboveBytes = std::int64_t(256) << 20;

class BoundWeights;

/// A checkpoint bound for running: weights resolved once (float32 ones mapped in place).
class ModelRunner {
 public:
  /// Big F16/BF16/F64 matrices are streamed (converted per use, never all at once) when converting
  /// every non-F32 tensor would take more than `streamAboveBytes` (bound_weights.h).
  explicit ModelRunner(const Checkpoint& checkpoint, std::int64_t streamAboveBytes = kStreamAboveBytes);
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
  /// Text models: NextTokenComparison of `other` against `reference` (both forwards of `ids`), the
  /// logits in vocabulary chunks.
  NextTokenComparison compareNextTokens(const ForwardResult& reference, const ForwardResult& other,
                                        const std::vector<int>& ids, const JobControl& job = {}) const;
  /// Whether the big non-F32 matrices are streamed rather than converted at bind time.
  bool streamsWeights() const;
  /// Text models: the next-token cross-entropy (nats) of each position 0 … N−2 against token t+1,
  /// from logits = result.finalHidden·W_lmᵀ (computed in blocks of rows; never N × vocab at once).
  /// `ids` are the forward's tokens. Throws InvalidArgument for image models or mismatched ids.
  std::vector<double> tokenLosses(const ForwardResult& result, const std::vector<int>& ids,
                                  const JobControl& job = {}) const;

 private:
  ModelInfo info_;
  std::unique_ptr<BoundWeights> w_;
};

/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's activation.
float geluTanh(float x);
/// 0.5·x·(1 + erf(x/√2)), the ViTs' activation.
float geluErf(float x);

}  // namespace attnscope::models
