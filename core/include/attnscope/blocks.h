// MHLA block layouts (MATH.md, "Blocks"): 1D contiguous chunks or 2D rectangular windows over a
// row-major patch grid.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnscope {

class BlockLayout {
 public:
  enum class Kind { OneD, TwoD };

  BlockLayout() = default;
  /// N tokens in M contiguous chunks of ⌈N/M⌉ (the last may be shorter; with some N, M trailing
  /// chunks are empty). Throws InvalidArgument unless 1 ≤ M ≤ N.
  static BlockLayout oneD(int n, int m);
  /// A gridRows × gridCols patch grid (tokens row-major) in windows of winRows × winCols patches;
  /// edge windows may be smaller. Throws InvalidArgument for non-positive sizes or windows larger
  /// than the grid.
  static BlockLayout twoD(int gridRows, int gridCols, int winRows, int winCols);
  /// A gridRows × gridCols grid cut into bandRows × bandCols blocks whose sides differ by at most
  /// one patch (the longer bands first): an even tiling with no slivers. Equal to twoD when the
  /// bands divide the grid. Throws InvalidArgument unless 1 ≤ bands ≤ the grid's side.
  static BlockLayout twoDBands(int gridRows, int gridCols, int bandRows, int bandCols);
  /// 2D layout with `m` blocks (or, when no br × bc = m tiling fits the grid, the nearest count):
  /// twoDBands with the factorisation whose windows are nearest square, preferring one that
  /// divides the grid exactly (equal windows).
  static BlockLayout twoDWithBlocks(int gridRows, int gridCols, int m);
  /// The block counts M whose twoDWithBlocks layout has equal windows on this grid, ascending
  /// (for the official normaliser's hint), at most `limit` of them.
  static std::vector<int> equalTilings(int gridRows, int gridCols, int limit = 12);
  /// This 2D layout with `count` off-grid tokens (CLS, registers) before the grid: tokens
  /// 0 … count−1 join the window of the grid's centre patch, grid token t becomes count + t.
  /// Throws InvalidArgument for a 1D layout or a negative count.
  BlockLayout withOffGridTokens(int count) const;

  Kind kind() const { return kind_; }
  int n() const { return n_; }
  int m() const { return static_cast<int>(offsets_.size()) - 1; }
  /// Block of token t.
  int blockOf(int t) const { return blockOf_[t]; }
  const std::vector<int>& blockOfAll() const { return blockOf_; }
  /// Tokens sorted by block (ascending token index inside a block): block b is
  /// order()[offsets()[b] .. offsets()[b+1]).
  const std::vector<int>& order() const { return order_; }
  const std::vector<int>& offsets() const { return offsets_; }
  int blockSize(int b) const { return offsets_[b + 1] - offsets_[b]; }
  /// True when order() is the identity (1D layouts).
  bool contiguous() const { return kind_ == Kind::OneD; }
  bool equalSizes() const;
  /// Block centres in block units: 1D (i+½, 0); 2D (row+½, col+½).
  const std::vector<std::pair<double, double>>& centres() const { return centres_; }
  /// 2D only: grid and window sizes, and the block grid (rows × cols of blocks).
  int gridRows() const { return gridRows_; }
  int gridCols() const { return gridCols_; }
  int winRows() const { return winRows_; }
  int winCols() const { return winCols_; }
  int blockGridRows() const { return blockGridRows_; }
  int blockGridCols() const { return blockGridCols_; }
  /// 2D only: the first grid row (column) of each band of blocks, then gridRows (gridCols).
  const std::vector<int>& rowCuts() const { return rowCuts_; }
  const std::vector<int>& colCuts() const { return colCuts_; }
  /// 2D only: the window sides, e.g. "8×10" (equal) or "6–7×9–10" (bands differing by one).
  std::string windowSides() const;
  /// Tokens before the grid (withOffGridTokens); 0 otherwise.
  int offGridTokens() const { return offGrid_; }
  /// Human-readable summary, e.g. "1D, 8 blocks of 128" or "2D 24×32 grid, 4×4 windows, 6×8 blocks".
  std::string describe() const;

 private:
  void finish();
  /// 2D layout from band cuts (each ascending from 0 to the grid side).
  static BlockLayout fromCuts(int gridRows, int gridCols, std::vector<int> rowCuts, std::vector<int> colCuts);

  Kind kind_ = Kind::OneD;
  int n_ = 0;
  int gridRows_ = 0, gridCols_ = 0, winRows_ = 0, winCols_ = 0;
  int blockGridRows_ = 0, blockGridCols_ = 0;
  int offGrid_ = 0;
  std::vector<int> rowCuts_, colCuts_;
  std::vector<int> blockOf_, order_, offsets_;
  std::vector<std::pair<double, double>> centres_;
};

}  // namespace attnscope
