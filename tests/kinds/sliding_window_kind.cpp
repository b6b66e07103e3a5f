#include "sliding_window_kind.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/qkv.h"

namespace attnscope::testing {

namespace {

int windowOf(const MechanismSpec& spec) { return static_cast<int>(spec.param("window", 0)); }

/// Keys [lo, hi] that query i may attend to.
std::pair<int, int> keyRange(int i, int n, int w, bool causal) {
  return {std::max(0, i - w), causal ? i : std::min(n - 1, i + w)};
}

double scaleOf(const MechanismSpec& spec, int dk) { return 1.0 / (spec.temperature * std::sqrt(double(dk))); }

class PreparedSlidingWindow final : public PreparedAttention {
 public:
  PreparedSlidingWindow(const MechanismSpec& spec, const HeadQKV& x)
      : PreparedAttention(spec, static_cast<int>(x.Q.rows())), Q_(x.Q.cast<double>()), K_(x.K.cast<double>()) {
    dk_ = static_cast<int>(x.Q.cols());
    Q_ *= scaleOf(spec, dk_);
  }
  MatrixD rows(const std::vector<int>& idx) const override {
    const int w = windowOf(spec_);
    MatrixD out = MatrixD::Zero(static_cast<Eigen::Index>(idx.size()), n_);
    for (std::size_t r = 0; r < idx.size(); ++r) {
      checkRow(idx[r]);
      const auto [lo, hi] = keyRange(idx[r], n_, w, spec_.causal);
      Eigen::VectorXd s = K_.middleRows(lo, hi - lo + 1) * Q_.row(idx[r]).transpose();
      s = (s.array() - s.maxCoeff()).exp();
      out.row(r).segment(lo, hi - lo + 1) = (s / s.sum()).transpose();
    }
    return out;
  }

 private:
  MatrixD Q_, K_;
};

class SlidingWindowKind final : public MechanismKind {
 public:
  std::string id() const override { return kSlidingWindowId; }
  void validate(const MechanismSpec& spec, int, int) const override {
    const double w = spec.param("window", -1);
    if (!(w >= 0) || w != std::floor(w) || w > 1e9)
      throw InvalidArgument("sliding-window attention needs a whole window w ≥ 0");
    if (!(spec.temperature > 0) || !std::isfinite(spec.temperature))
      throw InvalidArgument("softmax temperature must be a positive number");
  }
  std::string label(const MechanismSpec& spec) const override {
    return "sliding-window softmax (w=" + std::to_string(windowOf(spec)) + ")";
  }
  int rankBound(const MechanismSpec&, int n, int) const override { return n; }
  double flops(const MechanismSpec& spec, int n, int dk, int dv) const override {
    double pairs = 0;
    for (int i = 0; i < n; ++i) {
      const auto [lo, hi] = keyRange(i, n, windowOf(spec), spec.causal);
      pairs += hi - lo + 1;
    }
    return 4.0 * pairs * 0.5 * (dk + dv);
  }
  std::unique_ptr<PreparedAttention> prepareCpu(const MechanismSpec& spec, const HeadQKV& head,
                                                const CpuExec&) const override {
    return std::make_unique<PreparedSlidingWindow>(spec, head);
  }
  /// O(N·w·d): each query's band of keys, in float.
  MatrixF forwardCpu(const MechanismSpec& spec, const HeadQKV& x, const CpuExec&) const override {
    const int n = static_cast<int>(x.Q.rows()), w = windowOf(spec);
    const float s = static_cast<float>(scaleOf(spec, static_cast<int>(x.Q.cols())));
    MatrixF out(n, x.V.cols());
    for (int i = 0; i < n; ++i) {
      const auto [lo, hi] = keyRange(i, n, w, spec.causal);
      Eigen::VectorXf l = (x.K.middleRows(lo, hi - lo + 1) * x.Q.row(i).transpose()) * s;
      l = (l.array() - l.maxCoeff()).exp();
      out.row(i) = (l.transpose() * x.V.middleRows(lo, hi - lo + 1)) / l.sum();
    }
    return out;
  }
};

}  // namespace

MechanismKindPtr slidingWindowKind() {
  static const MechanismKindPtr k = [] {
    auto kind = std::make_shared<SlidingWindowKind>();
    registerMechanismKind(kind);
    return MechanismKindPtr(kind);
  }();
  return k;
}

MechanismSpec slidingWindowSpec(int window, bool causal, double temperature) {
  MechanismSpec s;
  s.kind = slidingWindowKind();
  s.params["window"] = window;
  s.causal = causal;
  s.temperature = temperature;
  return s;
}

}  // namespace attnscope::testing
