// Bicubic resampling of a position-embedding grid, reimplemented from PyTorch's CPU kernels
// (aten/src/ATen/native/UpSample.h, cpu/UpSampleKernel.cpp): the generic kernel (a = -0.75, four
// clamped taps) without antialias, the separable PIL-style "aa" kernel (a = -0.5) with it.
// Computed in double from float32 inputs; PyTorch computes in float32, so results agree to float32
// rounding.
#include "attnscope/models/position_resample.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attnscope/error.h"

namespace attnscope::models {

namespace {

/// One output index's taps along one axis.
struct AxisTaps {
  std::vector<int> first, count;
  std::vector<std::vector<int>> index;  // input index of each tap
  std::vector<std::vector<double>> weight;
};

double cubic1(double x, double a) {
  return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
}  // |x| <= 1
double cubic2(double x, double a) {
  return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
}  // 1 < |x| < 2

/// area_pixel_compute_scale for float tensors: in/out in float32.
double pixelScale(int in, int out) {
  return static_cast<double>(static_cast<float>(in) / static_cast<float>(out));
}

/// PyTorch's generic bicubic (antialias=False): source (i+0.5)·scale − 0.5 (not clamped for cubic),
/// floor and fraction guarded, taps x−1 … x+2 clamped to the border, a = −0.75.
AxisTaps cubicTaps(int in, int out) {
  constexpr double A = -0.75;
  const double scale = pixelScale(in, out);
  AxisTaps t;
  t.index.resize(out);
  t.weight.resize(out);
  for (int i = 0; i < out; ++i) {
    const double real = scale * (i + 0.5) - 0.5;
    const int idx = std::min(static_cast<int>(std::floor(real)), in - 1);
    const double lambda = std::clamp(real - idx, 0.0, 1.0);
    const double w[4] = {cubic2(lambda + 1.0, A), cubic1(lambda, A), cubic1(1.0 - lambda, A),
                         cubic2(2.0 - lambda, A)};
    for (int k = 0; k < 4; ++k) {
      t.index[i].push_back(std::clamp(idx - 1 + k, 0, in - 1));
      t.weight[i].push_back(w[k]);
    }
  }
  return t;
}

double keysCubic(double x) {  // HelperInterpCubic::aa_filter, a = -0.5
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return cubic1(x, a);
  if (x < 2.0) return cubic2(x, a);
  return 0.0;
}

/// PyTorch's _compute_indices_min_size_weights_aa for bicubic (interp_size 4): support
/// 2·scale when shrinking (2 otherwise), centre scale·(i+0.5), weights normalised to 1.
AxisTaps aaTaps(int in, int out) {
  const double scale = pixelScale(in, out);
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  const int maxTaps = static_cast<int>(std::ceil(support)) * 2 + 1;
  AxisTaps t;
  t.index.resize(out);
  t.weight.resize(out);
  for (int i = 0; i < out; ++i) {
    const double center = scale * (i + 0.5);
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xsize =
        std::clamp(std::min(static_cast<int>(center + support + 0.5), in) - xmin, 0, maxTaps);
    double total = 0.0;
    for (int j = 0; j < xsize; ++j) {
      const double w = keysCubic((j + xmin - center + 0.5) * invscale);
      t.index[i].push_back(xmin + j);
      t.weight[i].push_back(w);
      total += w;
    }
    if (total != 0.0)
      for (double& w : t.weight[i]) w /= total;
  }
  return t;
}

/// Resamples axis `axis` (0 = rows of the grid, 1 = columns) of a grid stored as
/// [rows][cols][D] doubles.
std::vector<double> resampleAxis(const std::vector<double>& src, int rows, int cols, int D,
                                 int axis, const AxisTaps& t, int outSize) {
  const int outRows = axis == 0 ? outSize : rows;
  const int outCols = axis == 1 ? outSize : cols;
  std::vector<double> dst(static_cast<std::size_t>(outRows) * outCols * D, 0.0);
  for (int r = 0; r < outRows; ++r)
    for (int c = 0; c < outCols; ++c) {
      double* o = dst.data() + (static_cast<std::size_t>(r) * outCols + c) * D;
      const int i = axis == 0 ? r : c;
      for (std::size_t k = 0; k < t.index[i].size(); ++k) {
        const int sr = axis == 0 ? t.index[i][k] : r;
        const int sc = axis == 1 ? t.index[i][k] : c;
        const double* s = src.data() + (static_cast<std::size_t>(sr) * cols + sc) * D;
        const double w = t.weight[i][k];
        for (int d = 0; d < D; ++d) o[d] += w * s[d];
      }
    }
  return dst;
}

}  // namespace

MatrixF resamplePositionGrid(const MatrixF& grid, int sh, int sw, int gh, int gw, bool antialias) {
  if (sh <= 0 || sw <= 0 || gh <= 0 || gw <= 0 || gh > 4096 || gw > 4096)
    throw InvalidArgument("position grid resample " + std::to_string(sh) + "x" +
                          std::to_string(sw) + " -> " + std::to_string(gh) + "x" +
                          std::to_string(gw) + ": sides must be between 1 and 4096");
  if (grid.rows() != static_cast<Eigen::Index>(sh) * sw)
    throw InvalidArgument("position grid resample: " + std::to_string(grid.rows()) +
                          " rows for a " + std::to_string(sh) + "x" + std::to_string(sw) + " grid");
  if (gh == sh && gw == sw) return grid;  // both kernels are the identity at the same size
  const int D = static_cast<int>(grid.cols());
  std::vector<double> cur(static_cast<std::size_t>(grid.rows()) * D);
  for (Eigen::Index r = 0; r < grid.rows(); ++r)
    for (int d = 0; d < D; ++d) cur[static_cast<std::size_t>(r) * D + d] = grid(r, d);
  int rows = sh, cols = sw;
  // Width first, then height; a side that keeps its size is skipped (the aa kernel skips it; the
  // generic kernel's taps are the identity there).
  if (gw != sw) {
    cur = resampleAxis(cur, rows, cols, D, 1, antialias ? aaTaps(sw, gw) : cubicTaps(sw, gw), gw);
    cols = gw;
  }
  if (gh != sh) {
    cur = resampleAxis(cur, rows, cols, D, 0, antialias ? aaTaps(sh, gh) : cubicTaps(sh, gh), gh);
    rows = gh;
  }
  MatrixF out(static_cast<Eigen::Index>(gh) * gw, D);
  for (Eigen::Index r = 0; r < out.rows(); ++r)
    for (int d = 0; d < D; ++d)
      out(r, d) = static_cast<float>(cur[static_cast<std::size_t>(r) * D + d]);
  return out;
}

bool positionAntialias(Family family) { return familyEntry(family).positionAntialias; }

}  // namespace attnscope::models
