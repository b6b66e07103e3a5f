// gemm() and the BLAS it runs on (see gemm.h and blas_library.h).
#include <dlfcn.h>
#include <omp.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "attnscope/blas_library.h"
#include "attnscope/gemm.h"
#include "attnscope/types.h"

#ifndef ATTNSCOPE_OPENBLAS_LIBRARY
#define ATTNSCOPE_OPENBLAS_LIBRARY ""
#endif

namespace attnscope {
namespace {

// The CBLAS entry point (cblas.h's enums are ints: CblasRowMajor 101, CblasNoTrans 111,
// CblasTrans 112; Debian's libopenblas uses 32-bit integers).
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                         int);
using NameFn = char* (*)();
// LAPACK's Fortran dgesdd (32-bit integers, column-major).
using DgesddFn = void (*)(const char*, const int*, const int*, double*, const int*, double*, double*, const int*,
                          double*, const int*, double*, const int*, int*, int*);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Loaded {
  BlasInfo info;
  SgemmFn sgemm = nullptr;
  DgesddFn dgesdd = nullptr;
};

bool cpuHasAvx512Set() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

// Vector width of an OpenBLAS x86 kernel by its name (0.3.21's names).
int kernelBits(const std::string& core) {
  for (const char* k : {"SkylakeX", "Cooperlake", "SapphireRapids"})
    if (core == k) return 512;
  for (const char* k : {"Haswell", "Zen", "Sandybridge", "Excavator", "Steamroller", "Piledriver", "Bulldozer"})
    if (core == k) return 256;
  return 128;
}

int eigenBits() {
#if defined(EIGEN_VECTORIZE_AVX512)
  return 512;
#elif defined(EIGEN_VECTORIZE_AVX)
  return 256;
#else
  return 128;
#endif
}

Loaded load() {
  Loaded l;
  const char* choice = std::getenv("ATTNSCOPE_BLAS");
  std::string path = ATTNSCOPE_OPENBLAS_LIBRARY;
  if (choice && *choice) {
    const std::string c = choice;
    if (c == "eigen" || c == "off" || c == "none") {
      l.info.reason = "ATTNSCOPE_BLAS=" + c + ": every product runs on Eigen";
      return l;
    }
    path = c;
  }
  if (path.empty()) {
    l.info.reason = "this build names no BLAS library: every product runs on Eigen";
    return l;
  }
  // The kernel is chosen when the library loads: say which before it does.
  if (const char* ct = std::getenv("OPENBLAS_CORETYPE"); ct && *ct) {
    l.info.coretypeSource = std::string("OPENBLAS_CORETYPE=") + ct;
  } else if (cpuHasAvx512Set()) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    l.info.coretypeSource = "set by attnscope: AVX-512 CPU";
  } else {
    l.info.coretypeSource = "detected by OpenBLAS";
  }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    l.info.reason = "cannot open " + path + " (" + (e ? e : "unknown error") +
                    "); every product runs on Eigen. Install Debian's libopenblas0-openmp.";
    return l;
  }
  l.sgemm = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
  if (!l.sgemm) {
    l.info.reason = path + " has no cblas_sgemm; every product runs on Eigen";
    dlclose(h);
    return l;
  }
  l.dgesdd = reinterpret_cast<DgesddFn>(dlsym(h, "dgesdd_"));
  if (auto f = reinterpret_cast<NameFn>(dlsym(h, "openblas_get_config")))
    if (const char* s = f()) l.info.config = s;
  if (auto f = reinterpret_cast<NameFn>(dlsym(h, "openblas_get_corename")))
    if (const char* s = f()) l.info.kernel = s;
  l.info.loaded = true;
  l.info.library = path;
  l.info.kernelBits = kernelBits(l.info.kernel);
  l.info.eigenBits = eigenBits();
  l.info.usedForProducts = l.info.kernelBits >= l.info.eigenBits;
  if (!l.info.usedForProducts)
    l.info.productsNote = "its " + l.info.kernel + " kernel (" + std::to_string(l.info.kernelBits) +
                          "-bit) is narrower than Eigen's " + std::to_string(l.info.eigenBits) +
                          "-bit build: products stay on Eigen" +
                          (l.info.coretypeSource.rfind("OPENBLAS_CORETYPE=", 0) == 0
                               ? " (unset OPENBLAS_CORETYPE to let attnscope choose)"
                               : "");
  return l;  // the handle stays open for the life of the process
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

using RowMapC = Eigen::Map<const MatrixF, 0, Eigen::OuterStride<>>;
using ColMapC = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0,
                           Eigen::OuterStride<>>;
using RowMapW = Eigen::Map<MatrixF, 0, Eigen::OuterStride<>>;

template <class XA, class XB>
void eigenProduct(const XA& a, const XB& b, float alpha, float beta, RowMapW c) {
  if (beta == 0.0f) {
    c.noalias() = alpha * a * b;
  } else {
    if (beta != 1.0f) c *= beta;
    c.noalias() += alpha * a * b;
  }
}

}  // namespace

const BlasInfo& blasInfo() { return loaded().info; }

bool lapackSingularValues(const Eigen::Ref<const MatrixD>& a, Eigen::VectorXd& sigma) {
  const DgesddFn f = loaded().dgesdd;
  const Eigen::Index m = a.rows(), n = a.cols(), k = std::min(m, n);
  if (!f || k == 0 || m > INT_MAX / 8 || n > INT_MAX / 8 || double(m) * double(n) > double(INT_MAX)) return false;
  // The row-major m×n buffer is Aᵀ column-major: the same singular values. dgesdd overwrites it.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor> work = a.transpose();
  const int rows = int(n), cols = int(m), ld = std::max(1, rows), one = 1;
  sigma.resize(k);
  std::vector<int> iwork(std::size_t(8) * std::size_t(k));
  int info = 0, lwork = -1;
  double query = 0;
  double dummy = 0;
  f("N", &rows, &cols, work.data(), &ld, sigma.data(), &dummy, &one, &dummy, &one, &query, &lwork, iwork.data(), &info);
  if (info != 0 || !(query >= 1) || query > double(INT_MAX)) return false;
  lwork = int(query);
  std::vector<double> buf(static_cast<std::size_t>(lwork));
  f("N", &rows, &cols, work.data(), &ld, sigma.data(), &dummy, &one, &dummy, &one, buf.data(), &lwork, iwork.data(),
    &info);
  return info == 0;  // > 0: did not converge (the caller falls back to Eigen)
}

int setLinearAlgebraThreads(int threads) {
  const int previous = Eigen::nbThreads();
  if (threads > 0) {
    Eigen::setNbThreads(threads);
    omp_set_num_threads(threads);
  }
  return previous;
}

std::string blasSummary() {
  const BlasInfo& b = blasInfo();
  if (!b.loaded) return "Eigen only (" + b.reason + ")";
  std::string s = b.config.empty() ? b.library : b.config;
  if (b.config.find("USE_OPENMP") == std::string::npos && !b.config.empty())
    s += " [not the OpenMP build: BLAS threads may compete with the core's]";
  s += ", kernel " + (b.kernel.empty() ? std::string("?") : b.kernel) + " (" + b.coretypeSource + ")";
  return s + (b.usedForProducts ? "; runs the products" : "; " + b.productsNote);
}

bool gemmUsesBlas(Eigen::Index m, Eigen::Index n, Eigen::Index k) {
  if (!loaded().sgemm || !loaded().info.usedForProducts) return false;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return false;
  return double(m) * double(n) * double(k) >= kGemmBlasMinWork;
}

void sgemmEigen(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
                const float* A, Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C,
                Eigen::Index ldc) {
  if (m <= 0 || n <= 0) return;
  RowMapW c(C, m, n, Eigen::OuterStride<>(ldc));
  if (k <= 0) {
    if (beta == 0.0f)
      c.setZero();
    else
      c *= beta;
    return;
  }
  if (!transA && !transB)
    eigenProduct(RowMapC(A, m, k, Eigen::OuterStride<>(lda)), RowMapC(B, k, n, Eigen::OuterStride<>(ldb)), alpha,
                 beta, c);
  else if (!transA)
    eigenProduct(RowMapC(A, m, k, Eigen::OuterStride<>(lda)), ColMapC(B, k, n, Eigen::OuterStride<>(ldb)), alpha,
                 beta, c);
  else if (!transB)
    eigenProduct(ColMapC(A, m, k, Eigen::OuterStride<>(lda)), RowMapC(B, k, n, Eigen::OuterStride<>(ldb)), alpha,
                 beta, c);
  else
    eigenProduct(ColMapC(A, m, k, Eigen::OuterStride<>(lda)), ColMapC(B, k, n, Eigen::OuterStride<>(ldb)), alpha,
                 beta, c);
}

bool sgemmOnBlas(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* A,
                 Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C, Eigen::Index ldc) {
  const SgemmFn f = loaded().sgemm;
  for (const Eigen::Index v : {m, n, k, lda, ldb, ldc})
    if (v > INT_MAX || v < 0) return false;
  if (!f || m == 0 || n == 0 || k == 0) return false;
  f(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, int(m), int(n), int(k), alpha, A, int(lda), B,
    int(ldb), beta, C, int(ldc));
  return true;
}

void sgemm(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* A,
           Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C, Eigen::Index ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || !gemmUsesBlas(m, n, k) || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) {
    sgemmEigen(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  sgemmOnBlas(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace attnscope
