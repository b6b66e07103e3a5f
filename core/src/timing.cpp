#include "attnscope/timing.h"

#include <algorithm>
#include <vector>

#include "attnscope/error.h"

namespace attnscope {

TimingResult timeForward(Backend& backend, const MechanismSpec& spec, const Qkv& qkv, int repeats,
                         const JobControl& job) {
  if (repeats < 1) throw InvalidArgument("timing: repeats must be at least 1");
  const Availability av = backend.available();
  if (!av.ok) throw Error("the " + backend.name() + " backend is not available: " + av.reason);
  qkv.validate();
  spec.validate(qkv.n(), qkv.dk());
  requireStateBudget(spec, qkv.n(), qkv.dk(), qkv.dv(), backend.matrixBudget());
  std::vector<double> ms = backend.timeRuns(spec, qkv, repeats, job);
  if (static_cast<int>(ms.size()) != repeats) throw Error("timing: the backend returned no times");
  std::sort(ms.begin(), ms.end());
  TimingResult r;
  r.mechanism = toString(spec.kind);
  r.backend = backend.name();
  r.n = qkv.n();
  r.d = qkv.dk();
  r.heads = qkv.numHeads();
  r.blocks = spec.blocks();
  r.repeats = repeats;
  r.includesTransfers = backend.timesIncludeTransfers();
  r.minMs = ms.front();
  r.maxMs = ms.back();
  const size_t k = ms.size();
  r.medianMs = k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
  r.gflops = forwardFlops(spec, qkv.n(), qkv.dk(), qkv.dv()) * qkv.numHeads() /
             (r.medianMs * 1e-3) / 1e9;
  return r;
}

}  // namespace attnscope
