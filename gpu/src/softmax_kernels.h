// Launchers of the softmax kernels (softmax_kernels.cu). Q, K: [H][N][d_k], V, O: [H][N][d_v].
#pragma once

#include <cuda_runtime.h>

namespace attnscope::gpu {

/// Shared memory the fused kernel needs for head widths up to `d` (0 when d is too wide for it).
int flashSharedBytes(int d);
/// Fused forward: online softmax over 64-key tiles in shared memory, FP32 FMA. Needs
/// max(d_k, d_v) ≤ 128 and flashSharedBytes(max(d_k, d_v)) of shared memory per block.
/// @param scale  s = 1/(τ·√d_k)
void launchFlashForward(const float* Q, const float* K, const float* V, float* O, int heads, int n,
                        int dk, int dv, float scale, bool causal, cudaStream_t s);
/// Row softmax of a tile of logits, in place: rows [0, rows) of width n belong to queries
/// q0 + row (causal masks keys after the query). Batched over `heads` tiles of headRows·n floats.
void launchRowSoftmax(float* logits, int heads, int rows, int headRows, int n, int q0, bool causal,
                      cudaStream_t s);
/// out[k][j] = dot(X[idx[k]], Y[j]) over width w (one head), k < count, j < n.
void launchRowDots(const float* X, const float* Y, const int* idx, int count, int n, int w,
                   float* out, cudaStream_t s);

}  // namespace attnscope::gpu
