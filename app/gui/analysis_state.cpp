#include "gui/analysis_state.h"

#include <sstream>

#include "attnscope/error.h"
#include "attnscope/metrics.h"

namespace attnscope::gui {

namespace {


std::string headsKey(const std::vector<int>& heads) {
  std::ostringstream os;
  for (int h : heads) os << h << ',';
  return os.str();
}

/// What a mechanism's numbers depend on.
std::string keyFor(int k, const Session& s, const ResolvedMechanisms& mech,
                   std::uint64_t inputGen, const std::vector<int>& heads) {
  std::ostringstream os;
  os.precision(17);
  os << "in" << inputGen << "|h" << headsKey(heads) << "|c" << s.causal << "|be" << s.backend
     << "|t" << s.temperature;  // every part depends on softmax (KL, output error)
  if (k >= 1)
    os << "|phi" << int(s.featureMap) << ',' << s.favorFeatures << ',' << s.seed;
  if (k == 2) {
    os << "|L" << mech.layout->describe() << "|N" << int(s.normaliser) << "|M";
    for (int i = 0; i < mech.mixing.size(); ++i) os << mech.mixing.data()[i] << ',';
  }
  return os.str();
}

}  // namespace

std::array<VectorD, 3> AnalysisState::rowsFor(int query) const {
  std::array<VectorD, 3> out;
  for (int k = 0; k < 3; ++k) {
    const auto& prep = parts[k]->prepared;
    out[k] = VectorD::Zero(n());
    for (const auto& p : prep) out[k] += p->row(query);
    if (!prep.empty()) out[k] /= double(prep.size());
  }
  return out;
}

std::shared_ptr<const Input> loadInput(const Session& session) {
  return std::make_shared<const Input>(loadSessionInput(session));
}

std::shared_ptr<const AnalysisState> computeAnalysis(
    const Session& s, std::shared_ptr<const Input> input, std::uint64_t inputGen,
    std::shared_ptr<const AnalysisState> previous, const JobControl& job) {
  if (!input) throw InvalidArgument("no input loaded");
  const Qkv& qkv = input->qkv;
  auto state = std::make_shared<AnalysisState>();
  state->input = input;
  state->inputGeneration = inputGen;

  AnalysisFrame frame = beginAnalysis(s, input);
  std::shared_ptr<Results> res = frame.results;
  const ResolvedMechanisms& mech = frame.mechanisms;
  Backend* backend = frame.backend.get();
  MetricsOptions mopts;
  mopts.seed = s.seed;

  const int nh = static_cast<int>(res->heads.size());
  for (int k = 0; k < 3; ++k) {
    const std::string key = keyFor(k, s, mech, inputGen, res->heads);
    if (previous && previous->parts[k] && previous->parts[k]->key == key) {
      state->parts[k] = previous->parts[k];
      continue;
    }
    auto part = std::make_shared<MechanismPart>();
    part->key = key;
    MechanismResult& mr = part->result;
    describeMechanism(mr, mech.specs[k], k, res->n, res->dk);
    for (int i = 0; i < nh; ++i) {
      const int h = res->heads[i];
      job.check();
      mr.outputs.push_back(backend->forward(mr.spec, qkv, HeadSel::one(h))[0]);
      std::shared_ptr<const PreparedAttention> prep = backend->prepare(mr.spec, qkv.heads[h]);
      part->prepared.push_back(prep);
      mr.metrics.push_back(mapMetrics(*prep, mopts, job));
      if (k == 0) {
        mr.klToSoftmax.push_back(0.0);
        mr.outputRelError.push_back(0.0);
      } else {
        const MechanismPart& soft = *state->parts[0];
        mr.klToSoftmax.push_back(meanKlFromSoftmax(*soft.prepared[i], *prep, mopts, job));
        mr.outputRelError.push_back(outputRelativeError(mr.outputs.back(), soft.result.outputs[i]));
      }
      job.report((k * nh + i + 1) / double(3 * nh));
    }
    state->parts[k] = part;
    state->recomputed[k] = true;
  }
  state->results = res;
  for (int k = 0; k < 3; ++k) res->mechanisms[k] = state->parts[k]->result;
  state->results = withQuery(*state, res->query);
  return state;
}

std::shared_ptr<const Results> withQuery(const AnalysisState& state, int query) {
  auto res = std::make_shared<Results>(*state.results);
  res->query = query;
  res->queryBlock = res->layout ? res->layout->blockOf(query) : 0;
  res->session.query = query;
  res->session.queryRow = res->session.queryCol = -1;
  for (int k = 0; k < 3; ++k) {
    MechanismResult& mr = res->mechanisms[k];
    const auto& prep = state.parts[k]->prepared;
    mr.rows.clear();
    mr.shownRow = VectorD::Zero(state.n());
    for (const auto& p : prep) {
      mr.rows.push_back(p->row(query));
      mr.shownRow += mr.rows.back() / double(prep.size());
    }
  }
  return res;
}

SpectraResult computeSpectra(const AnalysisState& state, const SpectrumOptions& opts,
                             const JobControl& job) {
  SpectraResult out;
  int total = 0, done = 0;
  for (const auto& p : state.parts) total += static_cast<int>(p->prepared.size());
  for (int k = 0; k < 3; ++k) {
    for (const auto& prep : state.parts[k]->prepared) {
      JobControl sub;
      sub.cancel = job.cancel;
      const double base = done / double(total);
      sub.progress = [&job, base, total](double f) { job.report(base + f / total); };
      try {
        out.spectra[k].push_back(prep->spectrum(opts, sub));
      } catch (const Cancelled&) {
        throw;
      } catch (const Error& e) {
        out.spectra[k].clear();
        out.notes[k] = e.what();
        done += static_cast<int>(state.parts[k]->prepared.size());
        break;
      }
      job.report(++done / double(total));
    }
  }
  return out;
}

TimingComparison computeTiming(const Session& s, const AnalysisState& state, int repeats,
                               const JobControl& job) {
  Qkv timed;
  for (int h : state.results->heads) timed.heads.push_back(state.input->qkv.heads[h]);
  std::array<MechanismSpec, 3> specs;
  for (int k = 0; k < 3; ++k) specs[k] = state.parts[k]->result.spec;
  return compareTimings(s, specs, timed, repeats, job);
}

std::shared_ptr<const Results> withExtras(const Results& base, const SpectraResult* spectra,
                                          const TimingComparison* timing) {
  auto res = std::make_shared<Results>(base);
  if (spectra)
    for (int k = 0; k < 3; ++k) res->mechanisms[k].spectra = spectra->spectra[k];
  if (timing) setTimings(*res, *timing);
  return res;
}

}  // namespace attnscope::gui
