// Owning device allocation (cudaMalloc / cudaFree) with checked copies.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "check.h"

namespace attnscope::gpu {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }

  /// Reallocates when the size changes (contents are not kept).
  void resize(std::size_t count) {
    if (count == n_) return;
    release();
    if (count > 0) ATTN_CUDA(cudaMalloc(reinterpret_cast<void**>(&p_), count * sizeof(T)));
    n_ = count;
  }
  T* get() { return p_; }
  const T* get() const { return p_; }
  std::size_t size() const { return n_; }

  void upload(const T* host, std::size_t count, std::size_t offset, cudaStream_t s) {
    if (count) ATTN_CUDA(cudaMemcpyAsync(p_ + offset, host, count * sizeof(T), cudaMemcpyHostToDevice, s));
  }
  void upload(const std::vector<T>& host, cudaStream_t s) {
    resize(host.size());
    upload(host.data(), host.size(), 0, s);
  }
  void download(T* host, std::size_t count, std::size_t offset, cudaStream_t s) const {
    if (count) ATTN_CUDA(cudaMemcpyAsync(host, p_ + offset, count * sizeof(T), cudaMemcpyDeviceToHost, s));
  }
  /// Every byte 0xFF: NaN for float and double (tests check that kernels overwrite it).
  void poison(cudaStream_t s) {
    if (n_) ATTN_CUDA(cudaMemsetAsync(p_, 0xFF, n_ * sizeof(T), s));
  }
  void zero(cudaStream_t s) {
    if (n_) ATTN_CUDA(cudaMemsetAsync(p_, 0, n_ * sizeof(T), s));
  }

 private:
  void release() {
    if (p_) cudaFree(p_);  // errors on free are not actionable (and must not throw here)
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace attnscope::gpu
