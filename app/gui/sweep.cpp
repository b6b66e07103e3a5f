#include "gui/sweep.h"

#include "attnscope/input/input.h"
#include "attnscope/mixing.h"
#include "model/backend_registry.h"

namespace attnscope::gui {

SweepResult runSweep(const Session& s, int maxN, double limitMs, const JobControl& job) {
  std::unique_ptr<Backend> backend = makeBackend(s.backend, s.threads);
  SweepResult out;
  int steps = 0;
  for (int n = 256; n <= maxN; n *= 2) ++steps;
  int step = 0;
  for (int n = 256; n <= maxN; n *= 2, ++step) {
    job.check();
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
    SweepPoint p;
    p.n = n;
    for (int k = 0; k < 3; ++k) {
      JobControl sub;
      sub.cancel = job.cancel;
      sub.progress = [&job, step, k, steps](double f) {
        job.report((step + (k + f) / 3.0) / steps);
      };
      p.timing[k] = timeForward(*backend, specs[k], in.qkv, n >= 16384 ? 2 : 3, sub);
    }
    out.points.push_back(p);
    job.report((step + 1.0) / steps);
    if (p.timing[0].medianMs > limitMs && n * 2 <= maxN) {
      out.stoppedEarly = true;
      break;
    }
  }
  return out;
}

}  // namespace attnscope::gui
