// The patch part of a ViT's position embeddings at another grid than the stored one, resampled as
// the family's reference implementation does (MODELS.md "Other resolutions and aspect ratios").
#pragma once

#include "attnscope/models/family.h"
#include "attnscope/types.h"

namespace attnscope::models {

/// `grid` holds sh·sw rows (row-major grid order) of D values; the result gh·gw rows.
MatrixF resamplePositions(const MatrixF& grid, int sh, int sw, int gh, int gw, Family family);

}  // namespace attnscope::models
