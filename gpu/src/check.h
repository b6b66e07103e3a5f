// Every CUDA, cuBLAS and cuSOLVER call goes through these checks: a failure becomes a CudaError
// whose message names the call, the error and where it was made.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <string>

namespace attnscope::gpu {

[[noreturn]] void throwCudaError(const char* call, const std::string& error, const char* file,
                                 int line);
const char* cublasStatusName(cublasStatus_t s);
const char* cusolverStatusName(cusolverStatus_t s);

inline void checkCuda(cudaError_t e, const char* call, const char* file, int line) {
  if (e != cudaSuccess)
    throwCudaError(call, std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e), file,
                   line);
}
inline void checkCublas(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s != CUBLAS_STATUS_SUCCESS) throwCudaError(call, cublasStatusName(s), file, line);
}
inline void checkCusolver(cusolverStatus_t s, const char* call, const char* file, int line) {
  if (s != CUSOLVER_STATUS_SUCCESS) throwCudaError(call, cusolverStatusName(s), file, line);
}

}  // namespace attnscope::gpu

#define ATTN_CUDA(call) ::attnscope::gpu::checkCuda((call), #call, __FILE__, __LINE__)
#define ATTN_CUBLAS(call) ::attnscope::gpu::checkCublas((call), #call, __FILE__, __LINE__)
#define ATTN_CUSOLVER(call) ::attnscope::gpu::checkCusolver((call), #call, __FILE__, __LINE__)
/// After a kernel launch: launch-configuration errors surface here, not at the next call.
#define ATTN_CUDA_LAUNCHED() ATTN_CUDA(cudaGetLastError())
