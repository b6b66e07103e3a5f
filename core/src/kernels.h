// Internal entry points of the Eigen backend's mechanisms (not installed; the public face is
// EigenBackend). Each takes one head.
#pragma once

#include <memory>

#include "attnscope/attention.h"
#include "attnscope/mechanism.h"
#include "attnscope/qkv.h"

namespace attnscope::detail {

/// Softmax forward. Streaming: online softmax over key tiles, O(N·d) extra memory.
/// Materialised: the dense map (within `budgetBytes`), then A·V.
/// @return N by d_v
MatrixF softmaxForward(const HeadQKV& x, const MechanismSpec& spec, int threads,
                       std::size_t budgetBytes);
std::unique_ptr<PreparedAttention> prepareSoftmax(const HeadQKV& x, const MechanismSpec& spec);

/// Linear attention and MHLA forward from block summaries (never an N×N matrix). @return N by d_v
MatrixF linearFamilyForward(const HeadQKV& x, const MechanismSpec& spec, int threads);
std::unique_ptr<PreparedAttention> prepareLinearFamily(const HeadQKV& x, const MechanismSpec& spec,
                                                       int threads);

}  // namespace attnscope::detail
