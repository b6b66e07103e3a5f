#include "kinds/linear_family_kind.h"

#include "attnscope/error.h"
#include "kernels.h"

namespace attnscope::detail {

void LinearFamilyKind::validate(const MechanismSpec& spec, int, int) const {
  if (spec.featureMap.kind == FeatureMapKind::Favor &&
      (spec.featureMap.favorFeatures < 1 || spec.featureMap.favorFeatures > 65536))
    throw InvalidArgument("favor: the feature count r must be between 1 and 65536");
}

double LinearFamilyKind::stateBytes(const MechanismSpec& spec, int n, int dk, int dv) const {
  const double r = featureDim(spec, dk);
  const double m = spec.blocks();
  return ((3 * m + n / 64.0 + 1) * r * dv + r * dk) * sizeof(float);
}

std::unique_ptr<PreparedAttention> LinearFamilyKind::prepareCpu(const MechanismSpec& spec,
                                                                const HeadQKV& head,
                                                                const CpuExec& exec) const {
  return prepareLinearFamily(head, spec, exec.threads);
}

MatrixF LinearFamilyKind::forwardCpu(const MechanismSpec& spec, const HeadQKV& head,
                                     const CpuExec& exec) const {
  return linearFamilyForward(head, spec, exec.threads);
}

}  // namespace attnscope::detail
