#include "attnscope/timing.h"

#include <algorithm>
#include <chrono>
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
  auto runAll = [&] {
    for (const auto& h : qkv.heads) {
      MatrixF o = backend.forwardHead(spec, h);
      if (o.rows() != qkv.n()) throw Error("timing: the backend returned a wrong shape");
    }
  };
  runAll();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    job.check();
    const auto t0 = std::chrono::steady_clock::now();
    runAll();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    job.report(double(i + 1) / repeats);
  }
  std::sort(ms.begin(), ms.end());
  TimingResult r;
  r.mechanism = toString(spec.kind);
  r.backend = backend.name();
  r.n = qkv.n();
  r.d = qkv.dk();
  r.heads = qkv.numHeads();
  r.blocks = spec.blocks();
  r.repeats = repeats;
  r.minMs = ms.front();
  r.maxMs = ms.back();
  const size_t k = ms.size();
  r.medianMs = k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
  r.gflops = forwardFlops(spec, qkv.n(), qkv.dk(), qkv.dv()) * qkv.numHeads() /
             (r.medianMs * 1e-3) / 1e9;
  return r;
}

}  // namespace attnscope
