// Helpers shared by the input tests: temporary files, raw .npy bytes, tiny images.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "attnscope/error.h"
#include "attnscope/input/rgb_image.h"

namespace attnscope::testutil {

/// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ =
        std::filesystem::temp_directory_path() /
        ("attnscope_input_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// .npy version 1.0 bytes with the given header dict (padded) and raw data bytes.
inline std::string rawNpy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  return out + header + data;
}

/// width×height image whose pixel (x, y) is colour(x, y) → {r, g, b}.
template <typename F>
RgbImage makeImage(int width, int height, F colour) {
  RgbImage img;
  img.width = width;
  img.height = height;
  img.rgb.resize(static_cast<std::size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const auto c = colour(x, y);
      for (int k = 0; k < 3; ++k) img.rgb[(static_cast<std::size_t>(y) * width + x) * 3 + k] = c[k];
    }
  return img;
}

/// Runs `f`, expecting an attnscope::Error whose message contains every one of `parts`.
template <typename F>
void expectError(F&& f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception was thrown";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg;
  }
}

}  // namespace attnscope::testutil
