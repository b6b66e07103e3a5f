// A test-only fourth mechanism: linear attention with φ = softplus whatever the session's φ. It is
// one registerMechanism() call (extra_mechanism.cpp) and nothing else: the test that it appears in
// `attnscope compute`'s files, `attnscope render`'s figure and the window's panels is the proof
// that adding a mechanism touches the registry and the mechanism's own file only.
#pragma once

namespace attnscope::testing {

inline constexpr const char* kExtraId = "linear-softplus";
inline constexpr const char* kExtraLabel = "linear (softplus)";
void registerExtraMechanism();
void unregisterExtraMechanism();

}  // namespace attnscope::testing
