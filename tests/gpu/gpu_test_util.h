// Shared pieces of the CUDA backend tests: the device fixture (skips, with the reason, where no
// usable GPU is present), one CUDA and one Eigen backend shared by all tests, and comparisons of
// per-head outputs with relative Frobenius errors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/cuda_backend.h"
#include "attnscope/eigen_backend.h"
#include "reference.h"

namespace gputest {

using namespace attnscope;

/// FP32 results (forward, rows, dense maps) against the Eigen backend or the double reference:
/// ‖O_gpu − O_ref‖_F / ‖O_ref‖_F. Both sides round to float (unit roundoff 6e-8); sums over up to
/// 65536 terms in a different order and exp() of logits with float rounding give about 1e-6, so
/// 1e-4 leaves two orders of margin while still catching any wrong index, missed tile or mask.
inline constexpr double kFp32Tol = 1e-4;
/// Softmax with SoftmaxPrecision::Tf32 (cuBLAS TF32 tensor-core GEMMs for QKᵀ and P·V). TF32 keeps
/// 10 mantissa bits of every GEMM operand: Q, K, then P, V are rounded to unit roundoff 2^-11
/// (round-to-nearest) or 2^-10 (truncation; which one the hardware path uses is not documented).
/// The logit error is ≈ s·√d·2^-11 ≈ 5e-4/τ for unit-variance q, k, independent of d; the
/// truncation case is biased (every logit shrinks by ~1e-3, like a temperature change). A CPU
/// emulation of exactly this pipeline (operands rounded to TF32, exact sums) on the shapes below
/// (N ≤ 4099, d ∈ {16, 64, 200}, τ ∈ {1, 0.6, 0.5}, causal or not) gave relative Frobenius errors
/// ≤ 9e-4 with rounding and ≤ 3.0e-3 with truncation (worst at τ = 0.5, N = 4099). 5e-3 covers the
/// truncating case with margin; a real bug (wrong tile, mask, scale) gives 1e-1 or more.
inline constexpr double kTf32Tol = 5e-3;
/// Singular values: |σ_k^gpu − σ_k^eigen| ≤ kSigmaTol·σ_1. The GPU forms map entries (or φ) in
/// float and the spectrum in double; entry errors ~1e-7 relative give ‖E‖_2 ≤ ‖E‖_F ≈ 1e-6·σ_1 for
/// these sizes (Weyl: each σ moves by at most ‖E‖_2), so 1e-5 has a 10× margin.
inline constexpr double kSigmaTol = 1e-5;

MatrixD toD(const MatrixF& m);
/// "what seed=… (rerun with ATTNSCOPE_TEST_SEED=…)" for SCOPED_TRACE, as in tests/core.
std::string traceOf(std::uint64_t seed, const std::string& what);
/// φ(X) in double with the favor matrix the library draws for `fs` (tests/core convention).
MatrixD phiOf(const MatrixF& X, const FeatureMapSpec& fs);

/// The Eigen reference backend (all cores), shared by all tests.
EigenBackend& sharedEigen();

/// Fixture of every test that runs kernels: skipped (visibly, with the reason) without a device.
/// Each test gets a fresh CudaBackend (FP32 softmax, NaN-poisoned outputs, default budget),
/// destroyed in TearDown, so device cleanup runs inside the test (not at static destruction).
class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  CudaBackend& gpu() { return *gpu_; }
  EigenBackend& eigen() { return sharedEigen(); }

 private:
  std::unique_ptr<CudaBackend> gpu_;
};

/// Non-finite entries of `m` (0 when all finite); `first` receives the first one's "row r, col c".
long countNonFinite(const MatrixF& m, std::string* first = nullptr);

/// Per-head relative Frobenius error of `got` against `want` below `tol`; shapes must agree and
/// every entry of `got` must be finite (poisoned outputs are NaN where a kernel wrote nothing).
void expectHeadsClose(const std::vector<MatrixF>& got, const std::vector<MatrixF>& want, double tol,
                      const std::string& what);
/// The same against double references.
void expectHeadsCloseD(const std::vector<MatrixF>& got, const std::vector<MatrixD>& want,
                       double tol, const std::string& what);

}  // namespace gputest
