#include "context.h"

namespace attnscope::gpu {

Context::Context(int device) : device_(device) {
  ATTN_CUDA(cudaSetDevice(device_));
  ATTN_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  ATTN_CUBLAS(cublasCreate(&blas_));
  ATTN_CUBLAS(cublasSetStream(blas_, stream_));
  ATTN_CUDA(cudaDeviceGetAttribute(&maxSmem_, cudaDevAttrMaxSharedMemoryPerBlockOptin, device_));
}

Context::~Context() {
  cudaSetDevice(device_);
  if (blas_) cublasDestroy(blas_);
  if (stream_) cudaStreamDestroy(stream_);
}

void Context::activate() const { ATTN_CUDA(cudaSetDevice(device_)); }

void Context::synchronize() const { ATTN_CUDA(cudaStreamSynchronize(stream_)); }

}  // namespace attnscope::gpu
