// Linear attention (MATH.md "Linear attention"): every query reads one summary S = φ(K)ᵀV.
#include <algorithm>

#include "kinds/linear_family_kind.h"

namespace attnscope {

namespace {

class LinearKind final : public detail::LinearFamilyKind {
 public:
  std::string id() const override { return "linear"; }
  std::string label(const MechanismSpec& spec) const override {
    return "linear (" + toString(spec.featureMap.kind) + ")";
  }
  int rankBound(const MechanismSpec& spec, int n, int dk) const override {
    return std::min(n, featureDim(spec, dk));
  }
  double flops(const MechanismSpec& spec, int n, int dk, int dv) const override {
    return 4.0 * n * featureDim(spec, dk) * 0.5 * (dk + dv);
  }
};

}  // namespace

const MechanismKindPtr& linearKind() {
  static const MechanismKindPtr k = std::make_shared<LinearKind>();
  return k;
}

}  // namespace attnscope
