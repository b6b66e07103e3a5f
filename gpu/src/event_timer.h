// Device time of work enqueued on a stream, measured with a pair of CUDA events.
#pragma once

#include "check.h"

namespace attnscope::gpu {

class EventTimer {
 public:
  explicit EventTimer(cudaStream_t s) : s_(s) {
    ATTN_CUDA(cudaEventCreate(&a_));
    if (cudaEventCreate(&b_) != cudaSuccess) {
      cudaEventDestroy(a_);
      ATTN_CUDA(cudaGetLastError());
    }
  }
  ~EventTimer() {
    cudaEventDestroy(a_);
    cudaEventDestroy(b_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  /// Milliseconds of the work f() enqueues (waits for it).
  template <typename F>
  double time(F&& f) {
    ATTN_CUDA(cudaEventRecord(a_, s_));
    f();
    ATTN_CUDA(cudaEventRecord(b_, s_));
    ATTN_CUDA(cudaEventSynchronize(b_));
    float ms = 0;
    ATTN_CUDA(cudaEventElapsedTime(&ms, a_, b_));
    return ms;
  }

 private:
  cudaStream_t s_;
  cudaEvent_t a_ = nullptr, b_ = nullptr;
};

}  // namespace attnscope::gpu
