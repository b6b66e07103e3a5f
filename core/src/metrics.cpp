#include "attnscope/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "attnscope/error.h"
#include "attnscope/rng.h"

namespace attnscope {

std::vector<int> sampleRows(int n, int k, std::uint64_t seed) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  if (k >= n) return idx;
  Rng rng(deriveSeed(seed, "metrics/rows"));
  for (int i = 0; i < k; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

namespace {
constexpr int kBatch = 128;

template <typename Fn>
void forRowBatches(const std::vector<int>& rows, const JobControl& job, double from, double to,
                   Fn fn) {
  for (size_t i0 = 0; i0 < rows.size(); i0 += kBatch) {
    job.check();
    const size_t k = std::min<size_t>(kBatch, rows.size() - i0);
    fn(std::vector<int>(rows.begin() + i0, rows.begin() + i0 + k));
    job.report(from + (to - from) * double(i0 + k) / rows.size());
  }
}
}  // namespace

MapMetrics mapMetrics(const PreparedAttention& map, const MetricsOptions& opts,
                      const JobControl& job) {
  const int n = map.n();
  const bool causal = map.spec().causal;
  MapMetrics out;
  const std::vector<int> rows = sampleRows(n, opts.maxRows, opts.seed);
  double hSum = 0, hnSum = 0;
  int hnCount = 0;
  forRowBatches(rows, job, 0.0, 0.7, [&](const std::vector<int>& batch) {
    const MatrixD a = map.rows(batch);
    for (int r = 0; r < a.rows(); ++r) {
      double h = 0;
      for (int j = 0; j < n; ++j) {
        const double p = a(r, j);
        if (p > 0) h -= p * std::log(p);
      }
      hSum += h;
      const int allowed = causal ? batch[r] + 1 : n;
      if (allowed > 1) {
        hnSum += h / std::log(double(allowed));
        ++hnCount;
      }
    }
  });
  out.rowsUsed = static_cast<int>(rows.size());
  out.sampled = out.rowsUsed < n;
  out.meanEntropy = hSum / rows.size();
  out.meanNormalisedEntropy =
      hnCount ? hnSum / hnCount : std::numeric_limits<double>::quiet_NaN();

  // Row diversity: mean cosine similarity over all pairs i < j of (sampled) rows.
  const std::vector<int> drows = sampleRows(n, opts.diversityRows, opts.seed + 1);
  if (drows.size() < 2) {
    out.rowDiversity = 1.0;
  } else {
    job.check();
    MatrixD a = map.rows(drows);
    for (int r = 0; r < a.rows(); ++r) {
      const double nr = a.row(r).norm();
      if (nr > 0) a.row(r) /= nr;
    }
    const MatrixD g = a * a.transpose();
    const double k = static_cast<double>(drows.size());
    out.rowDiversity = (g.sum() - g.trace()) / (k * (k - 1));
  }
  job.report(1.0);
  return out;
}

double meanKlFromSoftmax(const PreparedAttention& softmax, const PreparedAttention& other,
                         const MetricsOptions& opts, const JobControl& job) {
  if (softmax.n() != other.n()) throw InvalidArgument("KL: the two maps have different N");
  const int n = softmax.n();
  const std::vector<int> rows = sampleRows(n, opts.maxRows, opts.seed);
  double sum = 0;
  forRowBatches(rows, job, 0.0, 1.0, [&](const std::vector<int>& batch) {
    const MatrixD p = softmax.rows(batch);
    const MatrixD q = other.rows(batch);
    for (int r = 0; r < p.rows(); ++r)
      for (int j = 0; j < n; ++j) {
        const double pj = p(r, j);
        if (pj <= 0) continue;
        const double qj = q(r, j);
        sum += qj > 0 ? pj * std::log(pj / qj) : std::numeric_limits<double>::infinity();
      }
  });
  return sum / rows.size();
}

double outputRelativeError(const MatrixF& out, const MatrixF& softmaxOut) {
  if (out.rows() != softmaxOut.rows() || out.cols() != softmaxOut.cols())
    throw InvalidArgument("output error: the two outputs have different shapes");
  const double den = softmaxOut.cast<double>().norm();
  const double num = (out.cast<double>() - softmaxOut.cast<double>()).norm();
  return den > 0 ? num / den : num;
}

}  // namespace attnscope
