// Sinusoidal positional encodings, scaled so that every row has squared norm exactly `dim`.
#pragma once

#include "attnscope/input/tokens.h"
#include "attnscope/types.h"

namespace attnscope {

constexpr double kTextPositionBase = 10000.0;
constexpr double kImagePositionBase = 100.0;

/// n by dim (dim even): row t, columns 2i and 2i+1 = √2·sin(t·ω_i), √2·cos(t·ω_i),
/// ω_i = base^(−2i/dim).
MatrixD sinusoidal1D(int n, int dim, double base);

/// N by dim (dim a multiple of 4) for grid tokens: [sinusoidal1D(row, dim/2) | sinusoidal1D(col,
/// dim/2)] with base kImagePositionBase; tokens off the grid (row < 0) get zeros.
MatrixD sinusoidal2D(const TokenSet& set, int dim);

}  // namespace attnscope
