#include "attnscope/blocks.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope {

namespace {
int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}  // namespace

BlockLayout BlockLayout::oneD(int n, int m) {
  if (n < 1) throw InvalidArgument("MHLA blocks: there are no tokens");
  if (m < 1) throw InvalidArgument("MHLA blocks: M must be at least 1");
  if (m > n) {
    std::ostringstream os;
    os << "MHLA blocks: M = " << m << " is larger than the number of tokens N = " << n
       << "; choose M between 1 and " << n;
    throw InvalidArgument(os.str());
  }
  BlockLayout L;
  L.kind_ = Kind::OneD;
  L.n_ = n;
  const int nb = ceilDiv(n, m);
  L.blockOf_.resize(n);
  for (int t = 0; t < n; ++t) L.blockOf_[t] = t / nb;
  L.offsets_.resize(m + 1);
  for (int b = 0; b <= m; ++b) L.offsets_[b] = std::min(n, b * nb);
  L.centres_.resize(m);
  for (int b = 0; b < m; ++b) L.centres_[b] = {b + 0.5, 0.0};
  L.finish();
  return L;
}

BlockLayout BlockLayout::twoD(int gridRows, int gridCols, int winRows, int winCols) {
  if (gridRows < 1 || gridCols < 1) throw InvalidArgument("MHLA windows: the patch grid is empty");
  if (winRows < 1 || winCols < 1) throw InvalidArgument("MHLA windows: window sides must be ≥ 1");
  if (winRows > gridRows || winCols > gridCols) {
    std::ostringstream os;
    os << "MHLA windows: a " << winRows << "×" << winCols << " window does not fit the "
       << gridRows << "×" << gridCols << " patch grid";
    throw InvalidArgument(os.str());
  }
  BlockLayout L;
  L.kind_ = Kind::TwoD;
  L.n_ = gridRows * gridCols;
  L.gridRows_ = gridRows;
  L.gridCols_ = gridCols;
  L.winRows_ = winRows;
  L.winCols_ = winCols;
  L.blockGridRows_ = ceilDiv(gridRows, winRows);
  L.blockGridCols_ = ceilDiv(gridCols, winCols);
  const int m = L.blockGridRows_ * L.blockGridCols_;
  L.blockOf_.resize(L.n_);
  std::vector<int> counts(m, 0);
  for (int r = 0; r < gridRows; ++r)
    for (int c = 0; c < gridCols; ++c) {
      const int b = (r / winRows) * L.blockGridCols_ + c / winCols;
      L.blockOf_[r * gridCols + c] = b;
      ++counts[b];
    }
  L.offsets_.assign(m + 1, 0);
  for (int b = 0; b < m; ++b) L.offsets_[b + 1] = L.offsets_[b] + counts[b];
  L.centres_.resize(m);
  for (int b = 0; b < m; ++b)
    L.centres_[b] = {b / L.blockGridCols_ + 0.5, b % L.blockGridCols_ + 0.5};
  L.finish();
  return L;
}

BlockLayout BlockLayout::twoDWithBlocks(int gridRows, int gridCols, int m) {
  if (m < 1) throw InvalidArgument("MHLA windows: M must be at least 1");
  if (gridRows < 1 || gridCols < 1) throw InvalidArgument("MHLA windows: the patch grid is empty");
  if (m > gridRows * gridCols) {
    std::ostringstream os;
    os << "MHLA windows: M = " << m << " is larger than the number of patches "
       << gridRows * gridCols;
    throw InvalidArgument(os.str());
  }
  // Search window sides whose block count is closest to m, preferring near-square windows.
  int bestR = 1, bestC = 1;
  double bestScore = 1e300;
  for (int wr = 1; wr <= gridRows; ++wr)
    for (int wc = 1; wc <= gridCols; ++wc) {
      const int blocks = ceilDiv(gridRows, wr) * ceilDiv(gridCols, wc);
      const double score = std::abs(std::log(double(blocks) / m)) * 10.0 +
                           std::abs(std::log(double(wr) / wc)) * 0.1;
      if (score < bestScore) {
        bestScore = score;
        bestR = wr;
        bestC = wc;
      }
    }
  return twoD(gridRows, gridCols, bestR, bestC);
}

BlockLayout BlockLayout::withOffGridTokens(int count) const {
  if (kind_ != Kind::TwoD) throw InvalidArgument("off-grid tokens need a 2D layout");
  if (count < 0) throw InvalidArgument("off-grid tokens: the count must be ≥ 0");
  BlockLayout L = *this;
  const int gridTokens = n_ - offGrid_;
  const int centre = blockOf_[offGrid_ + (gridRows_ / 2) * gridCols_ + gridCols_ / 2];
  L.offGrid_ = count;
  L.n_ = count + gridTokens;
  L.blockOf_.assign(L.n_, centre);
  std::copy(blockOf_.begin() + offGrid_, blockOf_.end(), L.blockOf_.begin() + count);
  std::vector<int> counts(m(), 0);
  for (int b : L.blockOf_) ++counts[b];
  for (int b = 0; b < m(); ++b) L.offsets_[b + 1] = L.offsets_[b] + counts[b];
  L.finish();
  return L;
}

void BlockLayout::finish() {
  const int m = static_cast<int>(offsets_.size()) - 1;
  order_.assign(n_, 0);
  std::vector<int> fill(offsets_.begin(), offsets_.end() - 1);
  for (int t = 0; t < n_; ++t) order_[fill[blockOf_[t]]++] = t;
  (void)m;
}

bool BlockLayout::equalSizes() const {
  for (int b = 1; b < m(); ++b)
    if (blockSize(b) != blockSize(0)) return false;
  return true;
}

std::string BlockLayout::describe() const {
  std::ostringstream os;
  if (kind_ == Kind::OneD) {
    os << "1D, " << m() << " blocks of " << blockSize(0) << " tokens";
    if (!equalSizes()) os << " (last " << blockSize(m() - 1) << ")";
  } else {
    os << "2D " << gridRows_ << "×" << gridCols_ << " grid, " << winRows_ << "×" << winCols_
       << " windows, " << blockGridRows_ << "×" << blockGridCols_ << " = " << m() << " blocks";
    if (offGrid_ > 0) os << " (+" << offGrid_ << " off-grid token" << (offGrid_ > 1 ? "s" : "") << " in the centre window)";
  }
  return os.str();
}

}  // namespace attnscope
