#include "attnscope/input/embedding.h"

#include <cmath>
#include <sstream>
#include <string>

#include "attnscope/error.h"
#include "attnscope/rng.h"

namespace attnscope {

void validateEmbedding(const EmbeddingSettings& s) {
  std::ostringstream os;
  if (s.heads < 1 || s.heads > 64)
    os << "number of heads " << s.heads << " must be between 1 and 64";
  else if (s.dHead < 1 || s.dHead > 1024)
    os << "d_head " << s.dHead << " must be between 1 and 1024";
  else if (s.dModel < 4 || s.dModel > 4096 || s.dModel % 4 != 0)
    os << "d_model " << s.dModel << " must be a multiple of 4 between 4 and 4096";
  else if (!std::isfinite(s.positionWeight) || s.positionWeight < 0)
    os << "position weight " << s.positionWeight << " must be a finite number ≥ 0";
  else
    return;
  throw InvalidArgument("embedding settings: " + os.str());
}

MatrixD embedTokens(const MatrixD& features, const MatrixD& positions, const EmbeddingSettings& s,
                    std::string_view contentStream) {
  Rng rng(deriveSeed(s.seed, contentStream));
  const MatrixD proj = rng.normalMatrixD(static_cast<int>(features.cols()), s.dModel, 1.0);
  const double lambda = s.positionWeight;
  MatrixD x = features * proj;
  if (lambda > 0) x += lambda * positions;
  x /= std::sqrt(1.0 + lambda * lambda);
  return x;
}

Qkv projectHeads(const MatrixD& x, const EmbeddingSettings& s) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.dModel));
  Qkv qkv;
  for (int h = 0; h < s.heads; ++h) {
    const std::string prefix = "embed/head" + std::to_string(h) + "/";
    auto weights = [&](const char* which) {
      Rng rng(deriveSeed(s.seed, prefix + which));
      return rng.normalMatrixD(s.dModel, s.dHead, scale);
    };
    const MatrixD wq = weights("q");
    const MatrixD q = x * wq;
    MatrixF qf = q.cast<float>();
    MatrixF kf = s.tieQK ? qf : MatrixF((x * weights("k")).cast<float>());
    qkv.addHead({std::move(qf), std::move(kf), (x * weights("v")).cast<float>()});
  }
  return qkv;
}

}  // namespace attnscope
