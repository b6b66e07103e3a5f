#include "model/hybrid.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/backend.h"
#include "attnscope/error.h"
#include "attnscope/fitted_mixing.h"
#include "model/backend_registry.h"
#include "model/mechanism_registry.h"
#include "model/model_source.h"
#include "model/pipeline.h"

namespace attnscope {

namespace {

/// MHLA with each head's fitted 𝓜 (MATH.md "Fitted mixing") as a replacement.
constexpr const char* kMhlaFitted = "mhla-fitted";

std::string knownIds() {
  std::string out;
  for (const MechanismEntry& e : mechanismRegistry()) out += (out.empty() ? "" : ", ") + e.id;
  return out + ", " + kMhlaFitted;
}

bool knownId(const std::string& id) {
  if (id == kMhlaFitted) return true;
  for (const MechanismEntry& e : mechanismRegistry())
    if (e.id == id) return true;
  return false;
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
    if (!knownId(id)) throw InvalidArgument("'" + part + "': no mechanism '" + id + "' (" + knownIds() + ")");
    if (!out.emplace(std::stoi(layerText), id).second)
      throw InvalidArgument("layer " + layerText + " is named twice");
  }
  if (out.empty()) throw InvalidArgument("no layer to replace (write LAYER=MECHANISM, e.g. 1=linear)");
  return out;
}

namespace {

/// One model and input, its plain forward kept: each measure() is one more forward.
class HybridRunner {
 public:
  explicit HybridRunner(const Session& s)
      : s_(s), checkpoint_(openSessionModel(s)), runner_(checkpoint_), tokens_(modelTokens(s, checkpoint_)),
        backend_(makeBackend(s.backend, s.threads)) {
    plainOptions_.threads = s.threads;
    plainOptions_.keepLayers = {0};  // nothing else needs keeping
    plainOptions_.keepResidual = true;  // each hybrid resumes at its first replaced layer
  }
  const models::ModelInfo& info() const { return runner_.info(); }

  void runPlain(const JobControl& job) { plain_ = runner_.run(tokens_.input, plainOptions_, job); }

  HybridReport measure(const std::map<int, std::string>& replaced, const JobControl& job) {
    const models::ModelInfo& m = runner_.info();
    for (const auto& [layer, id] : replaced)
      if (layer < 0 || layer >= m.layers)
        throw InvalidArgument("--replace: layer " + std::to_string(layer) + " does not exist (the model has " +
                              std::to_string(m.layers) + " layers: 0 … " + std::to_string(m.layers - 1) + ")");
    const std::vector<MechanismEntry>& entries = mechanismRegistry();
    models::ForwardOptions o = plainOptions_;
    o.keepResidual = false;
    o.resumeFrom = &plain_;
    for (const auto& r : replaced) o.replaceLayers.push_back(r.first);
    // The session's mechanism (φ, blocks, 𝓜, normaliser, causality) resolved for the layer's Q/K/V,
    // every head (a fitted 𝓜 is fitted per head on this layer).
    o.replacement = [&](int layer, const Qkv& qkv) {
      Input in;
      in.tokens = tokens_.tokens;
      in.qkv = qkv;
      Session s = s_;
      s.head = Session::kHeadAll;
      std::string id = replaced.at(layer);
      if (id == kMhlaFitted) {
        s.setMixingInit(kFittedMixingName);
        id = "mhla";
      }
      JobControl fitJob;  // the fit's progress stays inside this layer's step
      fitJob.cancel = job.cancel;
      const ResolvedMechanisms mech = resolveMechanisms(s, in, fitJob);
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (entries[k].id != id) continue;
        const MechanismSpec& spec = mech.specs[k];
        if (!spec.headMixing) return backend_->forward(spec, qkv, HeadSel::all());
        std::vector<MatrixF> out;
        for (int h = 0; h < qkv.numHeads(); ++h) out.push_back(backend_->forward(spec.forHead(h), qkv, HeadSel::one(h))[0]);
        return out;
      }
      throw InvalidArgument("no mechanism '" + id + "'");
    };
    const models::ForwardResult other = runner_.run(tokens_.input, o, job);
    HybridReport r;
    r.replaced = replaced;
    r.text = models::familyEntry(m.family).text;
    if (r.text) {
      const models::NextTokenComparison c = runner_.compareNextTokens(plain_, other, tokens_.input.ids, job);
      r.ids = tokens_.input.ids;
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
      const Eigen::RowVectorXd a = plain_.finalHidden.row(0).cast<double>(), b = other.finalHidden.row(0).cast<double>();
      const double na = a.norm(), nb = b.norm();
      r.clsCosine = na > 0 && nb > 0 ? a.dot(b) / (na * nb) : 0.0;
    }
    return r;
  }

 private:
  Session s_;
  models::Checkpoint checkpoint_;
  models::ModelRunner runner_;
  ModelTokens tokens_;
  std::unique_ptr<Backend> backend_;
  models::ForwardOptions plainOptions_;
  models::ForwardResult plain_;
};

/// How much a hybrid costs: ΔNLL (text) or 1 − CLS cosine (images).
double harm(const HybridReport& r) { return r.text ? r.nll - r.nllOriginal : 1.0 - r.clsCosine; }

}  // namespace

HybridReport runHybrid(const Session& s, const std::map<int, std::string>& replaced, const JobControl& job) {
  HybridRunner h(s);
  h.runPlain(subJob(job, 0, 0.45));
  HybridReport r = h.measure(replaced, subJob(job, 0.45, 0.55));
  job.report(1.0);
  return r;
}

LayerSensitivity layerSensitivity(const Session& s, const std::string& mechanism, const JobControl& job) {
  if (!knownId(mechanism)) throw InvalidArgument("--layer-sensitivity: no mechanism '" + mechanism + "' (" + knownIds() + ")");
  HybridRunner h(s);
  const int L = h.info().layers;
  const double step = 1.0 / (2 * L + 1);
  h.runPlain(subJob(job, 0, step));
  LayerSensitivity out;
  out.mechanism = mechanism;
  out.text = models::familyEntry(h.info().family).text;
  for (int l = 0; l < L; ++l) out.alone.push_back(h.measure({{l, mechanism}}, subJob(job, step * (1 + l), step)));
  for (int l = 0; l < L; ++l) out.order.push_back(l);
  std::stable_sort(out.order.begin(), out.order.end(), [&](int a, int b) {
    return harm(out.alone[static_cast<std::size_t>(a)]) < harm(out.alone[static_cast<std::size_t>(b)]);
  });
  std::map<int, std::string> set;
  for (int k = 0; k < L; ++k) {
    set[out.order[static_cast<std::size_t>(k)]] = mechanism;
    out.schedule.push_back(k == 0 ? out.alone[static_cast<std::size_t>(out.order[0])]
                                  : h.measure(set, subJob(job, step * (1 + L + k), step)));
  }
  job.report(1.0);
  return out;
}

namespace {

std::string scores(const HybridReport& r) {
  std::ostringstream o;
  o.precision(10);
  if (r.text)
    o << r.nll - r.nllOriginal << ',' << r.top1Agreement << ',' << r.klNextToken;
  else
    o << r.clsCosine;
  return o.str();
}

}  // namespace

std::string LayerSensitivity::sensitivityCsv() const {
  std::string out = text ? "layer,mechanism,delta_nll,top1_agreement,kl_next_token\n" : "layer,mechanism,cls_cosine\n";
  for (std::size_t l = 0; l < alone.size(); ++l) out += std::to_string(l) + "," + mechanism + "," + scores(alone[l]) + "\n";
  return out;
}

std::string LayerSensitivity::scheduleCsv() const {
  std::string out =
      text ? "replaced,layers,delta_nll,top1_agreement,kl_next_token\n" : "replaced,layers,cls_cosine\n";
  for (std::size_t k = 0; k < schedule.size(); ++k) {
    std::string layers;
    for (std::size_t i = 0; i <= k; ++i) layers += (i ? " " : "") + std::to_string(order[i]);
    out += std::to_string(k + 1) + "," + layers + "," + scores(schedule[k]) + "\n";
  }
  return out;
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
