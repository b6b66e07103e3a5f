#include "attnscope/input/image_features.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {
constexpr double kPi = 3.14159265358979323846;

double srgbToLinear(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

// OKLab planes of the image (each width·height floats, row-major).
struct LabPlanes {
  std::vector<float> L, a, b;
};

LabPlanes toOkLab(const RgbImage& img) {
  const std::size_t n = static_cast<std::size_t>(img.width) * img.height;
  LabPlanes p;
  p.L.resize(n);
  p.a.resize(n);
  p.b.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double r = srgbToLinear(img.rgb[3 * i]);
    const double g = srgbToLinear(img.rgb[3 * i + 1]);
    const double bl = srgbToLinear(img.rgb[3 * i + 2]);
    const double l = std::cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * bl);
    const double m = std::cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * bl);
    const double s = std::cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * bl);
    p.L[i] = static_cast<float>(0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s);
    p.a[i] = static_cast<float>(1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s);
    p.b[i] = static_cast<float>(0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s);
  }
  return p;
}

// Row `row` of `f`: mean and standard deviation of L, a, b over the rect.
void colourFeatures(const LabPlanes& lab, int width, const PixelRect& r, MatrixD& f, int row) {
  const std::vector<float>* planes[3] = {&lab.L, &lab.a, &lab.b};
  const double count = static_cast<double>(r.width) * r.height;
  for (int c = 0; c < 3; ++c) {
    double sum = 0.0, sum2 = 0.0;
    for (int y = r.y; y < r.y + r.height; ++y)
      for (int x = r.x; x < r.x + r.width; ++x) {
        const double v = (*planes[c])[static_cast<std::size_t>(y) * width + x];
        sum += v;
        sum2 += v * v;
      }
    const double mean = sum / count;
    f(row, c) = mean;
    f(row, 3 + c) = std::sqrt(std::max(0.0, sum2 / count - mean * mean));
  }
}

// Columns [6, 14) of row `row`: magnitude-weighted histogram of unsigned gradient orientation
// (central differences of L, clamped at the image border; linear interpolation between the 8
// circular bins), divided by the patch's pixel count.
void orientationFeatures(const std::vector<float>& L, int width, int height, const PixelRect& r,
                         MatrixD& f, int row) {
  double hist[kOrientationBins] = {};
  auto at = [&](int x, int y) {
    x = std::clamp(x, 0, width - 1);
    y = std::clamp(y, 0, height - 1);
    return static_cast<double>(L[static_cast<std::size_t>(y) * width + x]);
  };
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x) {
      const double gx = 0.5 * (at(x + 1, y) - at(x - 1, y));
      const double gy = 0.5 * (at(x, y + 1) - at(x, y - 1));
      const double mag = std::sqrt(gx * gx + gy * gy);
      if (mag == 0.0) continue;
      double theta = std::atan2(gy, gx);
      if (theta < 0) theta += kPi;
      if (theta >= kPi) theta -= kPi;
      const double u = theta / kPi * kOrientationBins - 0.5;
      const double fl = std::floor(u);
      const double frac = u - fl;
      const int b0 = (static_cast<int>(fl) + kOrientationBins) % kOrientationBins;
      const int b1 = (b0 + 1) % kOrientationBins;
      hist[b0] += mag * (1.0 - frac);
      hist[b1] += mag * frac;
    }
  const double count = static_cast<double>(r.width) * r.height;
  for (int k = 0; k < kOrientationBins; ++k) f(row, kColourFeatures + k) = hist[k] / count;
}

// Columns [14, 30) of row `row`: 4×4 cell means of L minus the patch's mean L (cells are an even
// split of the rect; a cell narrower than a pixel uses the pixel under its start).
void thumbnailFeatures(const std::vector<float>& L, int width, const PixelRect& r, double meanL,
                       MatrixD& f, int row) {
  const int base = kColourFeatures + kOrientationBins;
  for (int cy = 0; cy < kThumbSide; ++cy) {
    int y0 = r.y + cy * r.height / kThumbSide;
    int y1 = std::max(y0 + 1, r.y + (cy + 1) * r.height / kThumbSide);
    for (int cx = 0; cx < kThumbSide; ++cx) {
      int x0 = r.x + cx * r.width / kThumbSide;
      int x1 = std::max(x0 + 1, r.x + (cx + 1) * r.width / kThumbSide);
      double sum = 0.0;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) sum += L[static_cast<std::size_t>(y) * width + x];
      f(row, base + cy * kThumbSide + cx) = sum / ((y1 - y0) * (x1 - x0)) - meanL;
    }
  }
}
}  // namespace

MatrixD rawPatchFeatures(const RgbImage& image, const TokenSet& set) {
  const LabPlanes lab = toOkLab(image);
  MatrixD f = MatrixD::Zero(set.size(), kImageFeatureDim);
  for (int i = 0; i < set.size(); ++i) {
    const PixelRect& r = set.tokens[i].rect;
    if (r.width <= 0 || r.height <= 0) continue;
    colourFeatures(lab, image.width, r, f, i);
    orientationFeatures(lab.L, image.width, image.height, r, f, i);
    thumbnailFeatures(lab.L, image.width, r, f(i, 0), f, i);
  }
  return f;
}

void standardisePatchFeatures(MatrixD& f) {
  const Eigen::Index n = f.rows();
  if (n == 0) return;
  for (Eigen::Index c = 0; c < f.cols(); ++c) {
    const double mean = f.col(c).mean();
    const double var = (f.col(c).array() - mean).square().mean();
    const double sd = std::sqrt(var);
    double groupWeight, groupDim;
    if (c < kColourFeatures) {
      groupWeight = 0.5;
      groupDim = kColourFeatures;
    } else if (c < kColourFeatures + kOrientationBins) {
      groupWeight = 0.25;
      groupDim = kOrientationBins;
    } else {
      groupWeight = 0.25;
      groupDim = kThumbSide * kThumbSide;
    }
    if (sd < 1e-6) {  // constant up to float rounding: carries no information
      f.col(c).setZero();
    } else {
      f.col(c) = (f.col(c).array() - mean) * (std::sqrt(groupWeight / groupDim) / sd);
    }
  }
}

MatrixD imagePatchFeatures(const RgbImage& image, const TokenSet& set) {
  MatrixD f = rawPatchFeatures(image, set);
  standardisePatchFeatures(f);
  return f;
}

}  // namespace attnscope
