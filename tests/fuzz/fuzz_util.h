// Helpers shared by the fuzz targets: read fixed-size fields off the front of the fuzz input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace attnscope::fuzz {

/// Consumes bytes from the front of the fuzz input; past the end it yields zeros.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  float f32() {
    std::uint32_t bits = 0;
    for (int i = 0; i < 4; ++i) bits |= std::uint32_t(u8()) << (8 * i);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::size_t left() const { return size_ - pos_; }
  /// The rest of the input as a string.
  std::string rest() {
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace attnscope::fuzz
