// Linear attention and MHLA kernels. One engine for both (linear = one block, 𝓜 = [1]), the same
// four steps as the Eigen backend: chunk summaries, block sums (causal: in-block prefixes), the
// mixing GEMM (cuBLAS, in linear_family.cpp), outputs per tile of ≤ 64 queries.
#include <cfloat>
#include <climits>
#include <cstdint>

#include "check.h"
#include "feature_kernels.cuh"

namespace attnscope::gpu {

namespace {

constexpr int kThreads = 256;

__global__ void gatherKernel(const float* __restrict__ src, float* __restrict__ dst,
                             const int* __restrict__ order, int n, int d) {
  const int h = blockIdx.y;
  const std::size_t total = std::size_t(n) * d;
  for (std::size_t e = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; e < total;
       e += std::size_t(gridDim.x) * blockDim.x) {
    const std::size_t i = e / d, k = e % d;
    dst[h * total + e] = src[h * total + std::size_t(order[i]) * d + k];
  }
}

/// One 64×64 tile (features i0.., value columns c0..) of one chunk's φ(K)ᵀV, plus φ(K)ᵀ1.
/// 256 threads: thread (ty, tx) owns rows ty·4+{0..3} and columns tx+16·{0..3}.
template <Phi P>
__global__ void __launch_bounds__(kThreads)
    chunkSummaryKernel(LinearArgs a, const float* __restrict__ K, const float* __restrict__ V,
                       float* __restrict__ Pout) {
  __shared__ float ks[32][65];
  __shared__ float vs[32][64];
  const int c = blockIdx.x, h = blockIdx.z;
  const int tilesV = (a.dv + 63) / 64;
  const int i0 = (blockIdx.y / tilesV) * 64, c0 = (blockIdx.y % tilesV) * 64;
  const int begin = a.chunkBegin[c], len = a.chunkLen[c];
  const int r = a.r, dv = a.dv;
  const std::size_t L = std::size_t(r) * dv + r;
  const float* Kh = K + std::size_t(h) * a.n * r;
  const float* Vh = V + std::size_t(h) * a.n * dv;
  const int tid = threadIdx.x, ty = tid / 16, tx = tid % 16;
  float acc[4][4] = {};
  float zacc[4] = {};
  for (int t0 = 0; t0 < len; t0 += 32) {
    for (int e = tid; e < 32 * 64; e += kThreads) {
      const int tt = e / 64, f = e % 64;
      const bool tokOk = t0 + tt < len;
      const std::size_t tok = std::size_t(begin) + t0 + tt;
      ks[tt][f] = (tokOk && i0 + f < r) ? applyPhi<P>(Kh[tok * r + i0 + f]) : 0.0f;
      vs[tt][f] = (tokOk && c0 + f < dv) ? Vh[tok * dv + c0 + f] : 0.0f;
    }
    __syncthreads();
#pragma unroll 4
    for (int tt = 0; tt < 32; ++tt) {
      float kv[4], vv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) kv[i] = ks[tt][ty * 4 + i];
#pragma unroll
      for (int j = 0; j < 4; ++j) vv[j] = vs[tt][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        zacc[i] += kv[i];
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(kv[i], vv[j], acc[i][j]);
      }
    }
    __syncthreads();
  }
  float* out = Pout + (std::size_t(h) * a.chunks + c) * L;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int f = i0 + ty * 4 + i;
    if (f >= r) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = c0 + tx + 16 * j;
      if (col < dv) out[std::size_t(f) * dv + col] = acc[i][j];
    }
    if (c0 == 0 && tx == 0) out[std::size_t(r) * dv + f] = zacc[i];
  }
}

/// Thread e of block b: S[b][e] = Σ_c P[c][e] over b's chunks (causal: P[c][e] ← exclusive prefix).
__global__ void blockSumKernel(LinearArgs a, float* __restrict__ P, float* __restrict__ S,
                               int eBlocks) {
  const int b = blockIdx.x / eBlocks, h = blockIdx.y;
  const std::size_t L = std::size_t(a.r) * a.dv + a.r;
  const std::size_t e = std::size_t(blockIdx.x % eBlocks) * blockDim.x + threadIdx.x;
  if (e >= L) return;
  float run = 0.0f;
  for (int c = a.blockChunkOffsets[b]; c < a.blockChunkOffsets[b + 1]; ++c) {
    float* pc = P + (std::size_t(h) * a.chunks + c) * L + e;
    const float v = *pc;
    if (a.causal) *pc = run;
    run += v;
  }
  S[(std::size_t(h) * a.m + b) * L + e] = run;
}

/// One warp per token: G[h][t] = φ(q_t)·z_{b(t)}.
template <Phi P>
__global__ void officialDotKernel(LinearArgs a, const float* __restrict__ Q,
                                  const float* __restrict__ S, float* __restrict__ G) {
  const int tile = blockIdx.x, h = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int begin = a.tileBegin[tile], len = a.tileLen[tile];
  const int blk = a.chunkBlock[a.tileChunk[tile]];
  const std::size_t L = std::size_t(a.r) * a.dv + a.r;
  const float* z = S + (std::size_t(h) * a.m + blk) * L + std::size_t(a.r) * a.dv;
  for (int t = warp; t < len; t += blockDim.x / 32) {
    const float* q = Q + (std::size_t(h) * a.n + begin + t) * a.r;
    float s = 0.0f;
    for (int k = lane; k < a.r; k += 32) s = fmaf(applyPhi<P>(q[k]), z[k], s);
#pragma unroll
    for (int off = 16; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
    if (lane == 0) G[std::size_t(h) * a.n + begin + t] = s;
  }
}

/// Outputs of one tile (≤ 64 queries of one chunk) for value columns c0..c0+63.
template <Phi P>
__global__ void __launch_bounds__(kThreads)
    outputKernel(LinearArgs a, const float* __restrict__ Q, const float* __restrict__ K,
                 const float* __restrict__ V, const float* __restrict__ St,
                 const float* __restrict__ Pc, const float* __restrict__ offDen, int nb, float eps,
                 float* __restrict__ O, int* __restrict__ badToken) {
  __shared__ float qs[64][33];
  __shared__ float ks[64][33];
  __shared__ float ws[32][64];
  __shared__ float sc[64][65];
  __shared__ float wz[32];
  __shared__ float den[64];
  const int tile = blockIdx.x, h = blockIdx.z, c0 = blockIdx.y * 64;
  const int begin = a.tileBegin[tile], len = a.tileLen[tile], c = a.tileChunk[tile];
  const int blk = a.chunkBlock[c];
  const int r = a.r, dv = a.dv;
  const std::size_t L = std::size_t(r) * dv + r;
  const float* Qh = Q + std::size_t(h) * a.n * r;
  const float* Kh = K + std::size_t(h) * a.n * r;
  const float* Vh = V + std::size_t(h) * a.n * dv;
  const float* state = St + (std::size_t(h) * a.m + blk) * L;
  const float* prefix = a.causal ? Pc + (std::size_t(h) * a.chunks + c) * L : nullptr;
  const float maa = a.causal ? a.mixDiag[blk] : 0.0f;
  const int tid = threadIdx.x, ty = tid / 16, tx = tid % 16;
  float acc[4][4] = {};
  float sacc[4][4] = {};
  float dacc[4] = {};

  for (int k0 = 0; k0 < r; k0 += 32) {
    for (int e = tid; e < 64 * 32; e += kThreads) {
      const int row = e / 32, k = e % 32;
      const bool ok = row < len && k0 + k < r;
      const std::size_t at = (std::size_t(begin) + row) * r + k0 + k;
      qs[row][k] = ok ? applyPhi<P>(Qh[at]) : 0.0f;
      if (a.causal) ks[row][k] = ok ? applyPhi<P>(Kh[at]) : 0.0f;
    }
    for (int e = tid; e < 32 * 64; e += kThreads) {
      const int k = e / 64, col = e % 64;
      float v = 0.0f;
      if (k0 + k < r && c0 + col < dv) {
        const std::size_t off = std::size_t(k0 + k) * dv + c0 + col;
        v = state[off];
        if (prefix) v = fmaf(maa, prefix[off], v);
      }
      ws[k][col] = v;
    }
    if (tid < 32) {
      float v = 0.0f;
      if (k0 + tid < r) {
        const std::size_t off = std::size_t(r) * dv + k0 + tid;
        v = state[off];
        if (prefix) v = fmaf(maa, prefix[off], v);
      }
      wz[tid] = v;
    }
    __syncthreads();
#pragma unroll 4
    for (int k = 0; k < 32; ++k) {
      float qv[4], wv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) qv[i] = qs[ty * 4 + i][k];
#pragma unroll
      for (int j = 0; j < 4; ++j) wv[j] = ws[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        if (tx == 0) dacc[i] = fmaf(qv[i], wz[k], dacc[i]);
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(qv[i], wv[j], acc[i][j]);
      }
      if (a.causal) {
        float kv[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) kv[j] = ks[tx + 16 * j][k];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) sacc[i][j] = fmaf(qv[i], kv[j], sacc[i][j]);
      }
    }
    __syncthreads();
  }

  if (a.causal) {
    // In-chunk part (a causal tile is its whole chunk): m_aa Σ_{j ≤ t} (φq_t·φk_j) v_j.
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int t = ty * 4 + i, key = tx + 16 * j;
        sc[t][key] = (key <= t && t < len) ? maa * sacc[i][j] : 0.0f;
      }
    __syncthreads();
    if (tx == 0)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        float s = 0.0f;
        for (int key = 0; key < 64; ++key) s += sc[ty * 4 + i][key];
        dacc[i] += s;
      }
    for (int j0 = 0; j0 < 64; j0 += 32) {
      for (int e = tid; e < 32 * 64; e += kThreads) {
        const int key = e / 64, col = e % 64;
        ws[key][col] = (j0 + key < len && c0 + col < dv)
                           ? Vh[(std::size_t(begin) + j0 + key) * dv + c0 + col]
                           : 0.0f;
      }
      __syncthreads();
#pragma unroll 4
      for (int key = 0; key < 32; ++key) {
        float sv[4], vv[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) sv[i] = sc[ty * 4 + i][j0 + key];
#pragma unroll
        for (int j = 0; j < 4; ++j) vv[j] = ws[key][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(sv[i], vv[j], acc[i][j]);
      }
      __syncthreads();
    }
  }

  if (tx == 0)
#pragma unroll
    for (int i = 0; i < 4; ++i) den[ty * 4 + i] = dacc[i];
  __syncthreads();
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int t = ty * 4 + i;
    if (t >= len) continue;
    const int tok = begin + t;
    float d = den[t];
    if (offDen) {
      const int w = tok - a.blockOffsets[blk];
      d = offDen[(std::size_t(h) * a.m + blk) * nb + w] + eps;
    }
    const int orig = a.order ? a.order[tok] : tok;
    if (!(d > 0.0f) || !isfinite(d)) {
      if (tx == 0) atomicMin(badToken, orig);
      d = 1.0f;
    }
    const float inv = 1.0f / d;
    float* o = O + (std::size_t(h) * a.n + orig) * dv;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = c0 + tx + 16 * j;
      if (col < dv) o[col] = acc[i][j] * inv;
    }
  }
}

/// One warp per row: logits ← logits − s²‖x‖²/2; rowMax = the row's maximum.
__global__ void favorRowKernel(float* __restrict__ logits, const float* __restrict__ X, int n,
                               int dk, int r, float s, float* __restrict__ rowMax) {
  const int h = blockIdx.y;
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (warp >= n) return;
  const float* x = X + (std::size_t(h) * n + warp) * dk;
  float nrm = 0.0f;
  for (int k = lane; k < dk; k += 32) nrm = fmaf(x[k], x[k], nrm);
#pragma unroll
  for (int off = 16; off > 0; off /= 2) nrm += __shfl_xor_sync(0xffffffffu, nrm, off);
  const float half = 0.5f * s * s * nrm;
  float* row = logits + (std::size_t(h) * n + warp) * r;
  float mx = -FLT_MAX;
  for (int f = lane; f < r; f += 32) {
    const float v = row[f] - half;
    row[f] = v;
    mx = fmaxf(mx, v);
  }
#pragma unroll
  for (int off = 16; off > 0; off /= 2) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
  if (lane == 0) rowMax[std::size_t(h) * n + warp] = mx;
}

/// One thread block per head: headMax[h] = max over the head's rows.
__global__ void headMaxKernel(const float* __restrict__ rowMax, int n, float* __restrict__ headMax) {
  __shared__ float part[kThreads];
  const int h = blockIdx.x;
  float mx = -FLT_MAX;
  for (int i = threadIdx.x; i < n; i += blockDim.x) mx = fmaxf(mx, rowMax[std::size_t(h) * n + i]);
  part[threadIdx.x] = mx;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) part[threadIdx.x] = fmaxf(part[threadIdx.x], part[threadIdx.x + w]);
    __syncthreads();
  }
  if (threadIdx.x == 0) headMax[h] = part[0];
}

__global__ void favorExpKernel(float* __restrict__ logits, int n, int r, bool globalShift,
                               const float* __restrict__ rowMax, const float* __restrict__ headMax,
                               float invSqrtR) {
  const int h = blockIdx.y;
  const std::size_t total = std::size_t(n) * r;
  for (std::size_t e = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; e < total;
       e += std::size_t(gridDim.x) * blockDim.x) {
    const float shift = globalShift ? headMax[h] : rowMax[std::size_t(h) * n + e / r];
    float* v = logits + h * total + e;
    *v = expf(*v - shift) * invSqrtR;
  }
}

unsigned gridFor(std::size_t work, unsigned threads) {
  const std::size_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks ? blocks : 1) : 65535 * 16);
}

template <template <Phi> class Launch, typename... Args>
void dispatchPhi(Phi phi, Args&&... args) {
  switch (phi) {
    case Phi::Relu: Launch<Phi::Relu>::run(args...); break;
    case Phi::Elu1: Launch<Phi::Elu1>::run(args...); break;
    case Phi::Softplus: Launch<Phi::Softplus>::run(args...); break;
    case Phi::Identity: Launch<Phi::Identity>::run(args...); break;
  }
}

template <Phi P>
struct ChunkSummaryLaunch {
  static void run(const LinearArgs& a, const float* K, const float* V, float* Pout, cudaStream_t s) {
    const dim3 grid(a.chunks, ((a.r + 63) / 64) * ((a.dv + 63) / 64), a.heads);
    chunkSummaryKernel<P><<<grid, kThreads, 0, s>>>(a, K, V, Pout);
  }
};

template <Phi P>
struct OfficialDotLaunch {
  static void run(const LinearArgs& a, const float* Q, const float* S, float* G, cudaStream_t s) {
    officialDotKernel<P><<<dim3(a.tiles, 1, a.heads), kThreads, 0, s>>>(a, Q, S, G);
  }
};

template <Phi P>
struct OutputLaunch {
  static void run(const LinearArgs& a, const float* Q, const float* K, const float* V,
                  const float* St, const float* Pc, const float* offDen, int nb, float eps,
                  float* O, int* bad, cudaStream_t s) {
    const dim3 grid(a.tiles, (a.dv + 63) / 64, a.heads);
    outputKernel<P><<<grid, kThreads, 0, s>>>(a, Q, K, V, St, Pc, offDen, nb, eps, O, bad);
  }
};

}  // namespace

cudaError_t probeKernelImage() {
  cudaFuncAttributes attr;
  return cudaFuncGetAttributes(&attr, gatherKernel);
}

void launchGather(const float* src, float* dst, const int* order, int heads, int n, int d,
                  cudaStream_t s) {
  gatherKernel<<<dim3(gridFor(std::size_t(n) * d, kThreads), heads), kThreads, 0, s>>>(src, dst,
                                                                                      order, n, d);
  ATTN_CUDA_LAUNCHED();
}

void launchChunkSummaries(Phi phi, const LinearArgs& a, const float* K, const float* V, float* P,
                          cudaStream_t s) {
  dispatchPhi<ChunkSummaryLaunch>(phi, a, K, V, P, s);
  ATTN_CUDA_LAUNCHED();
}

void launchBlockSums(const LinearArgs& a, float* P, float* S, cudaStream_t s) {
  const std::size_t L = std::size_t(a.r) * a.dv + a.r;
  const int eBlocks = static_cast<int>((L + kThreads - 1) / kThreads);
  blockSumKernel<<<dim3(unsigned(a.m) * eBlocks, a.heads), kThreads, 0, s>>>(a, P, S, eBlocks);
  ATTN_CUDA_LAUNCHED();
}

void launchOfficialDots(Phi phi, const LinearArgs& a, const float* Q, const float* S, float* G,
                        cudaStream_t s) {
  dispatchPhi<OfficialDotLaunch>(phi, a, Q, S, G, s);
  ATTN_CUDA_LAUNCHED();
}

void launchOutputs(Phi phi, const LinearArgs& a, const float* Q, const float* K, const float* V,
                   const float* St, const float* P, const float* offDen, int nb, float eps,
                   float* O, int* badToken, cudaStream_t s) {
  dispatchPhi<OutputLaunch>(phi, a, Q, K, V, St, P, offDen, nb, eps, O, badToken, s);
  ATTN_CUDA_LAUNCHED();
}

void launchFavorFinish(float* logits, const float* X, int heads, int n, int dk, int r, float s,
                       bool globalShift, float* rowMax, float* headMax, cudaStream_t st) {
  const unsigned warpsPerBlock = kThreads / 32;
  favorRowKernel<<<dim3((n + warpsPerBlock - 1) / warpsPerBlock, heads), kThreads, 0, st>>>(
      logits, X, n, dk, r, s, rowMax);
  ATTN_CUDA_LAUNCHED();
  if (globalShift) {
    headMaxKernel<<<heads, kThreads, 0, st>>>(rowMax, n, headMax);
    ATTN_CUDA_LAUNCHED();
  }
  favorExpKernel<<<dim3(gridFor(std::size_t(n) * r, kThreads), heads), kThreads, 0, st>>>(
      logits, n, r, globalShift, rowMax, headMax, 1.0f / sqrtf(float(r)));
  ATTN_CUDA_LAUNCHED();
}

}  // namespace attnscope::gpu
