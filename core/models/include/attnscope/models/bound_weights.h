// A checkpoint's tensors resolved for the forward: each weight a read-only row-major view, in place
// over the mapped file for little-endian, float-aligned F32 tensors, else over a float32 copy made
// once at bind time.
#pragma once

#include <Eigen/Core>
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "attnscope/models/checkpoint.h"
#include "attnscope/models/dtype.h"
#include "attnscope/models/forward.h"  // kStreamAboveBytes
#include "attnscope/types.h"

namespace attnscope::models {

using ConstMap = Eigen::Map<const MatrixF>;

/// rows × cols floats, row-major, that outlive the forward (the mapped file or a converted copy);
/// or, for a streamed weight, the tensor's bytes in the mapped file and their dtype, converted to
/// float32 where the forward uses them (then `data` is null).
struct View {
  const float* data = nullptr;
  Eigen::Index rows = 0, cols = 0;
  const unsigned char* raw = nullptr;  ///< streamed: little-endian `dtype` values
  Dtype dtype = Dtype::F32;
  bool empty() const { return data == nullptr && raw == nullptr; }
  bool streamed() const { return data == nullptr && raw != nullptr; }
  /// The floats (not for a streamed view).
  ConstMap map() const { return ConstMap(data, rows, cols); }
  /// Rows [first, first + count) as floats into dst (count·cols of them), streamed or not.
  void copyRows(Eigen::Index first, Eigen::Index count, float* dst) const;
  /// The view as a row vector (rows must be 1).
  Eigen::Map<const Eigen::RowVectorXf> row() const { return Eigen::Map<const Eigen::RowVectorXf>(data, cols); }
};

/// A linear layer y = x·Wᵀ + b (PyTorch Linear, W is [out, in]) or y = x·W + b (GPT-2's Conv1D,
/// W is [in, out]); the bias may be absent.
struct Linear {
  View weight, bias;
  bool inOut = false;  ///< W stored [in, out] (Conv1D)
  Eigen::Index outputs() const { return inOut ? weight.cols : weight.rows; }
  /// x·W(ᵀ) + b into `y` (resized to x.rows() × outputs()).
  void apply(const MatrixF& x, MatrixF& y) const;
};

/// A norm over each row: LayerNorm (x − mean)/√(var + eps)·w + b (biased variance), or with `rms`
/// RMSNorm x/√(mean(x²) + eps)·w (no bias; Llama).
struct LayerNormW {
  View weight, bias;
  float eps = 1e-5f;
  bool rms = false;
  /// The norm of each row of x, into y.
  void apply(const MatrixF& x, MatrixF& y) const;
};

/// One pre-norm block: h += proj(attention(ln1(h))); h += fc2(mlp(ln2(h))).
struct BlockWeights {
  LayerNormW ln1, ln2;
  /// Fused [q | k | v] projection (GPT-2 c_attn, timm attn.qkv), or three separate ones (HF, and
  /// grouped-query models whose k and v have fewer heads than q).
  Linear qkv, q, k, v;
  bool fused = false;
  Linear proj;
  /// MLP: fc2(act(fc1(x))); with `swiglu` fc1 holds [x1 | x2] and act is silu(x1) ⊙ x2; with a
  /// `gate` (Llama's gate_proj, fc1 = up_proj) it is silu(gate(x)) ⊙ fc1(x).
  Linear fc1, fc2, gate;
  bool swiglu = false;
  View layerScale1, layerScale2;  ///< DINOv2's λ₁, λ₂ (empty elsewhere)
};


class BoundWeights {
 public:
  /// `streamAboveBytes`: stream the big non-F32 matrices when converting every non-F32 tensor would
  /// take more than this (0: always stream them; tests).
  explicit BoundWeights(const Checkpoint& checkpoint, std::int64_t streamAboveBytes = kStreamAboveBytes);

  /// Tensor `name` as rows × cols (numel must match).
  View view(const std::string& name, Eigen::Index rows, Eigen::Index cols);
  /// `name` as a row of its numel values.
  View row(const std::string& name);
  /// A big matrix (projection, embedding, lm_head): streamed when the model streams and it is
  /// not F32, else as view().
  View matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols);
  /// A Linear from "<base>.weight" (and "<base>.bias" when present).
  Linear linear(const std::string& base, bool inOut);
  LayerNormW layerNorm(const std::string& base, float eps);
  /// RMSNorm weights "<base>.weight".
  LayerNormW rmsNorm(const std::string& base, float eps);
  /// A block with a fused [q|k|v] projection (GPT-2, timm): names of ln1, ln2, qkv, proj, fc1, fc2
  /// after the block's prefix `h`.
  void bindFusedBlock(const std::string& h, const std::array<const char*, 6>& names, bool inOut, float eps,
                      BlockWeights& b);
  bool has(const std::string& name) const { return store_.contains(name); }

  TensorStore store_;
  std::int64_t converted = 0;
  bool stream = false;  ///< big non-F32 matrices are streamed (kStreamAboveBytes)
  std::deque<std::vector<float>> owned;  // converted tensors (stable addresses)

  // What the forward reads.
  std::vector<BlockWeights> blocks;
  LayerNormW finalNorm;
  bool tanhGelu = false;  ///< GPT-2: gelu_new; the ViTs: erf GELU
  // Text models
  View tokenEmbedding;
  View positionEmbedding;  ///< learned positions added to the tokens (GPT-2); empty: none
  View lmHead;             ///< [vocab, D]: logits = finalHidden·lmHeadᵀ (the token embedding when tied)
  // ViTs
  Linear patch;         ///< [D, 3·p·p] (conv kernel flattened), bias
  View cls, registers;  ///< [1, D], [R, D]
  View positions;       ///< [rows, D] as stored
  int positionPrefix = 0;  ///< rows of `positions` before the grid (1 = CLS has one; 0 = none)
  int positionGrid = 0;    ///< the stored grid's side
};

}  // namespace attnscope::models
