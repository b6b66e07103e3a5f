#include "attnscope/mechanism.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope {

std::string toString(Normaliser k) { return k == Normaliser::Paper ? "paper" : "official"; }

Normaliser parseNormaliser(const std::string& name) {
  if (name == "paper") return Normaliser::Paper;
  if (name == "official") return Normaliser::Official;
  throw InvalidArgument("unknown normaliser '" + name + "' (choose paper or official)");
}

MechanismSpec MechanismSpec::softmax(bool causal, double temperature) {
  MechanismSpec s;
  s.kind = softmaxKind();
  s.causal = causal;
  s.temperature = temperature;
  return s;
}

MechanismSpec MechanismSpec::linear(FeatureMapSpec phi, bool causal) {
  MechanismSpec s;
  s.kind = linearKind();
  s.featureMap = phi;
  s.causal = causal;
  return s;
}

MechanismSpec MechanismSpec::mhla(BlockLayout layout, MatrixD mixing, FeatureMapSpec phi,
                                  bool causal, Normaliser norm) {
  MechanismSpec s;
  s.kind = mhlaKind();
  s.layout = std::make_shared<const BlockLayout>(std::move(layout));
  s.mixing = std::move(mixing);
  s.featureMap = phi;
  s.causal = causal;
  s.normaliser = norm;
  return s;
}

MechanismSpec MechanismSpec::mhla(BlockLayout layout, MixingInit init, FeatureMapSpec phi,
                                  bool causal, Normaliser norm) {
  MatrixD mix = makeMixing(layout, init);
  return mhla(std::move(layout), std::move(mix), phi, causal, norm);
}

double MechanismSpec::param(const std::string& name, double fallback) const {
  const auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

std::string MechanismSpec::key() const {
  std::ostringstream os;
  os.precision(17);
  os << "k" << kind->id() << "|c" << causal << "|t" << temperature << "|sp" << int(softmaxPath)
     << "|phi" << int(featureMap.kind) << ',' << featureMap.favorFeatures << ',' << featureMap.seed;
  if (layout) {
    os << "|L" << layout->describe() << "|B";
    for (int o : layout->offsets()) os << o << ',';
    os << "|O";
    if (!layout->contiguous())
      for (int t : layout->order()) os << t << ',';
  }
  os << "|N" << int(normaliser) << "|M" << mixing.rows() << 'x' << mixing.cols() << ':';
  for (Eigen::Index i = 0; i < mixing.size(); ++i) os << mixing.data()[i] << ',';
  if (headMixing) {
    os << "|HM";
    for (const MatrixD& m : *headMixing) {
      os << m.rows() << 'x' << m.cols() << ':';
      for (Eigen::Index i = 0; i < m.size(); ++i) os << m.data()[i] << ',';
      os << ';';
    }
  }
  os << "|P";
  for (const auto& [name, value] : params) os << name << '=' << value << ',';
  return os.str();
}

MechanismSpec MechanismSpec::forHead(int h) const {
  MechanismSpec out = *this;
  out.headMixing.reset();
  if (headMixing && h >= 0 && h < static_cast<int>(headMixing->size()) && (*headMixing)[h].size() > 0)
    out.mixing = (*headMixing)[h];
  return out;
}

void MechanismSpec::validate(int n, int dk) const {
  if (n < 1) throw InvalidArgument("there are no tokens (N = 0)");
  if (dk < 1) throw InvalidArgument("d_k must be at least 1");
  if (!kind) throw InvalidArgument("the mechanism has no kind");
  kind->validate(*this, n, dk);
}

std::string MechanismSpec::label() const {
  std::string s = kind->label(*this);
  if (causal) s += ", causal";
  return s;
}

int featureDim(const MechanismSpec& spec, int dk) {
  if (!spec.kind->usesFeatureMap()) return dk;
  return spec.featureMap.kind == FeatureMapKind::Favor ? spec.featureMap.favorFeatures : dk;
}

std::vector<int> tokenBlocks(const MechanismSpec& spec, int n) {
  if (spec.layout) return spec.layout->blockOfAll();
  return std::vector<int>(n, 0);
}

MatrixD blockMixing(const MechanismSpec& spec) {
  return spec.layout ? spec.mixing : MatrixD::Ones(1, 1);
}

int rankBound(const MechanismSpec& spec, int n, int dk) {
  if (spec.causal) return n;
  return spec.kind->rankBound(spec, n, dk);
}

double forwardFlops(const MechanismSpec& spec, int n, int dk, int dv) {
  return spec.kind->flops(spec, n, dk, dv);
}

}  // namespace attnscope
