// Softmax attention (MATH.md "Softmax attention"): A = softmax(s·QKᵀ), s = 1/(τ·√d_k).
#include <cmath>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/mechanism.h"
#include "kernels.h"

namespace attnscope {

namespace {

class SoftmaxKind final : public MechanismKind {
 public:
  std::string id() const override { return "softmax"; }
  void validate(const MechanismSpec& spec, int, int) const override {
    if (!(spec.temperature > 0) || !std::isfinite(spec.temperature))
      throw InvalidArgument("softmax temperature must be a positive number");
  }
  std::string label(const MechanismSpec& spec) const override {
    std::ostringstream os;
    os << "softmax";
    if (spec.temperature != 1.0) os << " (τ=" << spec.temperature << ")";
    return os.str();
  }
  int rankBound(const MechanismSpec&, int n, int) const override { return n; }
  double flops(const MechanismSpec& spec, int n, int dk, int dv) const override {
    return (spec.causal ? 2.0 : 4.0) * double(n) * n * 0.5 * (dk + dv);
  }
  std::unique_ptr<PreparedAttention> prepareCpu(const MechanismSpec& spec, const HeadQKV& head,
                                                const CpuExec&) const override {
    return detail::prepareSoftmax(head, spec);
  }
  MatrixF forwardCpu(const MechanismSpec& spec, const HeadQKV& head, const CpuExec& exec) const override {
    return detail::softmaxForward(head, spec, exec.threads, exec.matrixBudget);
  }
};

}  // namespace

const MechanismKindPtr& softmaxKind() {
  static const MechanismKindPtr k = std::make_shared<SoftmaxKind>();
  return k;
}

}  // namespace attnscope
