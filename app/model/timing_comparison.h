// Timing on every backend that can run here: the CPU (Eigen) always, the GPU (CUDA) when available,
// so the timing panel, the sweep and `attnscope render` show the two side by side whatever backend
// the session computes the maps on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attnscope/backend.h"
#include "attnscope/mechanism.h"
#include "attnscope/progress.h"
#include "attnscope/qkv.h"
#include "attnscope/timing.h"
#include "session/session.h"

namespace attnscope {

struct Results;

/// The backends to time: Eigen first, then CUDA when it is available.
struct TimingBackends {
  std::vector<std::unique_ptr<Backend>> backends;
  std::string gpuName;  ///< the GPU's name when it is timed
  std::string note;     ///< "GPU: not available — <reason>" when it is not (else empty)
};
/// Backends with the session's threads and matrix budget.
TimingBackends timingBackends(const Session& session);

/// The mechanisms timed on every timing backend.
struct TimingComparison {
  std::vector<std::vector<TimingResult>> timings;  ///< per spec given; one per backend
  std::string gpuName, note;                         ///< as TimingBackends
};
/// Times each of `specs` on all heads of `qkv`, `repeats` runs after a warm-up, on each timing backend.
/// Progress runs over all of it. Throws attnscope::Error (Cancelled on cancel).
TimingComparison compareTimings(const Session& session, const std::vector<MechanismSpec>& specs,
                                const Qkv& qkv, int repeats, const JobControl& job);
/// Copies the timings (timing.timings[k] → results.mechanisms[k]), GPU name and note into
/// `results`.
void setTimings(Results& results, const TimingComparison& timing);

/// Legend text of one backend's timings: "CPU (Eigen)", "GPU (NVIDIA H100, device time)".
/// "device time" says the times leave out host↔device copies (TimingResult::includesTransfers).
std::string timingLabel(const TimingResult& timing, const std::string& gpuName);
/// "CPU" or "GPU": the short name in tick labels.
std::string timingShortLabel(const TimingResult& timing);

}  // namespace attnscope
