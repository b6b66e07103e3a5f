#include "attnscope/input/rgb_image.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope {

void validateImage(const RgbImage& image, const std::string& name) {
  if (image.width <= 0 || image.height <= 0) {
    std::ostringstream os;
    os << name << ": the image is empty (" << image.width << "×" << image.height << " pixels)";
    throw InvalidArgument(os.str());
  }
  const std::size_t expected = static_cast<std::size_t>(image.width) * image.height * 3;
  if (image.rgb.size() != expected) {
    std::ostringstream os;
    os << name << ": the image holds " << image.rgb.size() << " values but " << image.width << "×"
       << image.height << " RGB pixels need " << expected;
    throw InvalidArgument(os.str());
  }
  for (std::size_t i = 0; i < expected; ++i)
    if (!std::isfinite(image.rgb[i])) {
      std::ostringstream os;
      os << name << ": pixel " << (i / 3) % image.width << "," << (i / 3) / image.width
         << " is not a finite number";
      throw InvalidArgument(os.str());
    }
}

namespace {
// Coverage weights of the input cells [0, in) under output cell o when `in` is split into `out`.
// Returns (first input index, weights) so that Σ weights = 1.
struct Footprint {
  int first = 0;
  std::vector<double> w;
};

std::vector<Footprint> footprints(int in, int out) {
  std::vector<Footprint> fps(out);
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    const double a = o * scale, b = (o + 1) * scale;
    Footprint& fp = fps[o];
    fp.first = static_cast<int>(std::floor(a));
    const int last = std::min(in - 1, static_cast<int>(std::ceil(b)) - 1);
    for (int i = fp.first; i <= last; ++i) {
      const double cover = std::min<double>(b, i + 1) - std::max<double>(a, i);
      fp.w.push_back(std::max(0.0, cover) / scale);
    }
  }
  return fps;
}
}  // namespace

RgbImage downscaleArea(const RgbImage& image, int outWidth, int outHeight) {
  if (outWidth < 1 || outHeight < 1 || outWidth > image.width || outHeight > image.height)
    throw InvalidArgument("downscaleArea: target size must be between 1×1 and the image size");
  const auto fx = footprints(image.width, outWidth);
  const auto fy = footprints(image.height, outHeight);
  // Horizontal pass: height by outWidth, then vertical pass.
  std::vector<double> tmp(static_cast<std::size_t>(image.height) * outWidth * 3, 0.0);
  for (int y = 0; y < image.height; ++y)
    for (int ox = 0; ox < outWidth; ++ox)
      for (int c = 0; c < 3; ++c) {
        double s = 0.0;
        for (std::size_t k = 0; k < fx[ox].w.size(); ++k)
          s += fx[ox].w[k] * image.at(fx[ox].first + static_cast<int>(k), y, c);
        tmp[(static_cast<std::size_t>(y) * outWidth + ox) * 3 + c] = s;
      }
  RgbImage out;
  out.width = outWidth;
  out.height = outHeight;
  out.rgb.assign(static_cast<std::size_t>(outWidth) * outHeight * 3, 0.0f);
  for (int oy = 0; oy < outHeight; ++oy)
    for (int ox = 0; ox < outWidth; ++ox)
      for (int c = 0; c < 3; ++c) {
        double s = 0.0;
        for (std::size_t k = 0; k < fy[oy].w.size(); ++k)
          s += fy[oy].w[k] *
               tmp[((fy[oy].first + static_cast<std::size_t>(k)) * outWidth + ox) * 3 + c];
        out.rgb[(static_cast<std::size_t>(oy) * outWidth + ox) * 3 + c] =
            static_cast<float>(std::clamp(s, 0.0, 1.0));
      }
  return out;
}

}  // namespace attnscope
