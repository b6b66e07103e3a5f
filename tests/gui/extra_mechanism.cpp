#include "extra_mechanism.h"

#include "model/mechanism_registry.h"

namespace attnscope::testing {

void registerExtraMechanism() {
  MechanismEntry e;
  e.id = kExtraId;
  e.displayName = "linear φ=softplus";
  e.rgb = 0x9050B0;
  e.build = [](const MechanismContext& c) {
    FeatureMapSpec phi = c.featureMap;
    phi.kind = FeatureMapKind::Softplus;
    return MechanismSpec::linear(phi, c.session.causal);
  };
  registerMechanism(std::move(e));
}

void unregisterExtraMechanism() { unregisterMechanism(kExtraId); }

}  // namespace attnscope::testing
