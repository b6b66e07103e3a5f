#include "attnscope/backend.h"

#include <chrono>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/setting_ref.h"

namespace attnscope {

void Backend::requireSupport(const MechanismSpec& spec) const {
  if (!spec.kind) throw InvalidArgument("the mechanism has no kind");
  if (!supports(spec))
    throw InvalidArgument("the " + name() + " backend does not run " + spec.kindId() +
                          " attention (" + spec.label() + "); compute it on another backend");
}

void Backend::check(const MechanismSpec& spec, const Qkv& qkv) const {
  requireSupport(spec);
  const Availability av = available();
  if (!av.ok) throw Error("the " + name() + " backend is not available: " + av.reason);
  qkv.validate();
  spec.validate(qkv.n(), qkv.dk());
  requireStateBudget(spec, qkv.n(), qkv.dk(), qkv.dv(), matrixBudget_);
}

double linearStateBytes(const MechanismSpec& spec, int n, int dk, int dv) {
  return spec.kind->stateBytes(spec, n, dk, dv);
}

void requireStateBudget(const MechanismSpec& spec, int n, int dk, int dv, std::size_t budgetBytes) {
  const double bytes = linearStateBytes(spec, n, dk, dv);
  if (bytes <= static_cast<double>(budgetBytes)) return;
  std::ostringstream os;
  os.precision(4);
  os << spec.label() << ": the block states (M = " << spec.blocks() << " blocks of r × d_v = "
     << featureDim(spec, dk) << " × " << dv << " floats, N = " << n << ") would need "
     << bytes / (1 << 20) << " MiB, above the memory budget of " << double(budgetBytes) / (1 << 20)
     << " MiB (fewer blocks, a smaller d or r, or a larger " << settingRef("compute.matrixBudgetBytes") << ")";
  throw BudgetExceeded(os.str());
}

std::vector<MatrixF> Backend::forward(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                                      const JobControl& job) {
  check(spec, qkv);
  return forwardHeads(spec, qkv, qkv.select(heads), job);
}

std::vector<MatrixF> Backend::forwardHeads(const MechanismSpec& spec, const Qkv& qkv,
                                           const std::vector<int>& sel, const JobControl& job) {
  std::vector<MatrixF> out;
  for (size_t i = 0; i < sel.size(); ++i) {
    job.check();
    out.push_back(forwardHead(spec, qkv.head(sel[i])));
    job.report(double(i + 1) / sel.size());
  }
  return out;
}

std::vector<double> Backend::timeRuns(const MechanismSpec& spec, const Qkv& qkv, int repeats,
                                      const JobControl& job) {
  auto runAll = [&] {
    for (const HeadQKV& h : qkv.heads()) {
      MatrixF o = forwardHead(spec, h);
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
  return ms;
}

std::vector<VectorD> Backend::attentionRow(const MechanismSpec& spec, const Qkv& qkv,
                                           HeadSel heads, int query) {
  check(spec, qkv);
  std::vector<VectorD> out;
  for (int h : qkv.select(heads)) out.push_back(prepare(spec, qkv.head(h))->row(query));
  return out;
}

std::vector<MatrixF> Backend::attentionMatrix(const MechanismSpec& spec, const Qkv& qkv,
                                              HeadSel heads, const JobControl& job) {
  check(spec, qkv);
  const auto sel = qkv.select(heads);
  requireBudget(qkv.n(), sizeof(float) * sel.size(), matrixBudget_,
                sel.size() > 1 ? "dense attention maps (all heads)" : "a dense attention map");
  std::vector<MatrixF> out;
  for (size_t i = 0; i < sel.size(); ++i) {
    JobControl sub{[&](double f) { job.report((i + f) / sel.size()); }, job.cancel};
    out.push_back(prepare(spec, qkv.head(sel[i]))->matrix(matrixBudget_, sub));
  }
  return out;
}

std::vector<Spectrum> Backend::spectrum(const MechanismSpec& spec, const Qkv& qkv, HeadSel heads,
                                        const SpectrumOptions& opts, const JobControl& job) {
  check(spec, qkv);
  const auto sel = qkv.select(heads);
  std::vector<Spectrum> out;
  for (size_t i = 0; i < sel.size(); ++i) {
    JobControl sub{[&](double f) { job.report((i + f) / sel.size()); }, job.cancel};
    out.push_back(prepare(spec, qkv.head(sel[i]))->spectrum(opts, sub));
  }
  return out;
}

}  // namespace attnscope
