// Progress reporting and cancellation for long work (spectra of big matrices, sweeps, GPU runs).
// The app runs such work on a worker thread and sets the token to stop it; the work throws
// attnscope::Cancelled at its next check.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>

#include "attnscope/error.h"

namespace attnscope {

/// Shared cancel flag. Copies refer to the same flag; a default-constructed token can be cancelled too.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  /// Throws Cancelled if cancel() was called.
  void check() const {
    if (cancelled()) throw Cancelled();
  }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

/// Progress callback: fraction done in [0, 1]. May be empty.
using ProgressFn = std::function<void(double fraction)>;

/// What long work receives: where to report progress and what tells it to stop.
struct JobControl {
  ProgressFn progress;
  CancelToken cancel;

  void report(double f) const {
    if (progress) progress(f);
  }
  void check() const { cancel.check(); }
};

/// A part of `job`: the same cancel flag, progress f reported as from + width·f. `job` must outlive
/// the part (it is referred to, not copied).
inline JobControl subJob(const JobControl& job, double from, double width) {
  JobControl sub;
  sub.cancel = job.cancel;
  sub.progress = [&job, from, width](double f) { job.report(from + width * std::clamp(f, 0.0, 1.0)); };
  return sub;
}

}  // namespace attnscope
