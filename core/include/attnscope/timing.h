// The timing harness shared by the GUI's timing panel, `attnscope bench` and the benchmarks.
#pragma once

#include <string>

#include "attnscope/backend.h"

namespace attnscope {

struct TimingResult {
  std::string mechanism;  ///< softmax | linear | mhla
  std::string backend;
  int n = 0, d = 0, heads = 0, blocks = 1;
  int repeats = 0;
  double medianMs = 0, minMs = 0, maxMs = 0;
  double gflops = 0;  ///< MATH.md FLOP count over all heads / median time
  /// False when the backend timed data already on its device (CUDA: no host↔device copies).
  bool includesTransfers = true;
};

/// Which sgemm measureSgemm times: the BLAS the core's products run on (gemm.h), or Eigen's own.
enum class SgemmEngine { Blas, Eigen };

/// The machine's single-precision GEMM rate in this run: C = A·B with A, B, C n by n floats on
/// `engine`, `threads` threads (clamped to the machine's cores), one warm-up then the median of
/// `repeats` runs. 2·n³ FLOPs per run. With Blas and no BLAS loaded, `available` is false.
struct SgemmRate {
  int n = 0, threads = 0, repeats = 0;
  double medianMs = 0, minMs = 0;
  double gflops = 0;  ///< 2·n³ / median time
  bool available = true;
};
SgemmRate measureSgemm(int n, int threads, int repeats = 5, SgemmEngine engine = SgemmEngine::Blas);

/// Times the efficient forward over all heads of `qkv` (Backend::timeRuns): one warm-up, then
/// `repeats` runs.
/// Inputs are validated once, outside the timed region.
TimingResult timeForward(Backend& backend, const MechanismSpec& spec, const Qkv& qkv, int repeats,
                         const JobControl& job = {});

}  // namespace attnscope
