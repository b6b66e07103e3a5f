// Learned mixing matrices stored in MHLA checkpoints (MODELS.md "MHLA weights"): found by name and
// shape in a safetensors file and read by their header offsets only (the file is mapped; only those
// tensors' bytes are touched, so a multi-GB checkpoint costs what its matrices do).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/models/safetensors.h"
#include "attnscope/types.h"

namespace attnscope::models {

struct LearnedMixing {
  std::string name;  ///< the tensor's name
  int layer = -1;    ///< the number after "blocks." / "layers." (−1 when there is none)
  std::string kind;  ///< "image (piece_attn)", "language (mixing_matrix)", "video (block_attn)"
  MatrixD matrix;    ///< M×M; row a mixes into query block a (S̃_a = Σ_b W[a,b]·S_b)
  int negatives = 0;       ///< entries < 0 (the video model's may be)
  VectorD rowSums;         ///< per row
  bool lowerTriangular = false;
  int m() const { return static_cast<int>(matrix.rows()); }
};

/// Every tensor of `file` named like a learned mixing matrix (…piece_attn.conv.weight [M,M,1,1],
/// …attn.mixing_matrix [M,M], …block_attn.conv.weight [M,M,1,1]), ordered by layer. A tensor with
/// such a name but another shape is refused with FileError naming it and its shape.
std::vector<LearnedMixing> findLearnedMixing(const SafetensorsFile& file);

/// "FILE.safetensors#TENSOR": the named learned matrix (FileError naming the file and the tensors it
/// has when there is no such one).
LearnedMixing readLearnedMixing(const std::string& path, const std::string& tensor);

/// A text table of the matrices: tensor, layer, M, min, max, negatives, row sums, lower-triangular.
std::string learnedMixingTable(const std::string& path, const std::vector<LearnedMixing>& found);

}  // namespace attnscope::models
