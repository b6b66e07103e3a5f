#include "model/sweep.h"

#include <algorithm>

#include "attnscope/input/input.h"
#include "attnscope/mixing.h"
#include "model/mechanism_registry.h"
#include "model/timing_comparison.h"
#include "session/session.h"

namespace attnscope {

SweepResult runSweep(const Session& session, int maxN, double limitMs, const JobControl& job) {
  TimingBackends tb = timingBackends(session);
  const std::vector<MechanismEntry>& entries = mechanismRegistry();
  const int nm = static_cast<int>(entries.size());
  SweepResult out;
  out.gpuName = tb.gpuName;
  out.note = tb.note;
  out.limitMs = limitMs;
  for (const MechanismEntry& e : entries) {
    out.mechanisms.push_back(e.id);
    out.displayNames.push_back(e.displayName);
    out.colours.push_back(e.rgb);
  }
  for (const auto& b : tb.backends) out.series.push_back({b->name(), {}, false});
  const int nb = static_cast<int>(tb.backends.size());
  // The sweep times the bidirectional mechanisms with the cos mixing of 1D chunks.
  Session s = session;
  s.causal = false;
  FeatureMapSpec phi;
  phi.kind = s.featureMap;
  phi.favorFeatures = s.favorFeatures;
  phi.seed = s.seed;
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
    auto layout = std::make_shared<const BlockLayout>(
        BlockLayout::oneD(n, std::min(n, s.blocks > 0 ? s.blocks : 16)));
    const MatrixD mixing = makeMixing(*layout, MixingInit::Cos);
    const MechanismContext ctx{s, in, layout, mixing, phi, s.causal};
    std::vector<MechanismSpec> specs;
    for (const MechanismEntry& e : entries) specs.push_back(e.build(ctx));
    for (int b = 0; b < nb; ++b) {
      SweepSeries& ser = out.series[b];
      if (ser.stoppedEarly) continue;
      SweepPoint p;
      p.n = n;
      for (int k = 0; k < nm; ++k) {
        JobControl sub;
        sub.cancel = job.cancel;
        const double at = step + (b * nm + k) / double(nm * nb);
        sub.progress = [&job, at, nb, nm, steps](double f) {
          job.report((at + f / double(nm * nb)) / steps);
        };
        p.timing.push_back(timeForward(*tb.backends[b], specs[k], in.qkv, n >= 16384 ? 2 : 3, sub));
      }
      ser.points.push_back(p);
      if (p.timing[0].medianMs > limitMs && n * 2 <= maxN) ser.stoppedEarly = true;
    }
    job.report((step + 1.0) / steps);
  }
  return out;
}

}  // namespace attnscope
