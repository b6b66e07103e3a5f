// Single-precision matrix products on the machine's BLAS (issue 24 #1). Every large product of the
// core and the model forward goes through gemm(): OpenBLAS (Debian's OpenMP build, loaded at first
// use, see blas_library.h) where it is faster, Eigen's own product where BLAS is absent or the
// product is too small to gain. Operands are Eigen matrices, blocks, maps or their transposes over
// plain memory (row- or column-major, unit inner stride); the result is row-major.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <stdexcept>
#include <string>

namespace attnscope {

/// C = alpha·op(A)·op(B) + beta·C on row-major float buffers (op(X) = Xᵀ when transX): A is
/// m×k (k×m when transposed) with leading dimension lda, B k×n (n×k), C m×n (ldc). beta = 0 never
/// reads C. Dispatches to BLAS or Eigen (gemmUsesBlas).
void sgemm(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
           const float* A, Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C,
           Eigen::Index ldc);

/// C = alpha·op(A)·op(B) + beta·C in double (BLAS dgemm when loaded, else Eigen).
void dgemm(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, double alpha,
           const double* A, Eigen::Index lda, const double* B, Eigen::Index ldb, double beta, double* C,
           Eigen::Index ldc);

/// The same product on Eigen only (the reference path, and what `bench --sgemm` compares with).
void sgemmEigen(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
                const float* A, Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C,
                Eigen::Index ldc);

/// The same product on the loaded BLAS whatever gemmUsesBlas says (what `bench --sgemm` measures);
/// false, with C untouched, when no BLAS is loaded or a size exceeds its 32-bit integers.
bool sgemmOnBlas(bool transA, bool transB, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha,
                 const float* A, Eigen::Index lda, const float* B, Eigen::Index ldb, float beta, float* C,
                 Eigen::Index ldc);

/// Whether a product of this shape goes to BLAS: BLAS is loaded and m·n·k reaches
/// kGemmBlasMinWork (below it, call overhead outweighs the faster kernel; measured, see
/// docs/performance.md).
bool gemmUsesBlas(Eigen::Index m, Eigen::Index n, Eigen::Index k);
inline constexpr double kGemmBlasMinWork = 16.0 * 16.0 * 16.0;

namespace gemm_detail {
template <class T>
struct Operand {
  const T* data;
  Eigen::Index ld;
  bool trans;  ///< stored as the transpose, row-major (a column-major view)
};
template <class X>
Operand<typename X::Scalar> operand(const Eigen::MatrixBase<X>& x) {
  static_assert((int(X::Flags) & Eigen::DirectAccessBit) != 0,
                "gemm operands are matrices, blocks or maps over plain memory (evaluate expressions first)");
  static_assert(std::is_same<typename X::Scalar, float>::value || std::is_same<typename X::Scalar, double>::value,
                "gemm multiplies floats or doubles");
  if (x.innerStride() != 1) throw std::invalid_argument("gemm: operands need a unit inner stride");
  const bool rowMajor = bool(X::IsRowMajor);
  // A one-column (one-row) view: any leading dimension of at least its width is valid.
  Eigen::Index ld = x.outerStride();
  if (ld < (rowMajor ? x.cols() : x.rows())) ld = rowMajor ? x.cols() : x.rows();
  return {x.derived().data(), std::max<Eigen::Index>(ld, 1), !rowMajor};
}
}  // namespace gemm_detail

/// C = alpha·A·B + beta·C for Eigen operands (see the header comment), float (sgemm) or double
/// (dgemm). C must be row-major.
template <class DC, class DA, class DB>
void gemm(const Eigen::MatrixBase<DC>& C, const Eigen::MatrixBase<DA>& A, const Eigen::MatrixBase<DB>& B,
          typename DC::Scalar alpha = 1, typename DC::Scalar beta = 0) {
  using T = typename DC::Scalar;
  static_assert(std::is_same<T, typename DA::Scalar>::value && std::is_same<T, typename DB::Scalar>::value,
                "gemm: one scalar type");
  static_assert(bool(DC::IsRowMajor) || DC::ColsAtCompileTime == 1, "gemm writes row-major results");
  static_assert((int(DC::Flags) & Eigen::DirectAccessBit) != 0 && (int(DC::Flags) & Eigen::LvalueBit) != 0,
                "gemm writes into a matrix, block or map");
  if (A.cols() != B.rows() || C.rows() != A.rows() || C.cols() != B.cols())
    throw std::invalid_argument("gemm: shapes " + std::to_string(A.rows()) + "x" + std::to_string(A.cols()) +
                                " * " + std::to_string(B.rows()) + "x" + std::to_string(B.cols()) + " -> " +
                                std::to_string(C.rows()) + "x" + std::to_string(C.cols()) + " do not match");
  if (C.innerStride() != 1) throw std::invalid_argument("gemm: the result needs a unit inner stride");
  const auto a = gemm_detail::operand(A), b = gemm_detail::operand(B);
  auto& c = const_cast<Eigen::MatrixBase<DC>&>(C);
  const Eigen::Index ldc = std::max<Eigen::Index>(DC::IsRowMajor ? c.outerStride() : c.cols(), std::max<Eigen::Index>(c.cols(), 1));
  if constexpr (std::is_same<T, float>::value)
    sgemm(a.trans, b.trans, C.rows(), C.cols(), A.cols(), alpha, a.data, a.ld, b.data, b.ld, beta,
          c.derived().data(), ldc);
  else
    dgemm(a.trans, b.trans, C.rows(), C.cols(), A.cols(), alpha, a.data, a.ld, b.data, b.ld, beta,
          c.derived().data(), ldc);
}

}  // namespace attnscope
