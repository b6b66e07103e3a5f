#include "attnscope/input/patch_grid.h"

#include <algorithm>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/input/settings.h"

namespace attnscope {

namespace {
long long cellsFor(int width, int height, int p) {
  const long long cols = (width + p - 1) / p;
  const long long rows = (height + p - 1) / p;
  return cols * rows;
}
}  // namespace

PatchGrid choosePatchGrid(int width, int height, int tokenBudget, int patchSize, int minPatchSize,
                          const std::string& name) {
  std::ostringstream os;
  os << name << ": ";
  if (width < 1 || height < 1) {
    os << "the image is empty (" << width << "×" << height << " pixels), so it makes no patch grid";
    throw InvalidArgument(os.str());
  }
  if (tokenBudget < 1 || tokenBudget > kMaxTokenBudget) {
    os << "token budget " << tokenBudget << " makes no patch grid (it must be between 1 and "
       << kMaxTokenBudget << ")";
    throw InvalidArgument(os.str());
  }
  if (patchSize < 0) {
    os << "patch size " << patchSize << " makes no patch grid (use 0 for automatic, or a size ≥ 1)";
    throw InvalidArgument(os.str());
  }
  PatchGrid g;
  if (patchSize > 0) {
    if (patchSize > std::max(width, height)) {
      os << "patch size " << patchSize << " px is larger than the " << width << "×" << height
         << " image in both directions, so it makes no patch grid";
      throw InvalidArgument(os.str());
    }
    const long long cells = cellsFor(width, height, patchSize);
    if (cells > tokenBudget) {
      os << "patch size " << patchSize << " px makes " << cells << " patches, more than the token "
         << "budget of " << tokenBudget << " (raise the budget or the patch size, or use 0 = auto)";
      throw InvalidArgument(os.str());
    }
    g.patchSize = patchSize;
  } else {
    int p = std::clamp(minPatchSize, 1, std::max(width, height));
    while (cellsFor(width, height, p) > tokenBudget) ++p;  // terminates: p = max(W, H) gives 1 cell
    g.patchSize = p;
  }
  g.cols = (width + g.patchSize - 1) / g.patchSize;
  g.rows = (height + g.patchSize - 1) / g.patchSize;
  return g;
}

int splitBoundary(int k, int extent, int cells) {
  return static_cast<int>(static_cast<long long>(k) * extent / cells);
}

void fillGridTokens(TokenSet& set, int rows, int cols, int width, int height, int firstToken) {
  set.gridRows = rows;
  set.gridCols = cols;
  set.gridFirstToken = firstToken;
  set.imageWidth = width;
  set.imageHeight = height;
  if (static_cast<int>(set.tokens.size()) < firstToken + rows * cols)
    set.tokens.resize(static_cast<std::size_t>(firstToken) + rows * cols);
  for (int r = 0; r < rows; ++r) {
    const int y0 = splitBoundary(r, height, rows), y1 = splitBoundary(r + 1, height, rows);
    for (int c = 0; c < cols; ++c) {
      const int x0 = splitBoundary(c, width, cols), x1 = splitBoundary(c + 1, width, cols);
      Token& t = set.tokens[static_cast<std::size_t>(firstToken) + r * cols + c];
      t.row = r;
      t.col = c;
      t.rect = PixelRect{x0, y0, x1 - x0, y1 - y0};
      if (t.label.empty()) t.label = "(" + std::to_string(r) + "," + std::to_string(c) + ")";
    }
  }
}

}  // namespace attnscope
