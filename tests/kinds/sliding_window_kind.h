// A test-only attention kind: sliding-window softmax. Query i attends, with softmax weights, to the
// keys j with |i − j| ≤ w (causal: i − w ≤ j ≤ i); w is the spec's parameter "window". It lives in
// tests/ only and is one MechanismKind subclass plus one registerMechanismKind() call: the proof
// that a new kind of attention needs no change anywhere else in core (issue 22).
#pragma once

#include "attnscope/mechanism.h"

namespace attnscope::testing {

inline constexpr const char* kSlidingWindowId = "sliding-window";

/// The kind (registered with core on first call).
MechanismKindPtr slidingWindowKind();
/// A sliding-window softmax spec of half-width `window`.
MechanismSpec slidingWindowSpec(int window, bool causal = false, double temperature = 1.0);

}  // namespace attnscope::testing
