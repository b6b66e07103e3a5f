// One device, one stream and one cuBLAS handle. Created the first time a CudaBackend computes;
// every call sets the device first, so backends on different devices can share a thread.
#pragma once

#include "check.h"

namespace attnscope::gpu {

class Context {
 public:
  explicit Context(int device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t blas() const { return blas_; }
  /// Makes this context's device current on the calling thread.
  void activate() const;
  void synchronize() const;
  /// Bytes of opt-in shared memory one thread block may use on this device.
  int maxSharedPerBlock() const { return maxSmem_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  int maxSmem_ = 48 * 1024;
};

}  // namespace attnscope::gpu
