#include "attnscope/spectrum.h"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <functional>

namespace attnscope {

int numericalRank(const VectorD& sigma, double relTol) {
  if (sigma.size() == 0) return 0;
  const double s1 = sigma.maxCoeff();
  if (!(s1 > 0)) return 0;
  return static_cast<int>((sigma.array() > relTol * s1).count());
}

double effectiveRank(const VectorD& sigma) {
  const double total = sigma.sum();
  if (!(total > 0)) return 0.0;
  double h = 0;
  for (Eigen::Index k = 0; k < sigma.size(); ++k) {
    const double p = sigma[k] / total;
    if (p > 0) h -= p * std::log(p);
  }
  return std::exp(h);
}

Spectrum makeSpectrum(VectorD sigma, double relTol, int rankBound, bool factored) {
  std::sort(sigma.data(), sigma.data() + sigma.size(), std::greater<double>());
  Spectrum s;
  s.sigma = std::move(sigma);
  s.relTol = relTol;
  s.numericalRank = numericalRank(s.sigma, relTol);
  s.effectiveRank = effectiveRank(s.sigma);
  s.rankBound = rankBound;
  s.factored = factored;
  return s;
}

VectorD singularValues(const MatrixD& a) {
  if (a.size() == 0) return VectorD();
  Eigen::BDCSVD<Eigen::MatrixXd> svd(a);  // singular values only
  return svd.singularValues();
}

}  // namespace attnscope
