#include "reference.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>

#include "attnscope/rng.h"

namespace ref {

MatrixD phi(const MatrixD& X, attnscope::FeatureMapKind kind, const MatrixD& W) {
  using K = attnscope::FeatureMapKind;
  MatrixD out;
  if (kind == K::Favor) {
    const double s = std::pow(double(X.cols()), -0.25);
    out.resize(X.rows(), W.rows());
    for (int i = 0; i < X.rows(); ++i) {
      const Eigen::VectorXd x = X.row(i).transpose() * s;
      for (int f = 0; f < W.rows(); ++f)
        out(i, f) = std::exp(W.row(f).dot(x) - 0.5 * x.squaredNorm()) / std::sqrt(double(W.rows()));
    }
    return out;
  }
  out.resize(X.rows(), X.cols());
  for (int i = 0; i < X.rows(); ++i)
    for (int j = 0; j < X.cols(); ++j) {
      const double x = X(i, j);
      switch (kind) {
        case K::Relu: out(i, j) = std::max(x, 0.0) + 1e-6; break;
        case K::Elu1: out(i, j) = x > 0 ? x + 1 : std::exp(x); break;
        case K::Softplus: out(i, j) = std::log(1 + std::exp(x)); break;
        default: break;
      }
    }
  return out;
}

MatrixD softmaxMap(const MatrixD& Q, const MatrixD& K, double temperature, bool causal) {
  const int n = Q.rows();
  const double s = 1.0 / (temperature * std::sqrt(double(Q.cols())));
  MatrixD A = MatrixD::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    const int allowed = causal ? i + 1 : n;
    double mx = -1e300;
    for (int j = 0; j < allowed; ++j) mx = std::max(mx, s * Q.row(i).dot(K.row(j)));
    double sum = 0;
    for (int j = 0; j < allowed; ++j) sum += (A(i, j) = std::exp(s * Q.row(i).dot(K.row(j)) - mx));
    A.row(i) /= sum;
  }
  return A;
}

std::vector<int> blocks1D(int n, int m) {
  const int nb = (n + m - 1) / m;
  std::vector<int> b(n);
  for (int t = 0; t < n; ++t) b[t] = t / nb;
  return b;
}

std::vector<int> blocks2D(int gridRows, int gridCols, int winRows, int winCols) {
  const int bc = (gridCols + winCols - 1) / winCols;
  std::vector<int> b(gridRows * gridCols);
  for (int r = 0; r < gridRows; ++r)
    for (int c = 0; c < gridCols; ++c) b[r * gridCols + c] = (r / winRows) * bc + c / winCols;
  return b;
}

MatrixD mhlaMap(const MatrixD& phiQ, const MatrixD& phiK, const std::vector<int>& blockOf,
                const MatrixD& mix, bool causal) {
  const int n = phiQ.rows();
  MatrixD A = MatrixD::Zero(n, n);
  for (int t = 0; t < n; ++t) {
    double sum = 0;
    for (int j = 0; j < n; ++j) {
      if (causal && j > t) continue;
      A(t, j) = mix(blockOf[t], blockOf[j]) * phiQ.row(t).dot(phiK.row(j));
      sum += A(t, j);
    }
    A.row(t) /= sum;
  }
  return A;
}

namespace {
// Tokens of each block in ascending order (position w inside block b = index in this list).
std::vector<std::vector<int>> members(const std::vector<int>& blockOf, int m) {
  std::vector<std::vector<int>> mem(m);
  for (size_t t = 0; t < blockOf.size(); ++t) mem[blockOf[t]].push_back(static_cast<int>(t));
  return mem;
}

Eigen::VectorXd officialDen(const MatrixD& phiQ, const MatrixD& phiK,
                            const std::vector<int>& blockOf, const MatrixD& mix, double eps) {
  const int n = phiQ.rows(), m = mix.rows();
  const auto mem = members(blockOf, m);
  MatrixD z = MatrixD::Zero(m, phiK.cols());
  for (int j = 0; j < n; ++j) z.row(blockOf[j]) += phiK.row(j);
  Eigen::VectorXd den(n);
  for (int t = 0; t < n; ++t) {
    const int a = blockOf[t];
    int w = 0;
    while (mem[a][w] != t) ++w;
    double s = eps;
    for (int b = 0; b < m; ++b) s += mix(a, b) * phiQ.row(mem[b][w]).dot(z.row(b));
    den[t] = s;
  }
  return den;
}
}  // namespace

MatrixD mhlaOfficialMap(const MatrixD& phiQ, const MatrixD& phiK, const std::vector<int>& blockOf,
                        const MatrixD& mix, double eps) {
  const int n = phiQ.rows();
  const Eigen::VectorXd den = officialDen(phiQ, phiK, blockOf, mix, eps);
  MatrixD A(n, n);
  for (int t = 0; t < n; ++t)
    for (int j = 0; j < n; ++j)
      A(t, j) = mix(blockOf[t], blockOf[j]) * phiQ.row(t).dot(phiK.row(j)) / den[t];
  return A;
}

MatrixD mhlaOfficialOutput(const MatrixD& phiQ, const MatrixD& phiK, const MatrixD& V,
                           const std::vector<int>& blockOf, const MatrixD& mix, double eps) {
  return mhlaOfficialMap(phiQ, phiK, blockOf, mix, eps) * V;
}

double relErr(const MatrixD& a, const MatrixD& b) {
  const double den = b.norm();
  return den > 0 ? (a - b).norm() / den : (a - b).norm();
}

std::uint64_t freshSeed() {
  static const std::uint64_t seed = [] {
    if (const char* env = std::getenv("ATTNSCOPE_TEST_SEED")) return std::uint64_t(std::strtoull(env, nullptr, 10));
    std::random_device rd;
    return (std::uint64_t(rd()) << 32) ^ rd();
  }();
  return seed;
}

attnscope::Qkv randomQkv(int n, int dk, int dv, int heads, std::uint64_t seed, double scale) {
  attnscope::Rng rng(seed);
  attnscope::Qkv q;
  for (int h = 0; h < heads; ++h)
    q.addHead({rng.normalMatrix(n, dk, scale), rng.normalMatrix(n, dk, scale),
                       rng.normalMatrix(n, dv, 1.0)});
  return q;
}

}  // namespace ref
