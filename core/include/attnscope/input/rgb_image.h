// A plain RGB float image: what the core receives from the app layer's decoder (core stays
// Qt-free).
#pragma once

#include <string>
#include <vector>

namespace attnscope {

/// width by height pixels, row-major, 3 floats (R, G, B in sRGB, each in [0, 1]) per pixel:
/// pixel (x, y) channel c is rgb[(y * width + x) * 3 + c].
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<float> rgb;

  bool empty() const { return width <= 0 || height <= 0; }
  float at(int x, int y, int c) const {
    return rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c];
  }
};

/// Throws InvalidArgument naming `name` unless the image has width, height ≥ 1, exactly
/// width·height·3 values, and every value is finite.
void validateImage(const RgbImage& image, const std::string& name);

/// Area-average downscale to outWidth by outHeight (each ≤ the input's and ≥ 1). Every output
/// pixel is the coverage-weighted mean of the input pixels under its footprint.
RgbImage downscaleArea(const RgbImage& image, int outWidth, int outHeight);

}  // namespace attnscope
