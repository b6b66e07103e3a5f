// The scaling sweep: forward time of every registered mechanism at N = 256, 512, … on synthetic
// Q/K/V (one head), on the CPU and (when available) the GPU. The window's sweep panel,
// `attnscope render --panels …,sweep`, `compute --sweep` and `bench --sweep` all run this.
#pragma once

#include <string>
#include <vector>

#include "attnscope/progress.h"
#include "attnscope/timing.h"

namespace attnscope {

struct Session;

struct SweepPoint {
  int n = 0;
  std::vector<TimingResult> timing;  ///< one per SweepResult::mechanisms entry
};

/// One backend's curves.
struct SweepSeries {
  std::string backend;  ///< "eigen", "cuda"
  std::vector<SweepPoint> points;
  bool stoppedEarly = false;  ///< its reference (softmax) exceeded the time limit before maxN
};

struct SweepResult {
  std::vector<std::string> mechanisms;   ///< registry ids, in the order of SweepPoint::timing
  std::vector<std::string> displayNames; ///< their display names
  std::vector<std::uint32_t> colours;    ///< their 0xRRGGBB colours
  std::vector<SweepSeries> series;  ///< the CPU first, then the GPU when available
  std::string gpuName;              ///< the GPU's name when it was timed
  std::string note;                 ///< "GPU: not available — <reason>" when it was not
  double limitMs = 0;               ///< the time limit that stops a backend

  bool empty() const {
    for (const SweepSeries& s : series)
      if (!s.points.empty()) return false;
    return true;
  }
  /// Index of a mechanism id in `mechanisms`, -1 when absent.
  int indexOf(const std::string& id) const {
    for (std::size_t i = 0; i < mechanisms.size(); ++i)
      if (mechanisms[i] == id) return static_cast<int>(i);
    return -1;
  }
};

/// Default largest N and time limit of the window's "Run scaling sweep".
inline constexpr int kSweepDefaultMaxN = 65536;
inline constexpr double kSweepDefaultLimitMs = 1500.0;

/// @param maxN        largest N tried (powers of two from 256)
/// @param limitMs     a backend stops after the size where one softmax forward on it took longer
///                    than this (the GPU goes on to larger N than the CPU)
SweepResult runSweep(const Session& session, int maxN, double limitMs, const JobControl& job);

}  // namespace attnscope
