// MHLA (MATH.md "MHLA"): M block summaries, mixed per query block by the M×M matrix 𝓜.
#include <algorithm>
#include <sstream>

#include "attnscope/error.h"
#include "kinds/linear_family_kind.h"

namespace attnscope {

namespace {

void listInts(std::ostream& os, const std::vector<int>& ms) {
  for (std::size_t i = 0; i < ms.size(); ++i) os << (i ? ", " : "") << ms[i];
}

/// The official normaliser needs equal blocks: says which M give them.
[[noreturn]] void refuseUnequalBlocks(const BlockLayout& layout, int n) {
  std::ostringstream os;
  os << "the official code normaliser needs blocks of equal size (" << layout.describe() << "); ";
  if (layout.kind() == BlockLayout::Kind::OneD) {
    std::vector<int> ms;
    for (int m = 1; m <= n && ms.size() < 12; ++m)
      if (n % m == 0) ms.push_back(m);
    os << "M must divide N = " << n << " (M = ";
    listInts(os, ms);
    os << (ms.size() == 12 ? ", …" : "") << ")";
  } else if (layout.offGridTokens() > 0) {
    os << "the off-grid token" << (layout.offGridTokens() > 1 ? "s join" : " joins")
       << " the centre window, so no M gives equal blocks";
  } else {
    const std::vector<int> ms = BlockLayout::equalTilings(layout.gridRows(), layout.gridCols());
    os << "equal windows on the " << layout.gridRows() << "×" << layout.gridCols() << " grid come with M = ";
    listInts(os, ms);
    os << (ms.size() == 12 ? ", …" : "");
  }
  os << "; or use the paper normaliser";
  throw InvalidArgument(os.str());
}

class MhlaKind final : public detail::LinearFamilyKind {
 public:
  std::string id() const override { return "mhla"; }
  void validate(const MechanismSpec& spec, int n, int dk) const override {
    LinearFamilyKind::validate(spec, n, dk);
    if (!spec.layout) throw InvalidArgument("MHLA needs a block layout");
    if (spec.layout->n() != n) {
      std::ostringstream os;
      os << "MHLA block layout covers " << spec.layout->n() << " tokens but the input has " << n;
      throw InvalidArgument(os.str());
    }
    validateMixing(spec.mixing, spec.layout->m());
    if (spec.causal && spec.layout->kind() != BlockLayout::Kind::OneD)
      throw InvalidArgument("causal MHLA needs a 1D (sequence) layout, not 2D windows");
    if (spec.normaliser == Normaliser::Official) {
      if (spec.causal) throw InvalidArgument("the official code normaliser is bidirectional only");
      if (!spec.layout->equalSizes()) refuseUnequalBlocks(*spec.layout, n);
    }
  }
  std::string label(const MechanismSpec& spec) const override {
    std::ostringstream os;
    os << "MHLA (M=" << spec.blocks() << ", " << toString(spec.featureMap.kind);
    if (spec.normaliser == Normaliser::Official) os << ", official normaliser";
    os << ")";
    return os.str();
  }
  int rankBound(const MechanismSpec& spec, int n, int dk) const override {
    const int r = featureDim(spec, dk);
    long long sum = 0;
    for (int b = 0; b < spec.layout->m(); ++b) sum += std::min(spec.layout->blockSize(b), r);
    return static_cast<int>(std::min<long long>(sum, n));
  }
  double flops(const MechanismSpec& spec, int n, int dk, int dv) const override {
    const double r = featureDim(spec, dk), M = spec.blocks(), d = 0.5 * (dk + dv);
    return 4.0 * n * r * d + 2.0 * M * M * r * d;
  }
};

}  // namespace

const MechanismKindPtr& mhlaKind() {
  static const MechanismKindPtr k = std::make_shared<MhlaKind>();
  return k;
}

}  // namespace attnscope
