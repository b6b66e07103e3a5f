#include "model/timing_comparison.h"

#include <algorithm>

#include "model/backend_registry.h"
#include "model/results.h"

namespace attnscope {

namespace {
/// The reason's first clause ("no CUDA driver (cudaErrorInsufficientDriver: …)" → "no CUDA
/// driver"): figures have room for a short note; `attnscope info` and the controls' tooltip give
/// the whole reason.
std::string firstClause(const std::string& reason) {
  std::size_t cut = std::string::npos;
  for (const char* sep : {": ", " (", "; "}) cut = std::min(cut, reason.find(sep));
  return cut != std::string::npos && cut >= 10 ? reason.substr(0, cut) : reason;
}
}  // namespace

TimingBackends timingBackends(const Session& s) {
  TimingBackends out;
  for (const BackendEntry& e : listBackends()) {
    if (!e.availability.ok) {
      if (e.name == "cuda") out.note = "GPU: not available — " + firstClause(e.availability.reason);
      continue;
    }
    std::unique_ptr<Backend> b = makeBackend(e.name, s.threads);
    b->setMatrixBudget(s.matrixBudgetBytes);
    if (e.name == "cuda") out.gpuName = e.device;
    out.backends.push_back(std::move(b));
  }
  return out;
}

TimingComparison compareTimings(const Session& s, const std::vector<MechanismSpec>& specs,
                                const Qkv& qkv, int repeats, const JobControl& job) {
  TimingBackends tb = timingBackends(s);
  TimingComparison out;
  out.gpuName = tb.gpuName;
  out.note = tb.note;
  const int nm = static_cast<int>(specs.size());
  out.timings.resize(nm);
  const double total = double(nm) * tb.backends.size();
  int done = 0;
  for (auto& backend : tb.backends) {
    for (int k = 0; k < nm; ++k, ++done) {
      job.check();
      JobControl sub;
      sub.cancel = job.cancel;
      sub.progress = [&job, done, total](double f) { job.report((done + f) / total); };
      out.timings[k].push_back(timeForward(*backend, specs[k], qkv, repeats, sub));
      job.report((done + 1) / total);
    }
  }
  return out;
}

void setTimings(Results& r, const TimingComparison& t) {
  for (std::size_t k = 0; k < r.mechanisms.size() && k < t.timings.size(); ++k)
    r.mechanisms[k].timings = t.timings[k];
  r.gpuName = t.gpuName;
  r.timingNote = t.note;
}

std::string timingLabel(const TimingResult& t, const std::string& gpuName) {
  if (t.backend == "eigen") return "CPU (Eigen)";
  if (t.backend != "cuda") return t.backend;
  std::string label = "GPU (" + (gpuName.empty() ? std::string("CUDA") : gpuName);
  if (!t.includesTransfers) label += ", device time";
  return label + ")";
}

std::string timingShortLabel(const TimingResult& t) {
  if (t.backend == "eigen") return "CPU";
  if (t.backend == "cuda") return "GPU";
  return t.backend;
}

}  // namespace attnscope
