// Element-wise feature maps φ on the device (MATH.md "Feature maps φ"), the same formulas as
// core's FeatureMap::apply. Identity: the input already holds φ (favor, mapped by its own kernels).
#pragma once

#include "linear_kernels.h"

namespace attnscope::gpu {

template <Phi P>
__device__ __forceinline__ float applyPhi(float x) {
  if constexpr (P == Phi::Relu) {
    return fmaxf(x, 0.0f) + 1e-6f;  // kReluEpsilon
  } else if constexpr (P == Phi::Elu1) {
    return x > 0.0f ? x + 1.0f : expf(fminf(x, 0.0f));
  } else if constexpr (P == Phi::Softplus) {
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
  } else {
    return x;
  }
}

}  // namespace attnscope::gpu
