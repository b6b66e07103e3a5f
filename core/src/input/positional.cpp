#include "attnscope/input/positional.h"

#include <cmath>

namespace attnscope {

namespace {
// Writes the encoding of position `t` into `dim` consecutive entries of `row` starting at `offset`.
template <typename Row>
void encode(Row&& row, int offset, double t, int dim, double base) {
  const double amp = std::sqrt(2.0);
  for (int i = 0; i < dim / 2; ++i) {
    const double omega = std::pow(base, -2.0 * i / dim);
    row(offset + 2 * i) = amp * std::sin(t * omega);
    row(offset + 2 * i + 1) = amp * std::cos(t * omega);
  }
}
}  // namespace

MatrixD sinusoidal1D(int n, int dim, double base) {
  MatrixD p(n, dim);
  for (int t = 0; t < n; ++t) encode(p.row(t), 0, t, dim, base);
  return p;
}

MatrixD sinusoidal2D(const TokenSet& set, int dim) {
  MatrixD p = MatrixD::Zero(set.size(), dim);
  const int half = dim / 2;
  for (int i = 0; i < set.size(); ++i) {
    const Token& t = set.tokens[i];
    if (t.row < 0 || t.col < 0) continue;
    encode(p.row(i), 0, t.row, half, kImagePositionBase);
    encode(p.row(i), half, t.col, half, kImagePositionBase);
  }
  return p;
}

}  // namespace attnscope
