// Host-side plan of the linear-attention / MHLA pipeline on the GPU (no CUDA types, unit-tested
// without a device). Tokens are taken in block order (2D windows gathered so every block is
// contiguous); blocks are cut into chunks that never cross a block (per-chunk partial summaries), and
// chunks into tiles of at most kTile queries (one thread block of the output kernel each).
#pragma once

#include <vector>

#include "attnscope/mechanism.h"

namespace attnscope::gpu {

/// Queries per output tile (and keys per causal chunk).
inline constexpr int kTile = 64;
/// Fewest keys per chunk of the bidirectional summary kernel. Long blocks use longer chunks
/// (bidirectionalChunkSize) so that the number of partial summaries per head stays near
/// kTargetChunks and summing them stays cheap next to reading K and V.
inline constexpr int kBidirectionalChunk = 512;
inline constexpr int kTargetChunks = 256;
/// Keys per bidirectional chunk for N tokens: max(kBidirectionalChunk, ⌈N/kTargetChunks⌉) rounded up
/// to a multiple of kTile.
int bidirectionalChunkSize(int n);

struct LinearPlan {
  int n = 0, m = 1, dk = 0, dv = 0, r = 0;
  bool causal = false;
  bool official = false;
  /// order[i] = original index of the i-th token in block order; empty when that is the identity.
  std::vector<int> order;
  std::vector<int> blockOffsets;  ///< m+1, in block order
  /// Chunks in block order: [chunkBegin, chunkBegin+chunkLen) inside block chunkBlock.
  std::vector<int> chunkBegin, chunkLen, chunkBlock;
  /// m+1: the chunks of block b are [blockChunkOffsets[b], blockChunkOffsets[b+1]).
  std::vector<int> blockChunkOffsets;
  /// Output tiles: [tileBegin, tileBegin+tileLen) inside chunk tileChunk (and its block).
  std::vector<int> tileBegin, tileLen, tileChunk;
  /// The M×M matrix of the mixing GEMM, row-major: 𝓜 (bidirectional) or its strictly lower part
  /// (causal; the diagonal m_aa is applied to the in-block prefix instead, see mixDiag).
  std::vector<float> mixGemm;
  /// m_aa for causal plans (zeros otherwise).
  std::vector<float> mixDiag;
  /// The full 𝓜 in double (official normaliser, rows).
  std::vector<double> mix;

  int chunks() const { return static_cast<int>(chunkBegin.size()); }
  int tiles() const { return static_cast<int>(tileBegin.size()); }
  /// Floats of one summary row: r·d_v entries of S followed by r of z.
  int summaryWidth() const { return r * dv + r; }
};

/// Plans a validated linear or MHLA spec for N tokens, key width d_k and value width d_v.
LinearPlan makeLinearPlan(const MechanismSpec& spec, int n, int dk, int dv);

}  // namespace attnscope::gpu
