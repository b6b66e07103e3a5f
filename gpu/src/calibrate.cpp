// Copy bandwidth and GEMM throughput of the device, the yardsticks docs/performance.md states kernel speeds
// against.
#include <algorithm>
#include <vector>

#include "attnscope/cuda_backend.h"
#include "context.h"
#include "device_buffer.h"
#include "event_timer.h"

namespace attnscope {

namespace {
/// Median milliseconds of `reps` runs of f() on the context's stream, after one warm-up.
template <typename F>
double medianMs(gpu::Context& ctx, int reps, F f) {
  gpu::EventTimer timer(ctx.stream());
  f();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) ms.push_back(timer.time(f));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}
}  // namespace

CudaCalibration calibrateCuda(int device) {
  const CudaDeviceInfo info = cudaDeviceInfo(device);
  if (!info.ok) throw CudaError("no CUDA device to calibrate: " + info.reason);
  gpu::Context ctx(device);
  CudaCalibration c;
  {
    const std::size_t bytes = std::size_t(1) << 30;
    gpu::DeviceBuffer<char> src(bytes), dst(bytes);
    ATTN_CUDA(cudaMemsetAsync(src.get(), 1, bytes, ctx.stream()));
    const double ms = medianMs(ctx, 5, [&] {
      ATTN_CUDA(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, ctx.stream()));
    });
    c.copyGBps = 2.0 * double(bytes) / (ms * 1e-3) / 1e9;  // each byte read once, written once
  }
  {
    const int n = 8192;
    gpu::DeviceBuffer<float> A(std::size_t(n) * n), B(std::size_t(n) * n), C(std::size_t(n) * n);
    ATTN_CUDA(cudaMemsetAsync(A.get(), 0x3C, A.size() * sizeof(float), ctx.stream()));
    ATTN_CUDA(cudaMemsetAsync(B.get(), 0x3C, B.size() * sizeof(float), ctx.stream()));
    const float one = 1.0f, zero = 0.0f;
    auto gemm = [&] {
      ATTN_CUBLAS(cublasSgemm(ctx.blas(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, A.get(), n,
                              B.get(), n, &zero, C.get(), n));
    };
    const double flops = 2.0 * double(n) * n * n;
    c.sgemmTflops = flops / (medianMs(ctx, 5, gemm) * 1e-3) / 1e12;
    ATTN_CUBLAS(cublasSetMathMode(ctx.blas(), CUBLAS_TF32_TENSOR_OP_MATH));
    c.tf32GemmTflops = flops / (medianMs(ctx, 5, gemm) * 1e-3) / 1e12;
    ATTN_CUBLAS(cublasSetMathMode(ctx.blas(), CUBLAS_DEFAULT_MATH));
  }
  return c;
}

}  // namespace attnscope
