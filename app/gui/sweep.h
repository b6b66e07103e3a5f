// The scaling sweep: forward time of softmax, linear and MHLA at N = 256, 512, … on synthetic
// Q/K/V (one head), on the CPU and (when available) the GPU, on a worker with progress and
// cancellation.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "attnscope/progress.h"
#include "attnscope/timing.h"
#include "session/session.h"

namespace attnscope::gui {

struct SweepPoint {
  int n = 0;
  std::array<TimingResult, 3> timing;  ///< softmax, linear, mhla
};

/// One backend's curves.
struct SweepSeries {
  std::string backend;  ///< "eigen", "cuda"
  std::vector<SweepPoint> points;
  bool stoppedEarly = false;  ///< its softmax exceeded the time limit before maxN
};

struct SweepResult {
  std::vector<SweepSeries> series;  ///< the CPU first, then the GPU when available
  std::string gpuName;              ///< the GPU's name when it was timed
  std::string note;                 ///< "GPU: not available — <reason>" when it was not

  bool empty() const {
    for (const SweepSeries& s : series)
      if (!s.points.empty()) return false;
    return true;
  }
};

/// @param maxN        largest N tried (powers of two from 256)
/// @param limitMs     a backend stops after the size where one softmax forward on it took longer
///                    than this (the GPU goes on to larger N than the CPU)
SweepResult runSweep(const Session& session, int maxN, double limitMs, const JobControl& job);

}  // namespace attnscope::gui
