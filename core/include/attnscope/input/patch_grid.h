// Image → patch grid: the patch-size choice and the pixel rectangle of every patch.
#pragma once

#include <string>

#include "attnscope/input/tokens.h"

namespace attnscope {

struct PatchGrid {
  int patchSize = 0;  ///< nominal patch side p
  int rows = 0;       ///< G_h = ⌈H / p⌉
  int cols = 0;       ///< G_w = ⌈W / p⌉
};

/// Chooses the grid for a width×height image. patchSize > 0 fixes p; 0 picks the smallest
/// p ≥ min(minPatchSize, max(W, H)) with ⌈W/p⌉·⌈H/p⌉ ≤ tokenBudget. Throws InvalidArgument naming
/// `name` for a budget outside 1..kMaxTokenBudget, a negative patch size, a fixed patch larger than
/// the image in both directions, or a fixed patch whose grid exceeds the budget.
PatchGrid choosePatchGrid(int width, int height, int tokenBudget, int patchSize, int minPatchSize,
                          const std::string& name);

/// Boundary k (0..cells) when `extent` pixels are split evenly into `cells` parts:
/// ⌊k·extent/cells⌋.
int splitBoundary(int k, int extent, int cells);

/// Image-like tokens for a rows×cols grid over a width×height image, row-major, each with its cell
/// and the rectangle of an even split (widths differ by at most one pixel; the rects tile the
/// image).
void fillGridTokens(TokenSet& set, int rows, int cols, int width, int height, int firstToken);

}  // namespace attnscope
