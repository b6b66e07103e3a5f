// What linear attention and MHLA share (MATH.md "Linear attention", "MHLA"): φ, the feature
// dimension r, block states and one engine (linear_family.cpp runs linear attention as MHLA with one
// block and 𝓜 = [1]). Internal to core.
#pragma once

#include "attnscope/mechanism.h"
#include "attnscope/mechanism_kind.h"

namespace attnscope::detail {

class LinearFamilyKind : public MechanismKind {
 public:
  bool usesFeatureMap() const override { return true; }
  /// The favor feature count; a derived kind adds its own checks.
  void validate(const MechanismSpec& spec, int n, int dk) const override;
  /// Chunk summaries (at most M + N/64 chunks), block sums and the mixed states (2·M), each r·d_v
  /// floats, plus favor's r×d_k projection.
  double stateBytes(const MechanismSpec& spec, int n, int dk, int dv) const override;
  std::unique_ptr<PreparedAttention> prepareCpu(const MechanismSpec& spec, const HeadQKV& head,
                                                const CpuExec& exec) const override;
  MatrixF forwardCpu(const MechanismSpec& spec, const HeadQKV& head, const CpuExec& exec) const override;
};

}  // namespace attnscope::detail
