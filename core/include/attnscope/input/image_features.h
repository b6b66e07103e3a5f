// Image patch features: colour (OKLab mean and spread), gradient-orientation histogram and a coarse
// luminance thumbnail, standardised over the image and weighted per group.
#pragma once

#include "attnscope/input/rgb_image.h"
#include "attnscope/input/tokens.h"
#include "attnscope/types.h"

namespace attnscope {

constexpr int kColourFeatures = 6;   ///< OKLab mean (3) and standard deviation (3)
constexpr int kOrientationBins = 8;  ///< unsigned gradient orientation over [0, π)
constexpr int kThumbSide = 4;        ///< 4×4 luminance thumbnail
constexpr int kImageFeatureDim = kColourFeatures + kOrientationBins + kThumbSide * kThumbSide;

/// Raw (unstandardised) features: N by kImageFeatureDim, row i for set.tokens[i].rect of `image`.
MatrixD rawPatchFeatures(const RgbImage& image, const TokenSet& set);

/// Standardises every column over the rows (zero mean, unit variance; constant columns become 0)
/// and scales the groups so a row's expected squared norm is 1: colour ½, orientation ¼, thumbnail
/// ¼. In/out: N by kImageFeatureDim.
void standardisePatchFeatures(MatrixD& features);

/// rawPatchFeatures followed by standardisePatchFeatures: N by kImageFeatureDim.
MatrixD imagePatchFeatures(const RgbImage& image, const TokenSet& set);

}  // namespace attnscope
