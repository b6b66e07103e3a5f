// Softmax forward on the device for H heads at once: the fused flash kernel (FP32) or the tiled
// path (GEMM → row softmax → GEMM over query tiles; FP32 or TF32 tensor-core products).
#pragma once

#include "attnscope/cuda_backend.h"
#include "attnscope/mechanism.h"
#include "context.h"
#include "workspace.h"

namespace attnscope::gpu {

/// Which softmax path run() takes for these settings on this device.
enum class SoftmaxRoute { Flash, TiledFp32, TiledTf32 };
SoftmaxRoute chooseSoftmaxRoute(const MechanismSpec& spec, SoftmaxPrecision precision, int dk,
                                int dv, int maxSharedBytes);

/// O = softmax(s·QKᵀ)V for [H][N][d] device arrays, enqueued on the context's stream.
void runSoftmax(Context& ctx, Workspace& ws, const MechanismSpec& spec, SoftmaxPrecision precision,
                const float* Q, const float* K, const float* V, float* O, int heads, int n, int dk,
                int dv, bool poison);

}  // namespace attnscope::gpu
