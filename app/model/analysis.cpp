#include "model/analysis.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/metrics.h"
#include "model/mechanism_registry.h"

namespace attnscope {

std::string partKey(const MechanismSpec& spec, const Session& s, std::uint64_t inputGen,
                    const std::vector<int>& heads, bool metrics) {
  std::ostringstream os;
  os << "in" << inputGen << "|h";
  for (int h : heads) os << h << ',';
  os << "|be" << s.backend << "|budget" << s.matrixBudgetBytes << "|metrics" << metrics << '|'
     << spec.key();
  return os.str();
}

std::vector<std::string> partKeys(const std::vector<MechanismSpec>& specs, const Session& s,
                                  std::uint64_t inputGen, const std::vector<int>& heads, bool metrics) {
  // Every mechanism but the reference is measured against it (KL, output error).
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const std::string own = partKey(specs[k], s, inputGen, heads, metrics);
    keys.push_back(k == 0 ? own : own + "|ref" + keys[0]);
  }
  return keys;
}

std::shared_ptr<const Analysis> selectHeads(const Analysis& all, const Session& s,
                                            std::shared_ptr<const Input> input, std::uint64_t inputGen) {
  if (!all.results) throw InvalidArgument("selectHeads: an empty analysis");
  auto state = std::make_shared<Analysis>();
  state->input = input;
  state->inputGeneration = inputGen;
  AnalysisFrame frame = beginAnalysis(s, input);
  std::shared_ptr<Results> res = frame.results;
  std::vector<std::size_t> at;  // positions of the session's heads among all's
  for (int h : res->heads) {
    const auto it = std::find(all.results->heads.begin(), all.results->heads.end(), h);
    if (it == all.results->heads.end())
      throw InvalidArgument("selectHeads: head " + std::to_string(h) + " was not analysed");
    at.push_back(static_cast<std::size_t>(it - all.results->heads.begin()));
  }
  const bool metrics = !all.parts.empty() && !all.parts[0]->result.metrics.empty();
  const std::vector<std::string> keys = partKeys(frame.mechanisms.specs, s, inputGen, res->heads, metrics);
  const std::vector<MechanismEntry>& entries = mechanismRegistry();
  for (std::size_t k = 0; k < all.parts.size() && k < entries.size(); ++k) {
    const MechanismPart& from = *all.parts[k];
    auto part = std::make_shared<MechanismPart>();
    part->key = keys[k];
    MechanismResult& mr = part->result;
    describeMechanism(mr, frame.mechanisms.specs[k], entries[k], res->n, res->dk);
    auto pick = [&at](const auto& v, auto& out) {
      for (std::size_t i : at)
        if (i < v.size()) out.push_back(v[i]);
    };
    pick(from.result.outputs, mr.outputs);
    pick(from.result.metrics, mr.metrics);
    pick(from.result.klToSoftmax, mr.klToSoftmax);
    pick(from.result.outputRelError, mr.outputRelError);
    pick(from.prepared, part->prepared);
    state->parts.push_back(part);
    state->recomputed.push_back(false);
    res->mechanisms.push_back(mr);
  }
  state->results = res;
  state->results = withQuery(*state, res->query);
  return state;
}

std::vector<VectorD> Analysis::rowsFor(int query) const {
  std::vector<VectorD> out;
  for (const auto& part : parts) {
    VectorD row = VectorD::Zero(n());
    for (const auto& p : part->prepared) row += p->row(query);
    if (!part->prepared.empty()) row /= double(part->prepared.size());
    out.push_back(std::move(row));
  }
  return out;
}

std::shared_ptr<const Analysis> computeAnalysis(const Session& s,
                                                std::shared_ptr<const Input> input,
                                                std::uint64_t inputGen,
                                                std::shared_ptr<const Analysis> previous,
                                                const JobControl& job, bool metrics) {
  if (!input) throw InvalidArgument("no input loaded");
  const Qkv& qkv = input->qkv;
  qkv.validate();
  auto state = std::make_shared<Analysis>();
  state->input = input;
  state->inputGeneration = inputGen;

  // The fitted mixing (if chosen) is fitted here: a tenth of the progress.
  AnalysisFrame frame = beginAnalysis(s, input, subJob(job, 0.0, 0.1));
  std::shared_ptr<Results> res = frame.results;
  const ResolvedMechanisms& mech = frame.mechanisms;
  Backend* backend = frame.backend.get();
  MetricsOptions mopts;
  mopts.seed = s.seed;

  const std::vector<MechanismEntry>& entries = mechanismRegistry();
  const int nm = static_cast<int>(entries.size());
  const int nh = static_cast<int>(res->heads.size());
  const std::vector<std::string> keys = partKeys(mech.specs, s, inputGen, res->heads, metrics);
  for (int k = 0; k < nm; ++k) {
    const std::string& key = keys[k];
    state->recomputed.push_back(false);
    if (previous && k < int(previous->parts.size()) && previous->parts[k] &&
        previous->parts[k]->key == key) {
      state->parts.push_back(previous->parts[k]);
      continue;
    }
    auto part = std::make_shared<MechanismPart>();
    part->key = key;
    MechanismResult& mr = part->result;
    describeMechanism(mr, mech.specs[k], entries[k], res->n, res->dk);
    try {
      for (int i = 0; i < nh; ++i) {
        const int h = res->heads[i];
        job.check();
        const MechanismSpec spec = mr.spec.forHead(h);  // a fitted 𝓜 is per head
        mr.outputs.push_back(backend->forward(spec, qkv, HeadSel::one(h))[0]);
        std::shared_ptr<const PreparedAttention> prep = backend->prepare(spec, qkv.head(h));
        part->prepared.push_back(prep);
        if (k == 0) {
          mr.outputRelError.push_back(0.0);
          if (metrics) mr.klToSoftmax.push_back(0.0);
        } else {
          const MechanismPart& ref = *state->parts[0];
          mr.outputRelError.push_back(
              outputRelativeError(mr.outputs.back(), ref.result.outputs[i]));
          if (metrics)
            mr.klToSoftmax.push_back(meanKlFromSoftmax(*ref.prepared[i], *prep, mopts, job));
        }
        if (metrics) mr.metrics.push_back(mapMetrics(*prep, mopts, job));
        job.report(0.1 + 0.9 * (k * nh + i + 1) / double(nm * nh));
      }
    } catch (const InvalidArgument& e) {
      // Numbers that break a mechanism (a normaliser that overflows to inf on Q = 1e38) are named
      // with the input and the mechanism they broke.
      throw InvalidArgument(input->tokens.sourceName + ": " + entries[k].displayName + ": " +
                            e.what());
    }
    state->parts.push_back(part);
    state->recomputed.back() = true;
  }
  for (int k = 0; k < nm; ++k) res->mechanisms.push_back(state->parts[k]->result);
  state->results = res;
  state->results = withQuery(*state, res->query);
  return state;
}

std::shared_ptr<const Results> withQuery(const Analysis& state, int query) {
  auto res = std::make_shared<Results>(*state.results);
  if (query != res->query) {
    // A pinned token: the session now names it (an automatic query stays automatic).
    res->session.query = query;
    res->session.queryRow = res->session.queryCol = -1;
  }
  res->query = query;
  res->queryBlock = res->layout ? res->layout->blockOf(query) : 0;
  for (std::size_t k = 0; k < res->mechanisms.size(); ++k) {
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

SpectraResult computeSpectra(const Analysis& state, const SpectrumOptions& opts,
                             const JobControl& job) {
  SpectraResult out;
  const std::size_t nm = state.parts.size();
  out.spectra.resize(nm);
  out.notes.resize(nm);
  int total = 0, done = 0;
  for (const auto& p : state.parts) total += static_cast<int>(p->prepared.size());
  for (std::size_t k = 0; k < nm; ++k) {
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

TimingComparison computeTiming(const Session& s, const Analysis& state, int repeats,
                               const JobControl& job) {
  const Qkv timed = state.input->qkv.subset(state.results->heads);
  std::vector<MechanismSpec> specs;
  for (const auto& part : state.parts) specs.push_back(part->result.spec);
  return compareTimings(s, specs, timed, repeats, job);
}

std::shared_ptr<Results> withExtras(const Results& base, const SpectraResult* spectra,
                                          const TimingComparison* timing) {
  auto res = std::make_shared<Results>(base);
  if (spectra)
    for (std::size_t k = 0; k < res->mechanisms.size() && k < spectra->spectra.size(); ++k) {
      res->mechanisms[k].spectra = spectra->spectra[k];
      res->mechanisms[k].spectrumNote = spectra->notes[k];
    }
  if (timing) setTimings(*res, *timing);
  return res;
}

SpectrumOptions spectrumOptions(const Session& s) {
  SpectrumOptions o;
  o.relTol = s.spectrumRelTol;
  o.maxDenseN = s.maxDenseN;
  return o;
}

std::shared_ptr<const Results> analyse(const Session& s, std::shared_ptr<const Input> input,
                                       const AnalysisOptions& options, const JobControl& job) {
  // Progress: the forwards and metrics, then the spectra, then the timing.
  const double wForward = 1.0, wSpectra = options.spectra ? 1.0 : 0.0,
               wTiming = options.timing ? 0.5 : 0.0;
  const double total = wForward + wSpectra + wTiming;
  auto stage = [&job, total](double from, double weight) {
    JobControl sub;
    sub.cancel = job.cancel;
    sub.progress = [&job, from, weight, total](double f) {
      job.report(std::min(1.0, (from + weight * f) / total));
    };
    return sub;
  };
  const std::shared_ptr<const Analysis> analysis =
      computeAnalysis(s, input, 0, nullptr, stage(0, wForward), options.metrics);
  std::optional<SpectraResult> spectra;
  std::optional<TimingComparison> timing;
  if (options.spectra) {
    spectra = computeSpectra(*analysis, spectrumOptions(s), stage(wForward, wSpectra));
  }
  if (options.timing)
    timing = computeTiming(s, *analysis, options.timingRepeats,
                           stage(wForward + wSpectra, wTiming));
  std::shared_ptr<const Results> out =
      withExtras(*analysis->results, spectra ? &*spectra : nullptr, timing ? &*timing : nullptr);
  out = withMapMatrices(*analysis, std::move(out), s.view);  // the figures' whole-map modes
  job.report(1.0);
  return out;
}

std::shared_ptr<const std::vector<MatrixF>> computeMapMatrices(const Analysis& analysis,
                                                               const JobControl& job) {
  const int n = analysis.n();
  if (n > kMapMatrixMaxN)
    throw BudgetExceeded("whole maps are shown up to N = " + std::to_string(kMapMatrixMaxN) + " tokens; this input has " +
                         std::to_string(n) + " (the maps show the query's row)");
  auto out = std::make_shared<std::vector<MatrixF>>(analysis.parts.size(), MatrixF(n, n));
  for (int q = 0; q < n; ++q) {
    if (q % 32 == 0) {
      job.check();
      job.report(double(q) / n);
    }
    const std::vector<VectorD> rows = analysis.rowsFor(q);
    for (std::size_t k = 0; k < rows.size(); ++k) (*out)[k].row(q) = rows[k].cast<float>().transpose();
  }
  job.report(1.0);
  return out;
}

std::shared_ptr<const Results> withMapMatrices(const Analysis& analysis,
                                               std::shared_ptr<const Results> results,
                                               const ViewSettings& view, const JobControl& job) {
  if (view.mapMode == "row" || !results || results->mapMatrices || analysis.n() > kMapMatrixMaxN) return results;
  auto out = std::make_shared<Results>(*results);
  out->mapMatrices = computeMapMatrices(analysis, job);
  return out;
}

}  // namespace attnscope
