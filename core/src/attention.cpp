#include "attnscope/attention.h"

#include <cmath>
#include <numeric>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/setting_ref.h"

namespace attnscope {

void requireBudget(std::size_t n, std::size_t bytesPerEntry, std::size_t budgetBytes,
                   const char* what) {
  const double bytes = double(n) * double(n) * double(bytesPerEntry);
  if (bytes > double(budgetBytes)) {
    std::ostringstream os;
    os.precision(3);
    os << what << " of " << n << "×" << n << " would need " << bytes / (1 << 20)
       << " MiB, above the memory budget of " << double(budgetBytes) / (1 << 20)
       << " MiB; single rows, outputs and factored spectra still work at this N";
    throw BudgetExceeded(os.str());
  }
}

void PreparedAttention::checkRow(int i) const {
  if (i < 0 || i >= n_) {
    std::ostringstream os;
    os << "query " << i << " is out of range (N = " << n_ << ")";
    throw InvalidArgument(os.str());
  }
}

void softmaxRowsInPlace(MatrixD& logits, const std::vector<int>& idx, bool causal) {
  const Eigen::Index n = logits.cols();
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    const Eigen::Index allowed = causal ? idx[r] + 1 : n;
    auto row = logits.row(r);
    const double mx = row.head(allowed).maxCoeff();
    row.head(allowed) = (row.head(allowed).array() - mx).exp().matrix();
    row.tail(n - allowed).setZero();
    row /= row.sum();
  }
}

void linearRowsInPlace(MatrixD& dots, const std::vector<int>& idx, const std::vector<int>& blockOf,
                       const MatrixD& mix, bool causal, const VectorD& den) {
  const Eigen::Index n = dots.cols();
  const bool mixed = mix.size() > 1;
  for (Eigen::Index r = 0; r < dots.rows(); ++r) {
    auto row = dots.row(r);
    if (mixed) {
      const auto w = mix.row(blockOf[idx[r]]);
      for (Eigen::Index j = 0; j < n; ++j) row[j] *= w[blockOf[j]];
    } else {
      row *= mix(0, 0);
    }
    if (causal) row.tail(n - idx[r] - 1).setZero();
    const double d = den.size() ? den[idx[r]] : row.sum();
    if (!(d > 0) || !std::isfinite(d)) {
      std::ostringstream os;
      os << "the normaliser of query " << idx[r] << " is " << d
         << ": it attends to nothing (check the mixing matrix and the feature map)";
      throw InvalidArgument(os.str());
    }
    row /= d;
  }
}

VectorD PreparedAttention::row(int i) const {
  checkRow(i);
  return rows({i}).row(0).transpose();
}

namespace {
// Fills `out` (N by N) from rows() in chunks, reporting progress and checking for cancel.
template <typename Out>
void fillDense(const PreparedAttention& p, Out& out, const JobControl& job) {
  const int n = p.n();
  const int chunk = 256;
  std::vector<int> idx;
  for (int i0 = 0; i0 < n; i0 += chunk) {
    job.check();
    const int k = std::min(chunk, n - i0);
    idx.resize(k);
    std::iota(idx.begin(), idx.end(), i0);
    out.middleRows(i0, k) = p.rows(idx).template cast<typename Out::Scalar>();
    job.report(double(i0 + k) / n);
  }
}
}  // namespace

MatrixF PreparedAttention::matrix(std::size_t budgetBytes, const JobControl& job) const {
  requireBudget(n_, sizeof(float), budgetBytes, "a dense attention map");
  MatrixF out(n_, n_);
  fillDense(*this, out, job);
  return out;
}

MatrixD PreparedAttention::matrixD(std::size_t budgetBytes, const JobControl& job) const {
  requireBudget(n_, sizeof(double), budgetBytes, "a dense attention map in double precision");
  MatrixD out(n_, n_);
  fillDense(*this, out, job);
  return out;
}

Spectrum PreparedAttention::denseSpectrum(const SpectrumOptions& opts,
                                          const JobControl& job) const {
  if (n_ > opts.maxDenseN) {
    std::ostringstream os;
    os << "the spectrum of this map needs a dense " << n_ << "×" << n_
       << " SVD, above the limit of N = " << opts.maxDenseN
       << " (raise it with " << settingRef("compute.maxDenseN") << "; the cost grows as N³)";
    throw BudgetExceeded(os.str());
  }
  JobControl sub{[&](double f) { job.report(0.5 * f); }, job.cancel};
  const MatrixD a = matrixD(std::size_t(-1), sub);
  job.check();
  VectorD s = singularValues(a, opts.exactSvd);
  job.report(1.0);
  return makeSpectrum(std::move(s), opts.relTol, rankBound(spec_, n_, dk_), false);
}

Spectrum PreparedAttention::spectrum(const SpectrumOptions& opts, const JobControl& job) const {
  return denseSpectrum(opts, job);
}

}  // namespace attnscope
