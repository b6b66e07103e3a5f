// Tiny Llama-family checkpoints in the real Hugging Face layout (model.layers.i.self_attn.q_proj …)
// and an independent double-precision forward of them written from MODELS.md "Text: Llama family"
// with naive loops over the writer's own values: RMSNorm, rotate-half RoPE (Llama 3 scaling),
// grouped key/value heads, optional q/k/v biases, SiLU-gated MLP, tied or separate lm_head, the
// sliding window, and the next-token loss.
#pragma once

#include <string>
#include <vector>

#include "forward_reference.h"

namespace attnscope::test {

struct LlamaSpec {
  std::string modelType = "llama";  ///< llama, mistral, qwen2
  int layers = 2, heads = 4, kvHeads = 1, dModel = 32, headDim = 8, hidden = 48, vocab = 40;
  bool explicitHeadDim = false;     ///< write head_dim into config.json
  bool tied = true;
  bool qkvBias = false;             ///< Qwen2: q/k/v biases in the file, not in the config
  bool llama3Scaling = false;       ///< rope_scaling {"rope_type": "llama3", …}
  double ropeTheta = 10000;
  double factor = 4, lowFreqFactor = 1, highFreqFactor = 4;
  int originalPositions = 64;
  int slidingWindow = 0;            ///< Mistral's sliding_window (0 = null)
  int positions = 64;
  double eps = 1e-5;
  std::string dtype = "F32";
};

/// Llama 3 style (GQA 4:1, llama3 scaling, tied, BF16), Llama 2 style (4 KV heads, untied, F32),
/// Qwen2 style (biases, 2 KV heads, head_dim ≠ d_model/heads, untied), Mistral (sliding window 3).
LlamaSpec llama3Spec();
LlamaSpec llama2Spec();
LlamaSpec qwen2Spec();
LlamaSpec mistralSpec();

/// The tensors (random values, the real names) and config.json of `spec`.
TinyModel tinyLlama(const LlamaSpec& spec);

/// A Llama 3 style tokenizer.json (written from the format, independent of the reader): byte-level
/// BPE with the 256 byte symbols at ids 0–255 (GPT-2's byte→character map), merges to "he" 256,
/// "ll" 257, "hell" 258, "Ġw" 259, Llama 3's Split regex, and <|begin_of_text|> (260) added by the
/// post-processor. Models using it need a vocabulary of 261.
std::string llamaTokenizerJson();

struct LlamaRef {
  RefForward forward;          ///< per layer: q, k (after RoPE), v per QUERY head, probabilities
  std::vector<double> losses;  ///< next-token cross-entropy of positions 0 … N−2
  Mat logits;                  ///< positions 0 … N−1 × vocabulary
};

/// The reference forward of `model` (made by tinyLlama(spec)) on `ids`; with kvRank > 0 every
/// layer's K and V are the rank-r latent of X = [K/α | V] before RoPE (Eigen's JacobiSVD, double).
/// `linearLayers`: those layers' attention is causal linear attention instead (MATH.md, φ = relu + 1e-6).
LlamaRef referenceLlama(const TinyModel& model, const LlamaSpec& spec, const std::vector<int>& ids, int kvRank = 0,
                        const std::vector<int>& linearLayers = {});

}  // namespace attnscope::test
