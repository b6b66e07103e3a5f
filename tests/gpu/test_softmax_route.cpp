// Which softmax path the CUDA backend takes (gpu/src/softmax.h), checked on the host: the fused
// FP32 flash kernel for head widths it fits, the tiled FP32 path otherwise (and for fp32-blocked
// and the materialised path), the TF32 path only when asked for. The device tests' width sweep
// relies on this to cover both the fused kernel (d ≤ 128) and the fallbacks (d = 200).
#include <gtest/gtest.h>

#include "attnscope/mechanism.h"
#include "softmax.h"
#include "softmax_kernels.h"

using namespace attnscope;
using attnscope::gpu::chooseSoftmaxRoute;
using attnscope::gpu::flashSharedBytes;
using attnscope::gpu::SoftmaxRoute;

namespace {
/// Opt-in shared memory per block (cudaDevAttrMaxSharedMemoryPerBlockOptin) on the GPUs the build
/// targets: sm_80 163 KiB, sm_86/89 99 KiB, sm_90 227 KiB.
constexpr int kSmem80 = 163 * 1024, kSmem86 = 99 * 1024, kSmem90 = 227 * 1024;
}  // namespace

TEST(SoftmaxRoute, FlashKernelFitsEveryTargetUpTo128) {
  EXPECT_GT(flashSharedBytes(1), 0);
  EXPECT_GT(flashSharedBytes(64), 0);
  EXPECT_GT(flashSharedBytes(128), 0);
  EXPECT_LE(flashSharedBytes(64), flashSharedBytes(128));
  // Hopper (the GPU the device tests run on) fits both widths; sm_80 too. (On sm_86/89, 99 KiB, the
  // d ≤ 128 variant does not fit and heads wider than 64 take the tiled path: see below.)
  EXPECT_LE(flashSharedBytes(128), kSmem90);
  EXPECT_LE(flashSharedBytes(128), kSmem80);
  EXPECT_LE(flashSharedBytes(64), kSmem86);
  EXPECT_EQ(flashSharedBytes(129), 0) << "wider heads take the tiled path";
  EXPECT_EQ(flashSharedBytes(200), 0);
}

TEST(SoftmaxRoute, ChosenByPrecisionWidthAndPath) {
  const auto soft = MechanismSpec::softmax();
  const auto causal = MechanismSpec::softmax(true, 0.5);
  for (int smem : {kSmem80, kSmem86, kSmem90})
    for (const auto& spec : {soft, causal}) {
      for (int d : {1, 16, 64, 100, 128}) {
        // Fused whenever its shared memory fits the device: always on sm_80 and sm_90.
        const bool fits = flashSharedBytes(d) <= smem;
        EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Fp32, d, d, smem),
                  fits ? SoftmaxRoute::Flash : SoftmaxRoute::TiledFp32)
            << "d=" << d << " smem=" << smem;
        if (smem != kSmem86) {
          EXPECT_TRUE(fits) << "d=" << d << " smem=" << smem;
        }
        EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Fp32Blocked, d, d, smem),
                  SoftmaxRoute::TiledFp32);
        EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Tf32, d, d, smem),
                  SoftmaxRoute::TiledTf32);
      }
      // The fused kernel needs max(d_k, d_v) ≤ 128.
      for (auto [dk, dv] : {std::pair{200, 200}, {129, 64}, {32, 200}, {200, 16}}) {
        EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Fp32, dk, dv, smem),
                  SoftmaxRoute::TiledFp32)
            << "d_k=" << dk << " d_v=" << dv;
        EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Tf32, dk, dv, smem),
                  SoftmaxRoute::TiledTf32);
      }
      EXPECT_EQ(chooseSoftmaxRoute(spec, SoftmaxPrecision::Fp32, 64, 128, smem),
                flashSharedBytes(128) <= smem ? SoftmaxRoute::Flash : SoftmaxRoute::TiledFp32);
    }
  // The materialised path forms P explicitly: the tiled FP32 path.
  auto mat = MechanismSpec::softmax();
  mat.softmaxPath = SoftmaxPath::Materialised;
  EXPECT_EQ(chooseSoftmaxRoute(mat, SoftmaxPrecision::Fp32, 64, 64, kSmem90),
            SoftmaxRoute::TiledFp32);
  // A device without enough shared memory for the kernel falls back.
  EXPECT_EQ(chooseSoftmaxRoute(soft, SoftmaxPrecision::Fp32, 128, 128, flashSharedBytes(128) - 1),
            SoftmaxRoute::TiledFp32);
  EXPECT_EQ(chooseSoftmaxRoute(soft, SoftmaxPrecision::Fp32, 64, 64, 48 * 1024),
            flashSharedBytes(64) <= 48 * 1024 ? SoftmaxRoute::Flash : SoftmaxRoute::TiledFp32);
}
