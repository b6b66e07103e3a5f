// Prepared attention on the device (hover rows, dense maps, spectra): the heavy operands stay on
// the GPU; each rows() call is one dot-product kernel, and the normalisation is done on the host
// in double precision with the same formulas as the Eigen backend.
#pragma once

#include <memory>

#include "attnscope/attention.h"
#include "attnscope/qkv.h"
#include "context.h"

namespace attnscope::gpu {

/// @param ctx  shared with the backend that made it (outlives nothing: the prepared object keeps it)
std::unique_ptr<PreparedAttention> prepareOnDevice(std::shared_ptr<Context> ctx,
                                                   const MechanismSpec& spec, const HeadQKV& head,
                                                   int hostThreads);

/// Singular values of a dense n×n matrix (row-major, double) with cuSOLVER, descending.
VectorD deviceSingularValues(Context& ctx, const MatrixD& a);

}  // namespace attnscope::gpu
