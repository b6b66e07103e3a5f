#include "model/results_json.h"

#include <QJsonArray>
#include <cmath>

#include "attnscope/input/tokens.h"

namespace attnscope {

QJsonValue jsonNumber(double v) {
  if (std::isnan(v)) return QJsonValue(QJsonValue::Null);
  if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
  return v;
}

QJsonObject timingToJson(const TimingResult& t) {
  return QJsonObject{{"mechanism", QString::fromStdString(t.mechanism)},
                     {"backend", QString::fromStdString(t.backend)},
                     {"n", t.n},
                     {"d", t.d},
                     {"heads", t.heads},
                     {"blocks", t.blocks},
                     {"repeats", t.repeats},
                     {"median_ms", jsonNumber(t.medianMs)},
                     {"min_ms", jsonNumber(t.minMs)},
                     {"max_ms", jsonNumber(t.maxMs)},
                     {"gflops", jsonNumber(t.gflops)},
                     {"includes_transfers", t.includesTransfers}};
}

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / double(v.size());
}

QJsonObject mechanismToJson(const Results& res, const MechanismResult& m) {
  QJsonArray perHead;
  std::vector<double> ent, nent, div, nrank, erank, kl, err;
  for (size_t i = 0; i < res.heads.size(); ++i) {
    QJsonObject h{{"head", res.heads[i]}};
    if (i < m.metrics.size()) {
      const MapMetrics& mm = m.metrics[i];
      h["entropy"] = jsonNumber(mm.meanEntropy);
      h["normalised_entropy"] = jsonNumber(mm.meanNormalisedEntropy);
      h["row_diversity"] = jsonNumber(mm.rowDiversity);
      h["rows_used"] = mm.rowsUsed;
      h["sampled"] = mm.sampled;
      h["kl_to_softmax"] = jsonNumber(m.klToSoftmax[i]);
      ent.push_back(mm.meanEntropy);
      nent.push_back(mm.meanNormalisedEntropy);
      div.push_back(mm.rowDiversity);
      kl.push_back(m.klToSoftmax[i]);
    }
    if (i < m.spectra.size()) {
      const Spectrum& sp = m.spectra[i];
      h["numerical_rank"] = sp.numericalRank;
      h["effective_rank"] = jsonNumber(sp.effectiveRank);
      h["sigma_1"] = jsonNumber(sp.sigma.size() ? sp.sigma[0] : 0.0);
      h["spectrum_factored"] = sp.factored;
      nrank.push_back(sp.numericalRank);
      erank.push_back(sp.effectiveRank);
    }
    h["output_relative_error"] = jsonNumber(m.outputRelError[i]);
    err.push_back(m.outputRelError[i]);
    perHead.append(h);
  }
  QJsonObject o{{"label", QString::fromStdString(m.label)},
                {"rank_bound", m.rankBound},
                {"r", m.r},
                {"M", m.m},
                {"heads", perHead}};
  QJsonObject avg;
  if (!ent.empty()) {
    avg["entropy"] = jsonNumber(mean(ent));
    avg["normalised_entropy"] = jsonNumber(mean(nent));
    avg["row_diversity"] = jsonNumber(mean(div));
    avg["kl_to_softmax"] = jsonNumber(mean(kl));
  }
  if (!nrank.empty()) {
    avg["numerical_rank"] = jsonNumber(mean(nrank));
    avg["effective_rank"] = jsonNumber(mean(erank));
  }
  avg["output_relative_error"] = jsonNumber(mean(err));
  o["mean"] = avg;
  o["display_name"] = QString::fromStdString(m.displayName);
  if (!m.spectrumNote.empty()) o["spectrum_note"] = QString::fromStdString(m.spectrumNote);
  // "timing": the session's backend (as before); "timings": every backend timed.
  if (const TimingResult* t = m.timingFor(res.backend)) o["timing"] = timingToJson(*t);
  if (!m.timings.empty()) {
    QJsonArray all;
    for (const TimingResult& t : m.timings) all.append(timingToJson(t));
    o["timings"] = all;
  }
  return o;
}

}  // namespace

QJsonObject resultsToJson(const Results& res) {
  const TokenSet& t = res.input->tokens;
  QJsonObject input{{"kind", inputKindName(t.kind)},
                    {"source", QString::fromStdString(t.sourceName)},
                    {"N", res.n},
                    {"d_k", res.dk},
                    {"d_v", res.dv},
                    {"heads", res.numHeads}};
  if (t.hasGrid()) input["grid"] = QJsonArray{t.gridRows, t.gridCols};
  QJsonArray notices;
  for (const std::string& s : t.notices) notices.append(QString::fromStdString(s));
  input["notices"] = notices;
  QJsonArray heads;
  for (int h : res.heads) heads.append(h);
  QJsonObject mechs, bounds;
  QJsonArray order;
  for (const MechanismResult& m : res.mechanisms) {
    mechs[QString::fromStdString(m.name)] = mechanismToJson(res, m);
    bounds[QString::fromStdString(m.name)] = m.rankBound;
    order.append(QString::fromStdString(m.name));
  }
  QJsonObject out{{"N", res.n},
                  {"M", res.layout->m()},
                  {"r", res.featureDimension()},
                  {"layout", QString::fromStdString(res.layout->describe())},
                  {"mixing", QString::fromStdString(res.mixingName)},
                  {"query", res.query},
                  {"query_block", res.queryBlock},
                  {"heads", heads},
                  {"backend", QString::fromStdString(res.backend)},
                  {"input", input},
                  {"bounds", bounds},
                  {"mechanisms", mechs},
                  {"mechanism_order", order},
                  {"layout_note", QString::fromStdString(res.layoutNote)},
                  {"settings", res.session.toJson()}};
  if (!res.timingNote.empty()) out["timing_note"] = QString::fromStdString(res.timingNote);
  if (res.mixingFit) {
    // MATH.md "Fitted mixing": per head the KL the fitted 𝓜 reaches beside every initialisation's.
    QJsonArray fits;
    for (const HeadMixingFit& f : res.mixingFit->heads) {
      QJsonObject inits;
      for (const auto& [name, kl] : f.klInits) inits[QString::fromStdString(name)] = jsonNumber(kl);
      fits.append(QJsonObject{{"head", f.head},
                              {"kl_fitted", jsonNumber(f.klFitted)},
                              {"kl_init", inits},
                              {"newton_steps", f.iterations},
                              {"gradient", f.gradient},
                              {"converged", f.converged}});
    }
    out["mixing_fit"] = fits;
  }
  if (res.model) {
    // Issue 25 #4: grouped heads and what a KV cache stores per token (MHA, this model, a latent).
    const ModelFacts& f = *res.model;
    const KvCacheSize& c = f.cache;
    QJsonObject numbers{{"mha", c.mha}, {"gqa", c.gqa}};
    QJsonObject bytes{{"mha", double(KvCacheSize::bytes(c.mha, c.layers))},
                      {"gqa", double(KvCacheSize::bytes(c.gqa, c.layers))}};
    if (c.latent > 0) {
      numbers["latent"] = c.latent;
      bytes["latent"] = double(KvCacheSize::bytes(c.latent, c.layers));
    }
    QJsonObject model{{"family", QString::fromStdString(f.family)},
                      {"architecture", QString::fromStdString(f.architecture)},
                      {"layers", f.layers},
                      {"heads", f.heads},
                      {"kv_heads", f.kvHeads},
                      {"group_size", f.kvHeads > 0 ? f.heads / f.kvHeads : 1},
                      {"d_head", f.dHead},
                      {"rope", QString::fromStdString(f.rope)},
                      {"kv_cache_numbers_per_token_layer", numbers},
                      {"kv_cache_bytes_per_token_bf16", bytes}};
    if (f.kvRank) {
      const KvRankReport& r = *f.kvRank;
      QJsonObject kv{{"rank", r.rank}, {"rank_layer", r.rankLayer}, {"full_rank", r.fullRank}};
      if (r.text) kv["delta_nll"] = r.lowRankNll - r.nll;
      model["kv_rank"] = kv;
    }
    out["model"] = model;
  }
  return out;
}

}  // namespace attnscope
