// Named device scratch buffers that grow on demand and are kept between calls (no cudaMalloc per
// forward once warm).
#pragma once

#include <map>
#include <string>

#include "device_buffer.h"

namespace attnscope::gpu {

class Workspace {
 public:
  /// A buffer of at least `count` floats (contents undefined).
  float* floats(const std::string& name, std::size_t count) { return grow(floats_[name], count); }
  int* ints(const std::string& name, std::size_t count) { return grow(ints_[name], count); }
  double* doubles(const std::string& name, std::size_t count) { return grow(doubles_[name], count); }
  /// Frees everything (after an out-of-memory error, say).
  void clear() {
    floats_.clear();
    ints_.clear();
    doubles_.clear();
  }

 private:
  template <typename T>
  static T* grow(DeviceBuffer<T>& b, std::size_t count) {
    if (b.size() < count) {
      b.resize(0);  // free first: the old and new buffers need not fit together
      b.resize(count);
    }
    return b.get();
  }
  std::map<std::string, DeviceBuffer<float>> floats_;
  std::map<std::string, DeviceBuffer<int>> ints_;
  std::map<std::string, DeviceBuffer<double>> doubles_;
};

}  // namespace attnscope::gpu
