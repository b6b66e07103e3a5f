// From a decoded image to the model's float32 CHW input: 8-bit conversion, Pillow resize, centre
// crop, rescale and normalise in float32 as numpy/torch do; and the native-resolution variant.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "attnscope/error.h"
#include "attnscope/models/preprocess.h"

namespace attnscope::models {

namespace {

std::string sizeText(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

/// Offset of a centred crop of `crop` inside `size` (crop <= size).
int cropOffset(int size, int crop, CropRounding rounding) {
  const int margin = size - crop;
  const int half = margin / 2;  // margin >= 0: floor
  if (rounding == CropRounding::Floor || margin % 2 == 0) return half;
  // Python's round(k + 0.5) rounds to the even neighbour.
  return half % 2 == 0 ? half : half + 1;
}

/// Crops `img` at (left, top) to w x h, then rescales and normalises into `out`.
void finish(const Rgb8Image& img, int left, int top, int w, int h, const ImagePreprocess& p,
            PreprocessedImage& out) {
  out.width = w;
  out.height = h;
  out.cropLeft = left;
  out.cropTop = top;
  out.chw.assign(static_cast<std::size_t>(3) * w * h, 0.0f);
  float mean[3], stdv[3];
  for (int c = 0; c < 3; ++c) {
    mean[c] = static_cast<float>(p.mean[c]);
    stdv[c] = static_cast<float>(p.std[c]);
  }
  const std::size_t plane = static_cast<std::size_t>(w) * h;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row =
        img.rgb.data() + (static_cast<std::size_t>(y + top) * img.width + left) * 3;
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) {
        const std::uint8_t v = row[x * 3 + c];
        // transformers' rescale: float64 multiply, then float32; normalise in float32.
        float f = p.doRescale ? static_cast<float>(static_cast<double>(v) * p.rescaleFactor)
                              : static_cast<float>(v);
        if (p.doNormalize) f = (f - mean[c]) / stdv[c];
        out.chw[c * plane + static_cast<std::size_t>(y) * w + x] = f;
      }
    }
  }
}

}  // namespace

std::array<int, 2> shortestEdgeSize(int width, int height, int shortestEdge) {
  if (width <= 0 || height <= 0 || shortestEdge <= 0)
    throw InvalidArgument("shortest-edge resize of " + sizeText(width, height) + " to " +
                          std::to_string(shortestEdge) + ": sizes must be positive");
  const bool wide = !(width <= height);
  const int shortSide = wide ? height : width;
  const int longSide = wide ? width : height;
  // Python: int(size * long / short), the product exact, the division correctly rounded.
  const double longOut =
      static_cast<double>(static_cast<std::int64_t>(shortestEdge) * longSide) / shortSide;
  if (longOut > (1 << 20))
    throw InvalidArgument("shortest-edge resize of " + sizeText(width, height) + " to " +
                          std::to_string(shortestEdge) + " makes the long side too large");
  const int newLong = static_cast<int>(longOut);
  return wide ? std::array<int, 2>{newLong, shortestEdge}
              : std::array<int, 2>{shortestEdge, newLong};
}

Rgb8Image toRgb8(const RgbImage& image) {
  validateImage(image, "image");
  Rgb8Image out{image.width, image.height, std::vector<std::uint8_t>(image.rgb.size())};
  for (std::size_t i = 0; i < image.rgb.size(); ++i)
    out.rgb[i] =
        static_cast<std::uint8_t>(std::clamp<long>(std::lround(image.rgb[i] * 255.0), 0, 255));
  return out;
}

PreprocessedImage preprocessImage(const RgbImage& image, const ImagePreprocess& p) {
  PreprocessedImage out;
  Rgb8Image img = toRgb8(image);
  out.sourceWidth = img.width;
  out.sourceHeight = img.height;
  if (p.doResize) {
    std::array<int, 2> size = p.shortestEdge > 0
                                  ? shortestEdgeSize(img.width, img.height, p.shortestEdge)
                                  : std::array<int, 2>{p.resizeWidth, p.resizeHeight};
    if (size[0] > kMaxPreprocessSide || size[1] > kMaxPreprocessSide ||
        static_cast<long long>(size[0]) * size[1] > kMaxPreprocessPixels)
      throw InvalidArgument("resizing " + sizeText(img.width, img.height) + " to " + sizeText(size[0], size[1]) +
                            " is over the " + std::to_string(kMaxPreprocessPixels / 1000000) +
                            " megapixels (at most " + std::to_string(kMaxPreprocessSide) +
                            " a side) an image may be preprocessed to");
    if (size[0] != img.width || size[1] != img.height) {
      out.notices.push_back("resized " + sizeText(img.width, img.height) + " to " +
                            sizeText(size[0], size[1]) + " (" + filterName(p.filter) + ")");
      img = resizePil(img, size[0], size[1], p.filter);
    }
  }
  out.resizedWidth = img.width;
  out.resizedHeight = img.height;
  int left = 0, top = 0, w = img.width, h = img.height;
  if (p.doCenterCrop) {
    if (p.cropWidth <= 0 || p.cropHeight <= 0 || p.cropWidth > img.width ||
        p.cropHeight > img.height)
      throw InvalidArgument("centre crop " + sizeText(p.cropWidth, p.cropHeight) +
                            " does not fit the " + (p.doResize ? "resized " : "") + "image of " +
                            sizeText(img.width, img.height));
    w = p.cropWidth;
    h = p.cropHeight;
    left = cropOffset(img.width, w, p.cropRounding);
    top = cropOffset(img.height, h, p.cropRounding);
    if (w != img.width || h != img.height)
      out.notices.push_back("centre-cropped to " + sizeText(w, h) + " at (" + std::to_string(left) +
                            ", " + std::to_string(top) + ")");
  }
  finish(img, left, top, w, h, p, out);
  return out;
}

PreprocessedImage preprocessNative(const RgbImage& image, const ImagePreprocess& p, int patchSize,
                                   int maxPatches) {
  if (patchSize <= 0)
    throw InvalidArgument("native resolution: patch size " + std::to_string(patchSize) +
                          " must be positive");
  if (maxPatches <= 0)
    throw InvalidArgument("native resolution: the token budget " + std::to_string(maxPatches) +
                          " must be positive");
  PreprocessedImage out;
  Rgb8Image img = toRgb8(image);
  out.sourceWidth = img.width;
  out.sourceHeight = img.height;
  if (img.width < patchSize || img.height < patchSize)
    throw InvalidArgument("native resolution: the image (" + sizeText(img.width, img.height) +
                          ") is smaller than one " + std::to_string(patchSize) + "x" +
                          std::to_string(patchSize) + " patch");
  const auto patches = [&](int w, int h) {
    return static_cast<long long>(w / patchSize) * static_cast<long long>(h / patchSize);
  };
  int w = img.width, h = img.height;
  if (patches(w, h) > maxPatches) {
    // The largest aspect-keeping size within the budget: step the longer side down one pixel at a
    // time (the shorter follows, rounded), so no larger size fits.
    const bool wide = img.width >= img.height;
    const int longSide = wide ? img.width : img.height;
    const int shortSide = wide ? img.height : img.width;
    bool found = false;
    for (int l = longSide - 1; l >= patchSize; --l) {
      const int s = static_cast<int>(std::lround(static_cast<double>(shortSide) * l / longSide));
      if (s < patchSize) break;
      const int cw = wide ? l : s, ch = wide ? s : l;
      if (patches(cw, ch) <= maxPatches) {
        w = cw;
        h = ch;
        found = true;
        break;
      }
    }
    if (!found)
      throw InvalidArgument("native resolution: the image (" + sizeText(img.width, img.height) +
                            ") cannot keep its aspect ratio within " + std::to_string(maxPatches) +
                            " patches of " + std::to_string(patchSize) +
                            " pixels (a side would be smaller than one patch)");
    out.notices.push_back("scaled " + sizeText(img.width, img.height) + " down to " +
                          sizeText(w, h) + " (" + filterName(p.filter) + ") to fit " +
                          std::to_string(maxPatches) + " patches");
    img = resizePil(img, w, h, p.filter);
  }
  out.resizedWidth = img.width;
  out.resizedHeight = img.height;
  const int cw = img.width / patchSize * patchSize, ch = img.height / patchSize * patchSize;
  const int left = cropOffset(img.width, cw, CropRounding::Floor);
  const int top = cropOffset(img.height, ch, CropRounding::Floor);
  if (cw != img.width || ch != img.height)
    out.notices.push_back("centre-cropped to " + sizeText(cw, ch) + " (multiples of the " +
                          std::to_string(patchSize) + "-pixel patch)");
  finish(img, left, top, cw, ch, p, out);
  return out;
}

}  // namespace attnscope::models
