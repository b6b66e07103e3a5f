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
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                        double*, int);
using NameFn = char* (*)();
using DsyrkFn = void (*)(const char*, const char*, const int*, const int*, const double*, const double*, const int*,
                        const double*, double*, const int*);
using DsyevdFn = void (*)(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*,
                          const int*, int*);
// LAPACK's Fortran dgesdd (32-bit integers, column-major).
using DgesddFn = void (*)(const char*, const int*, const int*, double*, const int*, double*, double*, const int*,
                          double*, const int*, double*, const int*, int*, int*);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Loaded {
  BlasInfo info;
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  DgesddFn dgesdd = nullptr;
  DsyrkFn dsyrk = nullptr;
  DsyevdFn dsyevd = nullptr;
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
  l.dgemm = reinterpret_cast<DgemmFn>(dlsym(h, "cblas_dgemm"));
  l.dgesdd = reinterpret_cast<DgesddFn>(dlsym(h, "dgesdd_"));
  l.dsyrk = reinterpret_cast<DsyrkFn>(dlsym(h, "dsyrk_"));
  l.dsyevd = reinterpret_cast<DsyevdFn>(dlsym(h, "dsyevd_"));
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

template <class T>
using RowMapC = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;
template <class T>
using ColMapC = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0, Eigen::OuterStride<>>;
template <class T>
using RowMapW = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;

template <class T, class XA, class XB>
void eigenProduct(const XA& a, const XB& b, T alpha, T beta, RowMapW<T> c) {
  if (beta == T(0)) {
    c.noalias() = alpha * a * b;
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * a * b;
  }
}

template <class T>
void gemmEigenImpl(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, T alpha, const T* A,
                   Eigen::Index lda, const T* B, Eigen::Index ldb, T beta, T* C, Eigen::Index ldc) {
  if (m <= 0 || n <= 0) return;
  RowMapW<T> c(C, m, n, Eigen::OuterStride<>(ldc));
  if (k <= 0) {
    if (beta == T(0))
      c.setZero();
    else
      c *= beta;
    return;
  }
  const Eigen::OuterStride<> sa(lda), sb(ldb);
  if (!transA && !transB)
    eigenProduct<T>(RowMapC<T>(A, m, k, sa), RowMapC<T>(B, k, n, sb), alpha, beta, c);
  else if (!transA)
    eigenProduct<T>(RowMapC<T>(A, m, k, sa), ColMapC<T>(B, k, n, sb), alpha, beta, c);
  else if (!transB)
    eigenProduct<T>(ColMapC<T>(A, m, k, sa), RowMapC<T>(B, k, n, sb), alpha, beta, c);
  else
    eigenProduct<T>(ColMapC<T>(A, m, k, sa), ColMapC<T>(B, k, n, sb), alpha, beta, c);
}

template <class T, class Fn>
bool gemmBlasImpl(Fn f, bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, T alpha, const T* A,
                  Eigen::Index lda, const T* B, Eigen::Index ldb, T beta, T* C, Eigen::Index ldc) {
  for (const Eigen::Index v : {m, n, k, lda, ldb, ldc})
    if (v > INT_MAX || v < 0) return false;
  if (!f || m == 0 || n == 0 || k == 0) return false;
  f(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, int(m), int(n), int(k), alpha, A, int(lda), B,
    int(ldb), beta, C, int(ldc));
  return true;
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

bool lapackGramSingularValues(const Eigen::Ref<const MatrixD>& a, Eigen::VectorXd& sigma) {
  const Loaded& l = loaded();
  const Eigen::Index m = a.rows(), n = a.cols(), k = std::min(m, n);
  if (!l.dsyrk || !l.dsyevd || k == 0 || m > INT_MAX / 8 || n > INT_MAX / 8 || double(k) * double(k) > double(INT_MAX))
    return false;
  // The row-major m×n buffer is X = Aᵀ column-major (n×m, leading dimension = its row stride).
  // m ≤ n: G = A·Aᵀ = XᵀX (trans 'T'); else G = AᵀA = XXᵀ (trans 'N').
  if (a.innerStride() != 1) return false;
  const int N = int(k), K = int(std::max(m, n)), ldx = int(a.outerStride()), ldg = std::max(1, N);
  const double one = 1.0, zero = 0.0;
  Eigen::MatrixXd g(k, k);
  l.dsyrk("L", m <= n ? "T" : "N", &N, &K, &one, a.data(), &ldx, &zero, g.data(), &ldg);
  Eigen::VectorXd w(k);
  int info = 0, lwork = -1, liwork = -1, iquery = 0;
  double query = 0;
  l.dsyevd("N", "L", &N, g.data(), &ldg, w.data(), &query, &lwork, &iquery, &liwork, &info);
  if (info != 0 || !(query >= 1) || query > double(INT_MAX) || iquery < 1) return false;
  lwork = int(query);
  liwork = iquery;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  l.dsyevd("N", "L", &N, g.data(), &ldg, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0) return false;
  sigma = w.reverse().cwiseMax(0.0).cwiseSqrt();  // ascending eigenvalues σ² → σ descending
  return true;
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
  gemmEigenImpl<float>(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bool sgemmOnBlas(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* A,
                 Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C, Eigen::Index ldc) {
  return gemmBlasImpl<float>(loaded().sgemm, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void sgemm(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* A,
           Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C, Eigen::Index ldc) {
  if (!gemmUsesBlas(m, n, k) ||
      !sgemmOnBlas(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc))
    sgemmEigen(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, double alpha, const double* A,
           Eigen::Index lda, const double* B, Eigen::Index ldb, double beta, double* C, Eigen::Index ldc) {
  // The same rule as sgemm (measured 256×1024×64 on one thread: Haswell's dgemm about Eigen's
  // AVX-512 one, SkylakeX's 1.2–1.5× it).
  const bool blas = loaded().dgemm && gemmUsesBlas(m, n, k) &&
                    gemmBlasImpl<double>(loaded().dgemm, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  if (!blas) gemmEigenImpl<double>(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace attnscope
