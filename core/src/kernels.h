// Internal entry points of the Eigen backend's mechanisms (not installed; the public face is
// EigenBackend). Each takes one head.
#pragma once

#include <memory>

#include "attnscope/attention.h"
#include "attnscope/mechanism.h"
#include "attnscope/qkv.h"

namespace attnscope::detail {

/// Threads worth using for `flops` of work: one below about 20 MFLOP (≈0.2 ms on one core), where
/// waking a second thread costs more than it saves — and, on a loaded machine, can cost a whole
/// scheduler time slice.
inline int threadsForWork(double flops, int threads) { return flops < 2e7 ? 1 : threads; }

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
