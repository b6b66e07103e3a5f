#include "gui/sweep.h"

#include "attnscope/input/input.h"
#include "attnscope/mixing.h"
#include "model/timing_comparison.h"

namespace attnscope::gui {

SweepResult runSweep(const Session& s, int maxN, double limitMs, const JobControl& job) {
  TimingBackends tb = timingBackends(s);
  SweepResult out;
  out.gpuName = tb.gpuName;
  out.note = tb.note;
  for (const auto& b : tb.backends) out.series.push_back({b->name(), {}, false});
  const int nb = static_cast<int>(tb.backends.size());
  int steps = 0;
  for (int n = 256; n <= maxN; n *= 2) ++steps;
  int step = 0;
  for (int n = 256; n <= maxN; n *= 2, ++step) {
    job.check();
    bool anyLeft = false;
    for (const SweepSeries& ser : out.series) anyLeft = anyLeft || !ser.stoppedEarly;
    if (!anyLeft) break;
    SyntheticSettings syn;
    syn.n = n;
    syn.heads = 1;
    syn.dHead = s.input.dHead;
    syn.seed = s.seed;
    const Input in = makeSyntheticInput(syn);
    FeatureMapSpec phi;
    phi.kind = s.featureMap;
    phi.favorFeatures = s.favorFeatures;
    phi.seed = s.seed;
    const BlockLayout layout = BlockLayout::oneD(n, std::min(n, s.blocks > 0 ? s.blocks : 16));
    const std::array<MechanismSpec, 3> specs = {
        MechanismSpec::softmax(false, s.temperature), MechanismSpec::linear(phi),
        MechanismSpec::mhla(layout, MixingInit::Cos, phi)};
    for (int b = 0; b < nb; ++b) {
      SweepSeries& ser = out.series[b];
      if (ser.stoppedEarly) continue;
      SweepPoint p;
      p.n = n;
      for (int k = 0; k < 3; ++k) {
        JobControl sub;
        sub.cancel = job.cancel;
        const double at = step + (b * 3 + k) / (3.0 * nb);
        sub.progress = [&job, at, nb, steps](double f) {
          job.report((at + f / (3.0 * nb)) / steps);
        };
        p.timing[k] = timeForward(*tb.backends[b], specs[k], in.qkv, n >= 16384 ? 2 : 3, sub);
      }
      ser.points.push_back(p);
      if (p.timing[0].medianMs > limitMs && n * 2 <= maxN) ser.stoppedEarly = true;
    }
    job.report((step + 1.0) / steps);
  }
  return out;
}

}  // namespace attnscope::gui
