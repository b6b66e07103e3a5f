// The few cuBLAS products the backend needs, in row-major terms (cuBLAS is column-major: a
// row-major R×C matrix is a column-major C×R one, so each call swaps its operands).
#pragma once

#include "check.h"

namespace attnscope::gpu {

/// Y[h] = Mix · X[h] for each head h: Mix is m×m (row-major, shared), X[h] and Y[h] are m×width.
void mixHeads(cublasHandle_t blas, const float* mix, int m, const float* X, float* Y, int width,
              int heads);
/// C[h] = alpha · A[h] · B[h]ᵀ: A[h] rows×k (row stride lda), B[h] cols×k (stride ldb),
/// C[h] rows×cols (row stride ldc). Strides between heads in elements.
void gemmABt(cublasHandle_t blas, int rows, int cols, int k, float alpha, const float* A, int lda,
             long long strideA, const float* B, int ldb, long long strideB, float* C, int ldc,
             long long strideC, int heads);
/// C[h] = A[h] · B[h]: A[h] rows×k (stride lda), B[h] k×cols (stride ldb), C[h] rows×cols.
void gemmAB(cublasHandle_t blas, int rows, int cols, int k, const float* A, int lda,
            long long strideA, const float* B, int ldb, long long strideB, float* C, int ldc,
            long long strideC, int heads);

}  // namespace attnscope::gpu
