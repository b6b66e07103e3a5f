#include "model/hybrid.h"

#include <cmath>
#include <sstream>

#include "attnscope/backend.h"
#include "attnscope/error.h"
#include "model/backend_registry.h"
#include "model/mechanism_registry.h"
#include "model/model_source.h"
#include "model/pipeline.h"

namespace attnscope {

namespace {

std::string knownIds() {
  std::string out;
  for (const MechanismEntry& e : mechanismRegistry()) out += (out.empty() ? "" : ", ") + e.id;
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

std::map<int, std::string> parseReplace(const std::string& text) {
  std::map<int, std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size())
      throw InvalidArgument("'" + part + "': write LAYER=MECHANISM, e.g. 1=linear,3=mhla");
    const std::string layerText = part.substr(0, eq), id = part.substr(eq + 1);
    if (layerText.find_first_not_of("0123456789") != std::string::npos || layerText.size() > 6)
      throw InvalidArgument("'" + part + "': the layer must be a non-negative integer");
    bool known = false;
    for (const MechanismEntry& e : mechanismRegistry()) known = known || e.id == id;
    if (!known) throw InvalidArgument("'" + part + "': no mechanism '" + id + "' (" + knownIds() + ")");
    if (!out.emplace(std::stoi(layerText), id).second)
      throw InvalidArgument("layer " + layerText + " is named twice");
  }
  if (out.empty()) throw InvalidArgument("no layer to replace (write LAYER=MECHANISM, e.g. 1=linear)");
  return out;
}

HybridReport runHybrid(const Session& s, const std::map<int, std::string>& replaced, const JobControl& job) {
  const models::Checkpoint checkpoint = openSessionModel(s);
  const models::ModelRunner runner(checkpoint);
  const models::ModelInfo& info = runner.info();
  for (const auto& [layer, id] : replaced)
    if (layer < 0 || layer >= info.layers)
      throw InvalidArgument("--replace: layer " + std::to_string(layer) + " does not exist (the model has " +
                            std::to_string(info.layers) + " layers: 0 … " + std::to_string(info.layers - 1) + ")");
  const ModelTokens t = modelTokens(s, checkpoint);
  const std::unique_ptr<Backend> backend = makeBackend(s.backend, s.threads);
  const std::vector<MechanismEntry>& entries = mechanismRegistry();

  models::ForwardOptions plain;
  plain.threads = s.threads;
  plain.keepLayers = {replaced.begin()->first};  // nothing else needs keeping
  models::ForwardOptions hybrid = plain;
  for (const auto& r : replaced) hybrid.replaceLayers.push_back(r.first);
  // The session's mechanism (φ, blocks, 𝓜, normaliser, causality) resolved for this layer's Q/K/V.
  hybrid.replacement = [&](int layer, const Qkv& qkv) {
    Input in;
    in.tokens = t.tokens;
    in.qkv = qkv;
    const ResolvedMechanisms mech = resolveMechanisms(s, in);
    const std::string& id = replaced.at(layer);
    for (std::size_t k = 0; k < entries.size(); ++k)
      if (entries[k].id == id) return backend->forward(mech.specs[k], qkv, HeadSel::all());
    throw InvalidArgument("no mechanism '" + id + "'");
  };
  JobControl half;
  half.cancel = job.cancel;
  half.progress = [&job](double f) { job.report(0.45 * f); };
  const models::ForwardResult base = runner.run(t.input, plain, half);
  half.progress = [&job](double f) { job.report(0.45 + 0.45 * f); };
  const models::ForwardResult other = runner.run(t.input, hybrid, half);

  HybridReport r;
  r.replaced = replaced;
  r.text = models::familyEntry(info.family).text;
  if (r.text) {
    const models::NextTokenComparison c = runner.compareNextTokens(base, other, t.input.ids, job);
    r.ids = t.input.ids;
    r.tokensScored = static_cast<int>(c.nll.size());
    r.nllOriginal = mean(c.nllReference);
    r.nll = mean(c.nll);
    r.klNextToken = mean(c.kl);
    int agree = 0;
    for (std::size_t i = 0; i < c.argmax.size(); ++i) agree += c.argmax[i] == c.argmaxReference[i] ? 1 : 0;
    r.top1Agreement = c.argmax.empty() ? 1.0 : double(agree) / double(c.argmax.size());
    r.positionNllOriginal = c.nllReference;
    r.positionNll = c.nll;
  } else {
    const auto a = base.finalHidden.row(0).cast<double>(), b = other.finalHidden.row(0).cast<double>();
    const double na = a.norm(), nb = b.norm();
    r.clsCosine = na > 0 && nb > 0 ? a.dot(b) / (na * nb) : 0.0;
  }
  job.report(1.0);
  return r;
}

std::string HybridReport::json() const {
  std::ostringstream o;
  o.precision(17);
  o << "{\n  \"replaced\": {";
  bool first = true;
  for (const auto& [layer, id] : replaced) {
    o << (first ? "" : ", ") << "\"" << layer << "\": \"" << id << "\"";
    first = false;
  }
  o << "}";
  if (text)
    o << ",\n  \"nll_original\": " << nllOriginal << ",\n  \"nll\": " << nll << ",\n  \"delta_nll\": " << nll - nllOriginal
      << ",\n  \"top1_agreement\": " << top1Agreement << ",\n  \"kl_next_token\": " << klNextToken
      << ",\n  \"tokens_scored\": " << tokensScored;
  else
    o << ",\n  \"cls_cosine\": " << clsCosine;
  o << "\n}\n";
  return o.str();
}

std::string HybridReport::nllCsv() const {
  std::ostringstream o;
  o.precision(10);
  o << "position,id,nll_original,nll\n";
  for (std::size_t i = 0; i < positionNll.size(); ++i)
    o << i << ',' << ids[i + 1] << ',' << positionNllOriginal[i] << ',' << positionNll[i] << '\n';
  return o.str();
}

}  // namespace attnscope
