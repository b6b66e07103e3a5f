#include "gemm.h"

namespace attnscope::gpu {

void mixHeads(cublasHandle_t blas, const float* mix, int m, const float* X, float* Y, int width,
              int heads) {
  // Column-major: Yᵀ (width×m) = Xᵀ (width×m) · Mixᵀ, and Mix row-major is Mixᵀ column-major.
  const float one = 1.0f, zero = 0.0f;
  const long long stride = static_cast<long long>(m) * width;
  ATTN_CUBLAS(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, width, m, m, &one, X, width,
                                        stride, mix, m, 0, &zero, Y, width, stride, heads));
}

void gemmABt(cublasHandle_t blas, int rows, int cols, int k, float alpha, const float* A, int lda,
             long long strideA, const float* B, int ldb, long long strideB, float* C, int ldc,
             long long strideC, int heads) {
  // Column-major: Cᵀ (cols×rows) = B (cols×k) · Aᵀ; row-major B is Bᵀ column-major, hence op T.
  const float zero = 0.0f;
  ATTN_CUBLAS(cublasSgemmStridedBatched(blas, CUBLAS_OP_T, CUBLAS_OP_N, cols, rows, k, &alpha, B,
                                        ldb, strideB, A, lda, strideA, &zero, C, ldc, strideC,
                                        heads));
}

void gemmAB(cublasHandle_t blas, int rows, int cols, int k, const float* A, int lda,
            long long strideA, const float* B, int ldb, long long strideB, float* C, int ldc,
            long long strideC, int heads) {
  // Column-major: Cᵀ (cols×rows) = Bᵀ (cols×k) · Aᵀ (k×rows), both as stored.
  const float one = 1.0f, zero = 0.0f;
  ATTN_CUBLAS(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, cols, rows, k, &one, B, ldb,
                                        strideB, A, lda, strideA, &zero, C, ldc, strideC, heads));
}

}  // namespace attnscope::gpu
