#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/input/embedding.h"
#include "attnscope/input/image_features.h"
#include "attnscope/input/input.h"
#include "attnscope/input/patch_grid.h"
#include "attnscope/input/positional.h"

namespace attnscope {

namespace {
// The image features are computed on: `image` itself, or an area-downscaled copy (aspect kept,
// never smaller than the grid) when it has more than maxPixels pixels.
RgbImage workingImage(const RgbImage& image, const PatchGrid& g, long long maxPixels,
                      TokenSet& set) {
  const long long pixels = static_cast<long long>(image.width) * image.height;
  if (pixels <= maxPixels) return image;
  const double f = std::sqrt(static_cast<double>(maxPixels) / static_cast<double>(pixels));
  const int w = std::clamp(static_cast<int>(std::lround(image.width * f)), g.cols, image.width);
  const int h = std::clamp(static_cast<int>(std::lround(image.height * f)), g.rows, image.height);
  std::ostringstream os;
  os << set.sourceName << ": the " << image.width << "×" << image.height << " image is reduced to "
     << w << "×" << h << " pixels for the patch features";
  set.notices.push_back(os.str());
  return downscaleArea(image, w, h);
}
}  // namespace

Input makeImageInput(const RgbImage& image, const ImageInputSettings& s,
                     const EmbeddingSettings& e) {
  validateEmbedding(e);
  validateImage(image, s.sourceName);
  if (s.maxWorkingPixels < 1)
    throw InvalidArgument(s.sourceName + ": the working pixel limit must be at least 1");
  const PatchGrid g = choosePatchGrid(image.width, image.height, s.tokenBudget, s.patchSize,
                                      s.minPatchSize, s.sourceName);

  Input in;
  TokenSet& set = in.tokens;
  set.kind = InputKind::Image;
  set.sourceName = s.sourceName;
  set.sourceWidth = image.width;
  set.sourceHeight = image.height;
  set.patchSize = g.patchSize;
  in.image = workingImage(image, g, s.maxWorkingPixels, set);
  // The tokens' rectangles are on the working image: so is the nominal patch side (a reduced
  // photo's patches are smaller than the source's; issue 27 #1).
  if (in.image.width != image.width) set.patchSize = std::max(1, in.image.width / g.cols);
  fillGridTokens(set, g.rows, g.cols, in.image.width, in.image.height, 0);
  set.tokensBeforeBudget = set.tokens.size();
  if (set.size() == 1)
    set.notices.push_back(s.sourceName +
                          ": the image makes a single patch, so every attention map is [1]");

  const MatrixD features = imagePatchFeatures(in.image, set);  // N × 30
  const MatrixD positions = sinusoidal2D(set, e.dModel);       // N × d_model
  const MatrixD x = embedTokens(features, positions, e, "embed/content/image");
  in.qkv = projectHeads(x, e);
  in.qkv.validate(s.sourceName);
  return in;
}

}  // namespace attnscope
