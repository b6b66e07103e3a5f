#include "softmax.h"

#include <algorithm>
#include <cmath>

#include "gemm.h"
#include "softmax_kernels.h"

namespace attnscope::gpu {

namespace {
/// Logit tiles of the tiled path stay under this many bytes (all heads together).
constexpr std::size_t kTileBudgetBytes = std::size_t(256) << 20;

/// Restores cuBLAS's default (pure FP32) math when the TF32 tile products are done.
class MathMode {
 public:
  MathMode(cublasHandle_t h, bool tf32) : h_(h), set_(tf32) {
    if (set_) ATTN_CUBLAS(cublasSetMathMode(h_, CUBLAS_TF32_TENSOR_OP_MATH));
  }
  ~MathMode() {
    if (set_) cublasSetMathMode(h_, CUBLAS_DEFAULT_MATH);
  }
  MathMode(const MathMode&) = delete;
  MathMode& operator=(const MathMode&) = delete;

 private:
  cublasHandle_t h_;
  bool set_;
};
}  // namespace

SoftmaxRoute chooseSoftmaxRoute(const MechanismSpec& spec, SoftmaxPrecision precision, int dk,
                                int dv, int maxSharedBytes) {
  if (precision == SoftmaxPrecision::Tf32) return SoftmaxRoute::TiledTf32;
  if (precision == SoftmaxPrecision::Fp32Blocked || spec.softmaxPath == SoftmaxPath::Materialised)
    return SoftmaxRoute::TiledFp32;
  const int bytes = flashSharedBytes(std::max(dk, dv));
  return (bytes > 0 && bytes <= maxSharedBytes) ? SoftmaxRoute::Flash : SoftmaxRoute::TiledFp32;
}

void runSoftmax(Context& ctx, Workspace& ws, const MechanismSpec& spec, SoftmaxPrecision precision,
                const float* Q, const float* K, const float* V, float* O, int heads, int n, int dk,
                int dv, bool poison) {
  const cudaStream_t s = ctx.stream();
  if (poison)
    ATTN_CUDA(cudaMemsetAsync(O, 0xFF, std::size_t(heads) * n * dv * sizeof(float), s));
  const float scale = static_cast<float>(1.0 / (spec.temperature * std::sqrt(double(dk))));
  const SoftmaxRoute route = chooseSoftmaxRoute(spec, precision, dk, dv, ctx.maxSharedPerBlock());
  if (route == SoftmaxRoute::Flash) {
    launchFlashForward(Q, K, V, O, heads, n, dk, dv, scale, spec.causal, s);
    return;
  }
  // Tiled: rows of queries at a time, the tile's logits never wider than N.
  const std::size_t perRow = std::size_t(heads) * n * sizeof(float);
  int rows = static_cast<int>(std::clamp<std::size_t>(kTileBudgetBytes / perRow, 1, n));
  if (rows >= 64) rows -= rows % 64;
  float* tile = ws.floats("softmax.tile", std::size_t(heads) * rows * n);
  const MathMode mode(ctx.blas(), route == SoftmaxRoute::TiledTf32);
  const long long sQK = static_cast<long long>(n) * dk, sV = static_cast<long long>(n) * dv;
  const long long sT = static_cast<long long>(rows) * n;
  for (int q0 = 0; q0 < n; q0 += rows) {
    const int cnt = std::min(rows, n - q0);
    const int keys = spec.causal ? std::min(n, q0 + cnt) : n;  // later keys are masked anyway
    gemmABt(ctx.blas(), cnt, keys, dk, scale, Q + std::size_t(q0) * dk, dk, sQK, K, dk, sQK, tile,
            n, sT, heads);
    launchRowSoftmax(tile, heads, cnt, rows, n, q0, spec.causal, s);
    gemmAB(ctx.blas(), cnt, dv, keys, tile, n, sT, V, dv, sV, O + std::size_t(q0) * dv, dv, sV,
           heads);
  }
}

}  // namespace attnscope::gpu
