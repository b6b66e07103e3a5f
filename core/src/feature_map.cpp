#include "attnscope/feature_map.h"

#include <cmath>

#include "attnscope/error.h"
#include "attnscope/rng.h"

namespace attnscope {

std::string toString(FeatureMapKind k) {
  switch (k) {
    case FeatureMapKind::Relu: return "relu";
    case FeatureMapKind::Elu1: return "elu1";
    case FeatureMapKind::Softplus: return "softplus";
    case FeatureMapKind::Favor: return "favor";
  }
  return "?";
}

FeatureMapKind parseFeatureMap(const std::string& name) {
  for (auto k : {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus,
                 FeatureMapKind::Favor})
    if (toString(k) == name) return k;
  throw InvalidArgument("unknown feature map '" + name + "' (choose relu, elu1, softplus or favor)");
}

FeatureMap::FeatureMap(const FeatureMapSpec& spec, int dk) : spec_(spec), dk_(dk) {
  if (dk < 1) throw InvalidArgument("feature map: d_k must be at least 1");
  if (spec.kind == FeatureMapKind::Favor) {
    if (spec.favorFeatures < 1 || spec.favorFeatures > 65536)
      throw InvalidArgument("favor: the feature count r must be between 1 and 65536");
    Rng rng(deriveSeed(spec.seed, "favor"));
    W_ = rng.normalMatrix(spec.favorFeatures, dk);
  }
}

int FeatureMap::outputDim() const {
  return spec_.kind == FeatureMapKind::Favor ? spec_.favorFeatures : dk_;
}

namespace {

/// out = f(X) coefficient-wise; contiguous blocks (the usual case) as one flat array, so that the
/// loop vectorises without a scalar head and tail on every row.
template <typename F>
void mapCoefficients(const Eigen::Ref<const MatrixF>& X, Eigen::Ref<MatrixF> out, F f) {
  if (X.outerStride() == X.cols() && out.outerStride() == out.cols()) {
    Eigen::Map<Eigen::ArrayXf> o(out.data(), out.size());
    o = f(Eigen::Map<const Eigen::ArrayXf>(X.data(), X.size()));
  } else {
    out.array() = f(X.array());
  }
}

}  // namespace

void FeatureMap::applyInto(const Eigen::Ref<const MatrixF>& X, Eigen::Ref<MatrixF> out) const {
  if (X.cols() != dk_ || out.cols() != dk_ || out.rows() != X.rows())
    throw InvalidArgument("feature map: input or output has the wrong shape");
  switch (spec_.kind) {
    case FeatureMapKind::Relu:
      mapCoefficients(X, out, [](const auto& x) { return x.max(0.0f) + kReluEpsilon; });
      return;
    case FeatureMapKind::Elu1:
      mapCoefficients(X, out, [](const auto& x) { return (x > 0.0f).select(x + 1.0f, x.min(0.0f).exp()); });
      return;
    case FeatureMapKind::Softplus:
      mapCoefficients(X, out, [](const auto& x) { return x.max(0.0f) + (-x.abs()).exp().log1p(); });
      return;
    case FeatureMapKind::Favor: break;
  }
  throw InvalidArgument("feature map: applyInto is for elementwise maps (favor needs apply)");
}

MatrixF FeatureMap::apply(const Eigen::Ref<const MatrixF>& X, FavorShift shift) const {
  if (X.cols() != dk_) throw InvalidArgument("feature map: input has the wrong number of columns");
  switch (spec_.kind) {
    case FeatureMapKind::Relu:
      return (X.array().max(0.0f) + kReluEpsilon).matrix();
    case FeatureMapKind::Elu1:
      // elu(x) + 1 = x + 1 for x > 0, exp(x) otherwise.
      return (X.array() > 0.0f).select(X.array() + 1.0f, X.array().min(0.0f).exp()).matrix();
    case FeatureMapKind::Softplus:
      // log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}), stable for any x.
      return (X.array().max(0.0f) + (-X.array().abs()).exp().log1p()).matrix();
    case FeatureMapKind::Favor: {
      // φ(x) = exp(W x' − ‖x'‖²/2) / √r, x' = x·d_k^{-1/4}; computed as exp(logits − c) with a
      // shift c so that the largest entry is 1 (see FavorShift).
      const float s = std::pow(static_cast<float>(dk_), -0.25f);
      MatrixF logits = (X * W_.transpose()) * s;  // #X by r
      const Eigen::VectorXf halfNorm = (X.rowwise().squaredNorm() * (0.5f * s * s));
      logits.colwise() -= halfNorm;
      if (logits.rows() == 0) return logits;
      if (shift == FavorShift::PerRow) {
        const Eigen::VectorXf mx = logits.rowwise().maxCoeff();
        logits.colwise() -= mx;
      } else {
        logits.array() -= logits.maxCoeff();
      }
      return (logits.array().exp() / std::sqrt(static_cast<float>(W_.rows()))).matrix();
    }
  }
  return MatrixF();
}

}  // namespace attnscope
