// The BLAS under the core (issue 24 #1): Debian's OpenMP build of OpenBLAS, opened at first use.
//
// Why the OpenMP build: the core's kernels run their tiles in OpenMP parallel regions and call
// BLAS from inside them; the OpenMP OpenBLAS runs such calls on the calling thread (one thread
// pool, no BLAS threads inside our regions), and outside a region it uses the calling thread's
// OpenMP thread count, which --threads sets. The pthread build would start a second pool.
//
// Why opened at run time (dlopen) rather than linked: OpenBLAS picks its kernel when it loads, and
// Debian 12's 0.3.21 does not know AVX-512 CPUs newer than its release (AMD Zen 4 gets the AVX2
// "Haswell" kernel, 0.7× Eigen's AVX-512 product; the SkylakeX kernel is 1.3–2× Eigen here).
// Before loading, attnscope sets OPENBLAS_CORETYPE=SkylakeX on CPUs with the AVX-512 F/CD/BW/DQ/VL
// set unless OPENBLAS_CORETYPE is set already (it is honoured: with a kernel narrower than Eigen's
// build, products stay on Eigen and `info` says so). ATTNSCOPE_BLAS=eigen keeps every product on Eigen;
// ATTNSCOPE_BLAS=/path/libopenblas.so.0 opens another build.
#pragma once

#include <Eigen/Core>
#include <string>

namespace attnscope {

struct BlasInfo {
  bool loaded = false;
  std::string library;  ///< the file opened ("" when none)
  std::string config;   ///< openblas_get_config(): version and build options
  std::string kernel;   ///< openblas_get_corename(): the kernel it runs ("SkylakeX", "Haswell", …)
  std::string coretypeSource;  ///< how the kernel was chosen: "detected", "set by attnscope (…)", "OPENBLAS_CORETYPE=…"
  std::string reason;   ///< when not loaded: why (every product then runs on Eigen)
  /// Whether gemm() sends products to it: only when its kernel's vectors are at least as wide as
  /// the ones Eigen was compiled for (measured on Zen 5: OpenBLAS's AVX2 Haswell kernel runs at
  /// 0.6–0.8× Eigen's AVX-512 product, its SkylakeX kernel at 1.1–2.9×; docs/performance.md).
  bool usedForProducts = false;
  std::string productsNote;  ///< why products stay on Eigen when loaded but not used
  int kernelBits = 0, eigenBits = 0;  ///< vector widths of the BLAS kernel and of Eigen's build
};

/// Loads the BLAS once (thread-safe) and says what was loaded. Call it early (main does) so that
/// OPENBLAS_CORETYPE is set before any thread starts.
const BlasInfo& blasInfo();

/// The threads the calling thread's products use: Eigen's (process-wide) and the OpenMP count of
/// this thread, which the OpenMP OpenBLAS follows for calls made outside a parallel region.
/// Returns the previous Eigen count (for a scope to put back).
int setLinearAlgebraThreads(int threads);

/// The singular values of `a` (descending) from LAPACK's dgesdd (no vectors) of the loaded BLAS:
/// exact to about eps·σ₁ like any SVD, and 8–10× faster than the Jordan–Wielandt eigenvalues at
/// N = 1000 (docs/performance.md). False when no LAPACK is loaded or the shape is too large for
/// 32-bit LAPACK (the caller then uses Eigen).
bool lapackSingularValues(const Eigen::Ref<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& a,
                          Eigen::VectorXd& sigma);

/// √eig(A·Aᵀ) of the smaller side (descending) from BLAS dsyrk + LAPACK dsyevd (no vectors): what
/// singularValues() computes above kGramThreshold, 1.6× faster than Eigen's Gram + eigensolver at
/// N = 1024 (σ below about 1e-8·σ₁ are rounding noise, as there). False without LAPACK.
bool lapackGramSingularValues(const Eigen::Ref<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& a,
                              Eigen::VectorXd& sigma);

/// One line for `info` and bench headers: "OpenBLAS 0.3.21 (OpenMP), kernel SkylakeX (set by attnscope: AVX-512 CPU)".
std::string blasSummary();

}  // namespace attnscope
