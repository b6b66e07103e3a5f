// Softmax kernels: the fused flash-style forward (FP32), the row softmax of the tiled path, and the
// dot products behind hover rows.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "check.h"
#include "softmax_kernels.h"

namespace attnscope::gpu {

namespace {

constexpr int kTileQ = 64;  // queries per thread block
constexpr int kTileK = 64;  // keys per shared-memory tile
constexpr int kFlashThreads = 128;

/// Thread t owns query rows rg·4+{0..3} (rg = t/8) and, in each key tile, keys cg+8·{0..7}
/// (cg = t%8); the 8 threads of a row group are adjacent lanes, so row maxima and sums reduce with
/// three shuffles. Output columns of a thread: cg+8·{0..D/8−1}. Scores are kept in base 2
/// (q pre-scaled by s·log2 e) so exp2f serves as exp.
template <int D>
__global__ void __launch_bounds__(kFlashThreads)
    flashKernel(const float* __restrict__ Q, const float* __restrict__ K,
                const float* __restrict__ V, float* __restrict__ O, int n, int dk, int dv,
                float scaleLog2, bool causal) {
  extern __shared__ float smem[];
  constexpr int QS = D + 1;  // padded rows: column walks hit distinct banks
  constexpr int PS = kTileK + 1;
  float* Qs = smem;
  float* Ks = Qs + kTileQ * QS;
  float* Vs = Ks + kTileK * QS;
  float* Ps = Vs + kTileK * D;
  const int h = blockIdx.y, q0 = blockIdx.x * kTileQ;
  const float* Qh = Q + std::size_t(h) * n * dk;
  const float* Kh = K + std::size_t(h) * n * dk;
  const float* Vh = V + std::size_t(h) * n * dv;
  const int tid = threadIdx.x, rg = tid / 8, cg = tid % 8;

  for (int e = tid; e < kTileQ * D; e += kFlashThreads) {
    const int row = e / D, k = e % D;
    Qs[row * QS + k] =
        (q0 + row < n && k < dk) ? Qh[std::size_t(q0 + row) * dk + k] * scaleLog2 : 0.0f;
  }
  float m[4], l[4], o[4][D / 8];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) o[i][c] = 0.0f;
  }
  const int kEnd = causal ? min(n, q0 + kTileQ) : n;
  for (int j0 = 0; j0 < kEnd; j0 += kTileK) {
    __syncthreads();  // the previous tile's Ks, Vs, Ps are consumed (and Qs is written)
    for (int e = tid; e < kTileK * D; e += kFlashThreads) {
      const int row = e / D, k = e % D;
      const int j = j0 + row;
      Ks[row * QS + k] = (j < n && k < dk) ? Kh[std::size_t(j) * dk + k] : 0.0f;
      Vs[row * D + k] = (j < n && k < dv) ? Vh[std::size_t(j) * dv + k] : 0.0f;
    }
    __syncthreads();
    float s[4][8];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) s[i][j] = 0.0f;
#pragma unroll 8
    for (int k = 0; k < D; ++k) {
      float qv[4], kv[8];
#pragma unroll
      for (int i = 0; i < 4; ++i) qv[i] = Qs[(rg * 4 + i) * QS + k];
#pragma unroll
      for (int j = 0; j < 8; ++j) kv[j] = Ks[(cg + 8 * j) * QS + k];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) s[i][j] = fmaf(qv[i], kv[j], s[i][j]);
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int qi = q0 + rg * 4 + i;
      float mx = -INFINITY;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const int kj = j0 + cg + 8 * j;
        if (kj >= n || (causal && kj > qi)) s[i][j] = -INFINITY;
        mx = fmaxf(mx, s[i][j]);
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
      const float mNew = fmaxf(m[i], mx);
      // A row that has seen only masked keys keeps m = −∞ and contributes nothing yet.
      const float alpha = mNew == -INFINITY ? 1.0f : exp2f(m[i] - mNew);
      float rs = 0.0f;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const float p = s[i][j] == -INFINITY ? 0.0f : exp2f(s[i][j] - mNew);
        Ps[(rg * 4 + i) * PS + cg + 8 * j] = p;
        rs += p;
      }
      rs += __shfl_xor_sync(0xffffffffu, rs, 1);
      rs += __shfl_xor_sync(0xffffffffu, rs, 2);
      rs += __shfl_xor_sync(0xffffffffu, rs, 4);
      l[i] = l[i] * alpha + rs;
      m[i] = mNew;
#pragma unroll
      for (int c = 0; c < D / 8; ++c) o[i][c] *= alpha;
    }
    __syncthreads();
#pragma unroll 4
    for (int kk = 0; kk < kTileK; ++kk) {
      float pv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) pv[i] = Ps[(rg * 4 + i) * PS + kk];
#pragma unroll
      for (int c = 0; c < D / 8; ++c) {
        const float v = Vs[kk * D + cg + 8 * c];
#pragma unroll
        for (int i = 0; i < 4; ++i) o[i][c] = fmaf(pv[i], v, o[i][c]);
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int qi = q0 + rg * 4 + i;
    if (qi >= n) continue;
    const float inv = 1.0f / l[i];
    float* out = O + (std::size_t(h) * n + qi) * dv;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      const int col = cg + 8 * c;
      if (col < dv) out[col] = o[i][c] * inv;
    }
  }
}

template <int D>
constexpr int flashBytes() {
  return int(sizeof(float)) * (kTileQ * (D + 1) + kTileK * (D + 1) + kTileK * D + kTileQ * (kTileK + 1));
}

constexpr int kRowThreads = 256;

__device__ float blockReduce(float v, float* scratch, bool isMax) {
  for (int off = 16; off > 0; off /= 2) {
    const float o = __shfl_xor_sync(0xffffffffu, v, off);
    v = isMax ? fmaxf(v, o) : v + o;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // scratch may still be read by the previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = scratch[0];
  for (int w = 1; w < blockDim.x / 32; ++w) v = isMax ? fmaxf(v, scratch[w]) : v + scratch[w];
  return v;
}

/// One thread block per row: p_j = exp(x_j − max) / Σ over allowed keys, 0 for masked keys.
__global__ void rowSoftmaxKernel(float* __restrict__ logits, int headRows, int n, int q0,
                                 bool causal) {
  __shared__ float scratch[kRowThreads / 32];
  const int row = blockIdx.x, h = blockIdx.y;
  float* x = logits + (std::size_t(h) * headRows + row) * n;
  const int allowed = causal ? min(n, q0 + row + 1) : n;
  float mx = -INFINITY;
  for (int j = threadIdx.x; j < allowed; j += blockDim.x) mx = fmaxf(mx, x[j]);
  mx = blockReduce(mx, scratch, true);
  float sum = 0.0f;
  for (int j = threadIdx.x; j < allowed; j += blockDim.x) {
    const float e = expf(x[j] - mx);
    x[j] = e;
    sum += e;
  }
  sum = blockReduce(sum, scratch, false);
  const float inv = 1.0f / sum;
  for (int j = threadIdx.x; j < n; j += blockDim.x) x[j] = j < allowed ? x[j] * inv : 0.0f;
}

/// One warp per key j: out[k][j] = X[idx[k]]·Y[j].
__global__ void rowDotKernel(const float* __restrict__ X, const float* __restrict__ Y,
                             const int* __restrict__ idx, int n, int w, float* __restrict__ out) {
  const int k = blockIdx.y;
  const int j = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (j >= n) return;
  const float* x = X + std::size_t(idx[k]) * w;
  const float* y = Y + std::size_t(j) * w;
  float s = 0.0f;
  for (int f = lane; f < w; f += 32) s = fmaf(x[f], y[f], s);
  for (int off = 16; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
  if (lane == 0) out[std::size_t(k) * n + j] = s;
}

template <int D>
void flashLaunch(const float* Q, const float* K, const float* V, float* O, int heads, int n, int dk,
                 int dv, float scaleLog2, bool causal, cudaStream_t s) {
  constexpr int bytes = flashBytes<D>();
  ATTN_CUDA(cudaFuncSetAttribute(flashKernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  const dim3 grid((n + kTileQ - 1) / kTileQ, heads);
  flashKernel<D><<<grid, kFlashThreads, bytes, s>>>(Q, K, V, O, n, dk, dv, scaleLog2, causal);
  ATTN_CUDA_LAUNCHED();
}

}  // namespace

int flashSharedBytes(int d) {
  if (d <= 64) return flashBytes<64>();
  if (d <= 128) return flashBytes<128>();
  return 0;
}

void launchFlashForward(const float* Q, const float* K, const float* V, float* O, int heads, int n,
                        int dk, int dv, float scale, bool causal, cudaStream_t s) {
  const float scaleLog2 = scale * 1.4426950408889634f;
  const int d = dk > dv ? dk : dv;
  if (d > 128) throw std::invalid_argument("launchFlashForward: head width above 128");
  if (d <= 64)
    flashLaunch<64>(Q, K, V, O, heads, n, dk, dv, scaleLog2, causal, s);
  else
    flashLaunch<128>(Q, K, V, O, heads, n, dk, dv, scaleLog2, causal, s);
}

void launchRowSoftmax(float* logits, int heads, int rows, int headRows, int n, int q0, bool causal,
                      cudaStream_t s) {
  rowSoftmaxKernel<<<dim3(rows, heads), kRowThreads, 0, s>>>(logits, headRows, n, q0, causal);
  ATTN_CUDA_LAUNCHED();
}

void launchRowDots(const float* X, const float* Y, const int* idx, int count, int n, int w,
                   float* out, cudaStream_t s) {
  const int warps = kRowThreads / 32;
  rowDotKernel<<<dim3((n + warps - 1) / warps, count), kRowThreads, 0, s>>>(X, Y, idx, n, w, out);
  ATTN_CUDA_LAUNCHED();
}

}  // namespace attnscope::gpu
