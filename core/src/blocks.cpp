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

BlockLayout BlockLayout::fromCuts(int gridRows, int gridCols, std::vector<int> rowCuts,
                                  std::vector<int> colCuts) {
  BlockLayout L;
  L.kind_ = Kind::TwoD;
  L.n_ = gridRows * gridCols;
  L.gridRows_ = gridRows;
  L.gridCols_ = gridCols;
  L.blockGridRows_ = static_cast<int>(rowCuts.size()) - 1;
  L.blockGridCols_ = static_cast<int>(colCuts.size()) - 1;
  for (int i = 0; i < L.blockGridRows_; ++i) L.winRows_ = std::max(L.winRows_, rowCuts[i + 1] - rowCuts[i]);
  for (int i = 0; i < L.blockGridCols_; ++i) L.winCols_ = std::max(L.winCols_, colCuts[i + 1] - colCuts[i]);
  // Band of each row and column.
  std::vector<int> rowBand(gridRows), colBand(gridCols);
  for (int i = 0; i < L.blockGridRows_; ++i)
    for (int r = rowCuts[i]; r < rowCuts[i + 1]; ++r) rowBand[r] = i;
  for (int i = 0; i < L.blockGridCols_; ++i)
    for (int c = colCuts[i]; c < colCuts[i + 1]; ++c) colBand[c] = i;
  const int m = L.blockGridRows_ * L.blockGridCols_;
  L.blockOf_.resize(L.n_);
  std::vector<int> counts(m, 0);
  for (int r = 0; r < gridRows; ++r)
    for (int c = 0; c < gridCols; ++c) {
      const int blk = rowBand[r] * L.blockGridCols_ + colBand[c];
      L.blockOf_[r * gridCols + c] = blk;
      ++counts[blk];
    }
  L.offsets_.assign(m + 1, 0);
  for (int blk = 0; blk < m; ++blk) L.offsets_[blk + 1] = L.offsets_[blk] + counts[blk];
  L.centres_.resize(m);
  for (int blk = 0; blk < m; ++blk)
    L.centres_[blk] = {blk / L.blockGridCols_ + 0.5, blk % L.blockGridCols_ + 0.5};
  L.rowCuts_ = std::move(rowCuts);
  L.colCuts_ = std::move(colCuts);
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
  auto cuts = [](int side, int win) {
    std::vector<int> c;
    for (int x = 0; x < side; x += win) c.push_back(x);
    c.push_back(side);
    return c;
  };
  return fromCuts(gridRows, gridCols, cuts(gridRows, winRows), cuts(gridCols, winCols));
}

namespace {
/// `bands` near-equal bands over `side` (sizes ⌈side/bands⌉ first, then ⌊side/bands⌋).
std::vector<int> evenCuts(int side, int bands) {
  std::vector<int> c{0};
  const int base = side / bands, longer = side % bands;
  for (int i = 0; i < bands; ++i) c.push_back(c.back() + base + (i < longer ? 1 : 0));
  return c;
}
}  // namespace

BlockLayout BlockLayout::twoDBands(int gridRows, int gridCols, int bandRows, int bandCols) {
  if (gridRows < 1 || gridCols < 1) throw InvalidArgument("MHLA windows: the patch grid is empty");
  if (bandRows < 1 || bandCols < 1 || bandRows > gridRows || bandCols > gridCols) {
    std::ostringstream os;
    os << "MHLA windows: " << bandRows << "×" << bandCols << " blocks do not fit the " << gridRows
       << "×" << gridCols << " patch grid";
    throw InvalidArgument(os.str());
  }
  return fromCuts(gridRows, gridCols, evenCuts(gridRows, bandRows), evenCuts(gridCols, bandCols));
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
  // Every br × bc block grid that fits; the count nearest m first, then equal windows (bands
  // dividing the grid), then windows nearest square.
  int bestR = 1, bestC = 1;
  double bestScore = 1e300;
  for (int br = 1; br <= gridRows; ++br)
    for (int bc = 1; bc <= gridCols; ++bc) {
      const int blocks = br * bc;
      const double countOff = std::abs(std::log(double(blocks) / m));
      const bool equal = gridRows % br == 0 && gridCols % bc == 0;
      const double aspect = std::abs(std::log((double(gridRows) / br) / (double(gridCols) / bc)));
      const double score = countOff * 1000.0 + (equal ? 0.0 : 0.5) + aspect * 0.1;
      if (score < bestScore) {
        bestScore = score;
        bestR = br;
        bestC = bc;
      }
    }
  return twoDBands(gridRows, gridCols, bestR, bestC);
}

std::vector<int> BlockLayout::equalTilings(int gridRows, int gridCols, int limit) {
  std::vector<int> out;
  for (int m = 1; m <= gridRows * gridCols && static_cast<int>(out.size()) < limit; ++m) {
    const BlockLayout L = twoDWithBlocks(gridRows, gridCols, m);
    if (L.m() == m && L.equalSizes()) out.push_back(m);
  }
  return out;
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

std::string BlockLayout::windowSides() const {
  auto sides = [](const std::vector<int>& cuts) {
    int lo = 1 << 30, hi = 0;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      lo = std::min(lo, cuts[i + 1] - cuts[i]);
      hi = std::max(hi, cuts[i + 1] - cuts[i]);
    }
    return lo == hi ? std::to_string(hi) : std::to_string(lo) + "–" + std::to_string(hi);
  };
  return sides(rowCuts_) + "×" + sides(colCuts_);
}

std::string BlockLayout::describe() const {
  std::ostringstream os;
  if (kind_ == Kind::OneD) {
    os << "1D, " << m() << " blocks of " << blockSize(0) << " tokens";
    if (!equalSizes()) os << " (last " << blockSize(m() - 1) << ")";
  } else {
    os << "2D " << gridRows_ << "×" << gridCols_ << " grid, " << windowSides()
       << " windows, " << blockGridRows_ << "×" << blockGridCols_ << " = " << m() << " blocks";
    if (offGrid_ > 0) os << " (+" << offGrid_ << " off-grid token" << (offGrid_ > 1 ? "s" : "") << " in the centre window)";
  }
  return os.str();
}

}  // namespace attnscope
