// The scaling sweep: forward time of softmax, linear and MHLA at N = 256, 512, … on synthetic
// Q/K/V (one head), on a worker with progress and cancellation.
#pragma once

#include <array>
#include <vector>

#include "attnscope/progress.h"
#include "attnscope/timing.h"
#include "session/session.h"

namespace attnscope::gui {

struct SweepPoint {
  int n = 0;
  std::array<TimingResult, 3> timing;  ///< softmax, linear, mhla
};

struct SweepResult {
  std::vector<SweepPoint> points;
  bool stoppedEarly = false;  ///< softmax exceeded the time limit before maxN
};

/// @param maxN        largest N tried (powers of two from 256)
/// @param limitMs     stop after the size where one softmax forward took longer than this
SweepResult runSweep(const Session& session, int maxN, double limitMs, const JobControl& job);

}  // namespace attnscope::gui
