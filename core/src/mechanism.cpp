#include "attnscope/mechanism.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope {

std::string toString(MechanismKind k) {
  switch (k) {
    case MechanismKind::Softmax: return "softmax";
    case MechanismKind::Linear: return "linear";
    case MechanismKind::Mhla: return "mhla";
  }
  return "?";
}

std::string toString(Normaliser k) { return k == Normaliser::Paper ? "paper" : "official"; }

MechanismKind parseMechanism(const std::string& name) {
  for (auto k : {MechanismKind::Softmax, MechanismKind::Linear, MechanismKind::Mhla})
    if (toString(k) == name) return k;
  throw InvalidArgument("unknown mechanism '" + name + "' (choose softmax, linear or mhla)");
}

Normaliser parseNormaliser(const std::string& name) {
  if (name == "paper") return Normaliser::Paper;
  if (name == "official") return Normaliser::Official;
  throw InvalidArgument("unknown normaliser '" + name + "' (choose paper or official)");
}

MechanismSpec MechanismSpec::softmax(bool causal, double temperature) {
  MechanismSpec s;
  s.kind = MechanismKind::Softmax;
  s.causal = causal;
  s.temperature = temperature;
  return s;
}

MechanismSpec MechanismSpec::linear(FeatureMapSpec phi, bool causal) {
  MechanismSpec s;
  s.kind = MechanismKind::Linear;
  s.featureMap = phi;
  s.causal = causal;
  return s;
}

MechanismSpec MechanismSpec::mhla(BlockLayout layout, MatrixD mixing, FeatureMapSpec phi,
                                  bool causal, Normaliser norm) {
  MechanismSpec s;
  s.kind = MechanismKind::Mhla;
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

void MechanismSpec::validate(int n, int dk) const {
  if (n < 1) throw InvalidArgument("there are no tokens (N = 0)");
  if (dk < 1) throw InvalidArgument("d_k must be at least 1");
  if (kind == MechanismKind::Softmax) {
    if (!(temperature > 0) || !std::isfinite(temperature))
      throw InvalidArgument("softmax temperature must be a positive number");
    return;
  }
  if (featureMap.kind == FeatureMapKind::Favor &&
      (featureMap.favorFeatures < 1 || featureMap.favorFeatures > 65536))
    throw InvalidArgument("favor: the feature count r must be between 1 and 65536");
  if (kind == MechanismKind::Linear) return;
  if (!layout) throw InvalidArgument("MHLA needs a block layout");
  if (layout->n() != n) {
    std::ostringstream os;
    os << "MHLA block layout covers " << layout->n() << " tokens but the input has " << n;
    throw InvalidArgument(os.str());
  }
  validateMixing(mixing, layout->m());
  if (causal && layout->kind() != BlockLayout::Kind::OneD)
    throw InvalidArgument("causal MHLA needs a 1D (sequence) layout, not 2D windows");
  if (normaliser == Normaliser::Official) {
    if (causal) throw InvalidArgument("the official code normaliser is bidirectional only");
    if (!layout->equalSizes()) {
      std::ostringstream os;
      os << "the official code normaliser needs blocks of equal size (" << layout->describe() << "); ";
      auto list = [&os](const std::vector<int>& ms) {
        for (std::size_t i = 0; i < ms.size(); ++i) os << (i ? ", " : "") << ms[i];
      };
      if (layout->kind() == BlockLayout::Kind::OneD) {
        std::vector<int> ms;
        for (int m = 1; m <= n && ms.size() < 12; ++m)
          if (n % m == 0) ms.push_back(m);
        os << "M must divide N = " << n << " (M = ";
        list(ms);
        os << (ms.size() == 12 ? ", …" : "") << ")";
      } else if (layout->offGridTokens() > 0) {
        os << "the off-grid token" << (layout->offGridTokens() > 1 ? "s join" : " joins")
           << " the centre window, so no M gives equal blocks";
      } else {
        const std::vector<int> ms = BlockLayout::equalTilings(layout->gridRows(), layout->gridCols());
        os << "equal windows on the " << layout->gridRows() << "×" << layout->gridCols()
           << " grid come with M = ";
        list(ms);
        os << (ms.size() == 12 ? ", …" : "");
      }
      os << "; or use the paper normaliser";
      throw InvalidArgument(os.str());
    }
  }
}

std::string MechanismSpec::label() const {
  std::ostringstream os;
  switch (kind) {
    case MechanismKind::Softmax:
      os << "softmax";
      if (temperature != 1.0) os << " (τ=" << temperature << ")";
      break;
    case MechanismKind::Linear: os << "linear (" << toString(featureMap.kind) << ")"; break;
    case MechanismKind::Mhla:
      os << "MHLA (M=" << blocks() << ", " << toString(featureMap.kind);
      if (normaliser == Normaliser::Official) os << ", official normaliser";
      os << ")";
      break;
  }
  if (causal) os << ", causal";
  return os.str();
}

int featureDim(const MechanismSpec& spec, int dk) {
  return spec.featureMap.kind == FeatureMapKind::Favor ? spec.featureMap.favorFeatures : dk;
}

std::vector<int> tokenBlocks(const MechanismSpec& spec, int n) {
  if (spec.kind == MechanismKind::Mhla) return spec.layout->blockOfAll();
  return std::vector<int>(n, 0);
}

MatrixD blockMixing(const MechanismSpec& spec) {
  return spec.kind == MechanismKind::Mhla ? spec.mixing : MatrixD::Ones(1, 1);
}

int rankBound(const MechanismSpec& spec, int n, int dk) {
  if (spec.kind == MechanismKind::Softmax || spec.causal) return n;
  const int r = featureDim(spec, dk);
  if (spec.kind == MechanismKind::Linear) return std::min(n, r);
  long long sum = 0;
  for (int b = 0; b < spec.layout->m(); ++b) sum += std::min(spec.layout->blockSize(b), r);
  return static_cast<int>(std::min<long long>(sum, n));
}

double forwardFlops(const MechanismSpec& spec, int n, int dk, int dv) {
  const double N = n, d = 0.5 * (dk + dv);
  switch (spec.kind) {
    case MechanismKind::Softmax: return (spec.causal ? 2.0 : 4.0) * N * N * d;
    case MechanismKind::Linear: return 4.0 * N * featureDim(spec, dk) * d;
    case MechanismKind::Mhla: {
      const double r = featureDim(spec, dk), M = spec.blocks();
      return 4.0 * N * r * d + 2.0 * M * M * r * d;
    }
  }
  return 0;
}

}  // namespace attnscope
