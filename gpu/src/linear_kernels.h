// Launchers of the linear-attention / MHLA kernels (linear_kernels.cu). Layouts, per head h:
//   Q, K: [H][N][r] in block order (φ applied inside the kernels unless Phi::Identity);
//   V: [H][N][d_v] in block order; O: [H][N][d_v] in original token order;
//   P: [H][chunks][L] per-chunk partial summaries, L = r·d_v + r (S entries, then z);
//   S, St: [H][M][L] block summaries and mixed summaries.
#pragma once

#include <cuda_runtime.h>

namespace attnscope::gpu {

enum class Phi : int { Relu, Elu1, Softplus, Identity };

/// Device copies of the plan (see plan.h) and the shapes.
struct LinearArgs {
  int heads = 1, n = 0, r = 0, dv = 0, m = 1, chunks = 0, tiles = 0;
  bool causal = false;
  const int* chunkBegin = nullptr;
  const int* chunkLen = nullptr;
  const int* chunkBlock = nullptr;
  const int* blockChunkOffsets = nullptr;
  const int* blockOffsets = nullptr;
  const int* tileBegin = nullptr;
  const int* tileLen = nullptr;
  const int* tileChunk = nullptr;
  const float* mixDiag = nullptr;  ///< m_aa (causal)
  const int* order = nullptr;      ///< block order → original index; null for the identity
};

/// dst[h][i] = src[h][order[i]] (rows of width d).
void launchGather(const float* src, float* dst, const int* order, int heads, int n, int d,
                  cudaStream_t s);
/// P[h][c] = (φ(K_c)ᵀ V_c, φ(K_c)ᵀ1) for every chunk c.
void launchChunkSummaries(Phi phi, const LinearArgs& a, const float* K, const float* V, float* P,
                          cudaStream_t s);
/// S[h][b] = Σ of block b's chunk partials; causal: each P[h][c] becomes its exclusive prefix
/// inside its block.
void launchBlockSums(const LinearArgs& a, float* P, float* S, cudaStream_t s);
/// Official normaliser: G[h][t] = φ(q_t)·z_{b(t)} for t in block order.
void launchOfficialDots(Phi phi, const LinearArgs& a, const float* Q, const float* S, float* G,
                        cudaStream_t s);
/// Outputs: o_t = φ(q_t)ᵀW / den_t per tile, W = S̃_a (+ m_aa·prefix and the in-chunk causal part).
/// offDen (official): [H][M][nb] with n_{a,w} − ε, else null. Tokens whose normaliser is not
/// positive and finite set *badToken to the smallest such original index (initialise it to INT_MAX).
void launchOutputs(Phi phi, const LinearArgs& a, const float* Q, const float* K, const float* V,
                   const float* St, const float* P, const float* offDen, int nb, float eps,
                   float* O, int* badToken, cudaStream_t s);
/// favor: `logits` [H][N][r] holds s·X·Wᵀ (s = d_k^{-1/4}); becomes exp(logits − s²‖x‖²/2 − c)/√r,
/// c the row maximum (per row) or the head's maximum (global). rowMax: [H][N], headMax: [H].
void launchFavorFinish(float* logits, const float* X, int heads, int n, int dk, int r, float s,
                       bool globalShift, float* rowMax, float* headMax, cudaStream_t st);

/// cudaSuccess when this library holds a kernel image the current device can run
/// (cudaErrorNoKernelImageForDevice when it was built for other architectures).
cudaError_t probeKernelImage();

}  // namespace attnscope::gpu
