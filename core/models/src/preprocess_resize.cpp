// Pillow's Image.resize for 8-bit RGB (libImaging/Resample.c and, for nearest, the affine scale
// path of Geometry.c), reimplemented from the algorithm: per output pixel a window of input pixels
// around centre = (i + 0.5)·scale, weights filter((x − centre + 0.5) / filterscale) normalised to
// 1, turned into 22-bit fixed point; horizontal pass, clip to 8 bits, vertical pass, clip.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/models/preprocess.h"

namespace attnscope::models {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS
constexpr double kPi = 3.14159265358979323846;

double boxFilter(double x) {
  return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

double bilinearFilter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubicFilter(double x) {  // Keys' cubic convolution, a = -0.5
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= kPi;
  return std::sin(x) / x;
}

double lanczosFilter(double x) {  // a = 3, on [-3, 3)
  return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0;
}

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filterOf(ResampleFilter f) {
  switch (f) {
    case ResampleFilter::Box:
      return {boxFilter, 0.5};
    case ResampleFilter::Bilinear:
      return {bilinearFilter, 1.0};
    case ResampleFilter::Bicubic:
      return {bicubicFilter, 2.0};
    case ResampleFilter::Lanczos:
      return {lanczosFilter, 3.0};
    case ResampleFilter::Nearest:
      break;
  }
  throw InvalidArgument("resize: no convolution filter for nearest");
}

/// One pass's taps: for output i, `count[i]` input pixels from `first[i]`, fixed-point weights in
/// `weights[i * ksize …]`.
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> weights;
};

Taps computeTaps(int inSize, int outSize, const Filter& filter) {
  // Pillow computes (in1 - in0) in float for the box (0, in); exact for these sizes.
  const double scale = static_cast<double>(static_cast<float>(inSize)) / outSize;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(outSize);
  t.count.resize(outSize);
  t.weights.assign(static_cast<std::size_t>(outSize) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  const double ss = 1.0 / filterscale;
  for (int i = 0; i < outSize; ++i) {
    const double center = (i + 0.5) * scale;
    // C's (int) truncates toward zero; a negative start becomes 0 either way.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    xmax = std::clamp(xmax, 0, t.ksize);
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = filter.fn((x + xmin - center + 0.5) * ss);
      total += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = total != 0.0 ? k[x] / total : k[x];
      const double fixed = w * (1 << kPrecisionBits);
      // Rounded half away from zero, as Pillow's normalize_coeffs_8bpc.
      t.weights[static_cast<std::size_t>(i) * t.ksize + x] =
          static_cast<std::int32_t>(w < 0 ? -0.5 + fixed : 0.5 + fixed);
    }
    t.first[i] = xmin;
    t.count[i] = xmax;
  }
  return t;
}

std::uint8_t clip8(std::int64_t acc) {
  // Arithmetic shift (floor), then clamp: Pillow's clip8 lookup table.
  const std::int64_t v = acc >> kPrecisionBits;
  return static_cast<std::uint8_t>(std::clamp<std::int64_t>(v, 0, 255));
}

Rgb8Image horizontalPass(const Rgb8Image& in, int outW, const Filter& filter) {
  const Taps t = computeTaps(in.width, outW, filter);
  Rgb8Image out{outW, in.height,
                std::vector<std::uint8_t>(static_cast<std::size_t>(outW) * in.height * 3)};
  for (int y = 0; y < in.height; ++y) {
    const std::uint8_t* row = in.rgb.data() + static_cast<std::size_t>(y) * in.width * 3;
    std::uint8_t* dst = out.rgb.data() + static_cast<std::size_t>(y) * outW * 3;
    for (int i = 0; i < outW; ++i) {
      const std::int32_t* k = t.weights.data() + static_cast<std::size_t>(i) * t.ksize;
      std::int64_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1),
                             1 << (kPrecisionBits - 1)};
      for (int x = 0; x < t.count[i]; ++x) {
        const std::uint8_t* px = row + static_cast<std::size_t>(t.first[i] + x) * 3;
        for (int c = 0; c < 3; ++c) acc[c] += static_cast<std::int64_t>(px[c]) * k[x];
      }
      for (int c = 0; c < 3; ++c) dst[i * 3 + c] = clip8(acc[c]);
    }
  }
  return out;
}

Rgb8Image verticalPass(const Rgb8Image& in, int outH, const Filter& filter) {
  const Taps t = computeTaps(in.height, outH, filter);
  const std::size_t rowBytes = static_cast<std::size_t>(in.width) * 3;
  Rgb8Image out{in.width, outH, std::vector<std::uint8_t>(rowBytes * outH)};
  for (int j = 0; j < outH; ++j) {
    const std::int32_t* k = t.weights.data() + static_cast<std::size_t>(j) * t.ksize;
    std::uint8_t* dst = out.rgb.data() + static_cast<std::size_t>(j) * rowBytes;
    for (std::size_t b = 0; b < rowBytes; ++b) {
      std::int64_t acc = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < t.count[j]; ++y)
        acc += static_cast<std::int64_t>(
                   in.rgb[static_cast<std::size_t>(t.first[j] + y) * rowBytes + b]) *
               k[y];
      dst[b] = clip8(acc);
    }
  }
  return out;
}

/// Pillow's nearest resize: the affine scale path, source x = COORD(x0 + step·…) with the position
/// accumulated in double from step/2; positions outside the image give 0.
Rgb8Image resizeNearest(const Rgb8Image& in, int outW, int outH) {
  const double ax = static_cast<double>(static_cast<float>(in.width)) / outW;
  const double ay = static_cast<double>(static_cast<float>(in.height)) / outH;
  auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  std::vector<int> xs(outW);
  double xo = ax * 0.5;
  for (int x = 0; x < outW; ++x) {
    xs[x] = coord(xo);
    xo += ax;
  }
  Rgb8Image out{outW, outH,
                std::vector<std::uint8_t>(static_cast<std::size_t>(outW) * outH * 3, 0)};
  double yo = ay * 0.5;
  for (int y = 0; y < outH; ++y) {
    const int yi = coord(yo);
    yo += ay;
    if (yi < 0 || yi >= in.height) continue;
    for (int x = 0; x < outW; ++x) {
      if (xs[x] < 0 || xs[x] >= in.width) continue;
      const std::uint8_t* src =
          in.rgb.data() + (static_cast<std::size_t>(yi) * in.width + xs[x]) * 3;
      std::copy(src, src + 3, out.rgb.data() + (static_cast<std::size_t>(y) * outW + x) * 3);
    }
  }
  return out;
}

}  // namespace

const char* filterName(ResampleFilter f) {
  switch (f) {
    case ResampleFilter::Nearest:
      return "nearest";
    case ResampleFilter::Bilinear:
      return "bilinear";
    case ResampleFilter::Bicubic:
      return "bicubic";
    case ResampleFilter::Box:
      return "box";
    case ResampleFilter::Lanczos:
      return "lanczos";
  }
  return "?";
}

Rgb8Image resizePil(const Rgb8Image& image, int outW, int outH, ResampleFilter filter) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    throw InvalidArgument("resize: the image is " + std::to_string(image.width) + "x" +
                          std::to_string(image.height) + " with " +
                          std::to_string(image.rgb.size()) + " bytes (expected width·height·3)");
  if (outW <= 0 || outH <= 0 || outW > (1 << 20) || outH > (1 << 20))
    throw InvalidArgument("resize: output size " + std::to_string(outW) + "x" +
                          std::to_string(outH) + " is not between 1 and 1048576 pixels a side");
  if (outW == image.width && outH == image.height) return image;  // Image.resize returns a copy
  if (filter == ResampleFilter::Nearest) return resizeNearest(image, outW, outH);
  const Filter f = filterOf(filter);
  Rgb8Image current = image;
  if (outW != current.width) current = horizontalPass(current, outW, f);
  if (outH != current.height) current = verticalPass(current, outH, f);
  return current;
}

}  // namespace attnscope::models
