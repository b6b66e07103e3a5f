// A new kind of attention as a plug-in (issue 22): sliding-window softmax, defined only in
// tests/kinds, runs through the Eigen backend's forward, rows, dense maps, spectra and timing, and
// matches a naive double-precision reference on fresh random inputs, ragged shapes included.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/timing.h"
#include "reference.h"
#include "sliding_window_kind.h"

using namespace attnscope;
using attnscope::testing::slidingWindowKind;
using attnscope::testing::slidingWindowSpec;

namespace {

/// A_ij ∝ exp(q_i·k_j / (τ√d_k)) over |i − j| ≤ w (causal: i − w ≤ j ≤ i), entry by entry.
MatrixD naiveMap(const HeadQKV& x, int w, bool causal, double tau) {
  const int n = static_cast<int>(x.Q.rows());
  const double s = 1.0 / (tau * std::sqrt(double(x.Q.cols())));
  MatrixD A = MatrixD::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    double mx = -1e300;
    for (int j = 0; j < n; ++j)
      if (j >= i - w && j <= i + w && (!causal || j <= i))
        mx = std::max(mx, s * x.Q.row(i).cast<double>().dot(x.K.row(j).cast<double>()));
    double sum = 0;
    for (int j = 0; j < n; ++j)
      if (j >= i - w && j <= i + w && (!causal || j <= i)) {
        A(i, j) = std::exp(s * x.Q.row(i).cast<double>().dot(x.K.row(j).cast<double>()) - mx);
        sum += A(i, j);
      }
    A.row(i) /= sum;
  }
  return A;
}

}  // namespace

TEST(SlidingWindowKind, IsRegisteredAndLabelled) {
  const MechanismKindPtr k = slidingWindowKind();
  EXPECT_EQ(findMechanismKind("sliding-window"), k);
  EXPECT_EQ(slidingWindowSpec(3).label(), "sliding-window softmax (w=3)");
  EXPECT_EQ(slidingWindowSpec(3, true).label(), "sliding-window softmax (w=3), causal");
  // Registering it again is a no-op; another kind with its id is refused.
  EXPECT_NO_THROW(registerMechanismKind(k));
  try {
    findMechanismKind("no-such-kind");
    FAIL() << "an unknown kind was found";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("sliding-window"), std::string::npos) << e.what();
  }
}

TEST(SlidingWindowKind, ForwardRowsAndMapMatchReference) {
  const auto seed = ref::freshSeed();
  EigenBackend be(2);
  int trial = 0;
  for (int n : {1, 2, 7, 33, 130}) {
    for (int w : {0, 1, 5, 200}) {
      for (bool causal : {false, true}) {
        const double tau = 0.5 + 0.25 * (trial % 4);
        const Qkv qkv = ref::randomQkv(n, 5 + trial % 4, 3 + trial % 5, 2, seed + trial, 1.5);
        ++trial;
        std::ostringstream trace;
        trace << "N=" << n << " w=" << w << " causal=" << causal << " seed=" << seed
              << " (rerun with ATTNSCOPE_TEST_SEED=" << seed << ")";
        SCOPED_TRACE(trace.str());
        const MechanismSpec spec = slidingWindowSpec(w, causal, tau);
        const auto outs = be.forward(spec, qkv, HeadSel::all());
        ASSERT_EQ(outs.size(), 2u);
        for (int h = 0; h < 2; ++h) {
          const MatrixD A = naiveMap(qkv.head(h), w, causal, tau);
          EXPECT_LT(ref::relErr(outs[h].cast<double>(), A * qkv.v[h].cast<double>()), 1e-5);
          // The interface's default forward (exact row chunks, for kinds with no faster form).
          const MatrixF viaRows = slidingWindowKind()->MechanismKind::forwardCpu(spec, qkv.head(h), {1, 0});
          EXPECT_LT(ref::relErr(viaRows.cast<double>(), A * qkv.v[h].cast<double>()), 1e-6);
          const auto p = be.prepare(spec, qkv.head(h));
          EXPECT_LT(ref::relErr(p->matrixD(std::size_t(1) << 30), A), 1e-12);
          const VectorD row = p->row(n - 1);
          EXPECT_NEAR(row.sum(), 1.0, 1e-12);
          // Nothing outside the window.
          for (int j = 0; j < n; ++j)
            if (j < n - 1 - w) EXPECT_EQ(row[j], 0.0) << "key " << j;
        }
      }
    }
  }
}

TEST(SlidingWindowKind, SpectrumFlopsKeyAndValidation) {
  const Qkv qkv = ref::randomQkv(40, 6, 6, 1, ref::freshSeed());
  EigenBackend be(1);
  const MechanismSpec spec = slidingWindowSpec(4);
  // The dense spectrum of the kind's own map (no factored form), with the rank bound N.
  const auto spectra = be.spectrum(spec, qkv, HeadSel::all());
  ASSERT_EQ(spectra.size(), 1u);
  const MatrixD A = naiveMap(qkv.head(0), 4, false, 1.0);
  const VectorD sv = singularValues(A, true);
  ASSERT_EQ(spectra[0].sigma.size(), sv.size());
  EXPECT_LT((spectra[0].sigma - sv).norm() / sv.norm(), 1e-10);
  EXPECT_EQ(rankBound(spec, 40, 6), 40);
  // FLOPs count the band's pairs: rows 0..3 and 36..39 see fewer than 2w + 1 keys.
  double pairs = 0;
  for (int i = 0; i < 40; ++i) pairs += std::min(39, i + 4) - std::max(0, i - 4) + 1;
  EXPECT_DOUBLE_EQ(forwardFlops(spec, 40, 6, 6), 4.0 * pairs * 6);
  // The window is part of the spec's key: a cache never mistakes w = 4 for w = 5.
  EXPECT_NE(spec.key(), slidingWindowSpec(5).key());
  EXPECT_EQ(spec.key(), slidingWindowSpec(4).key());
  EXPECT_NE(spec.key(), slidingWindowSpec(4, true).key());
  // Bad windows are refused with a clear message, before anything runs.
  EXPECT_THROW(be.forward(slidingWindowSpec(-1), qkv, HeadSel::all()), InvalidArgument);
  MechanismSpec none;
  none.kind = slidingWindowKind();
  EXPECT_THROW(be.forward(none, qkv, HeadSel::all()), InvalidArgument);
  // Timing names the kind.
  const TimingResult t = timeForward(be, spec, qkv, 1, {});
  EXPECT_EQ(t.mechanism, "sliding-window");
}

TEST(SlidingWindowKind, WideWindowIsSoftmax) {
  // w ≥ N − 1 is plain softmax: the same numbers as the built-in kind.
  const Qkv qkv = ref::randomQkv(50, 8, 4, 1, ref::freshSeed());
  EigenBackend be(1);
  for (bool causal : {false, true}) {
    const auto a = be.forward(slidingWindowSpec(49, causal, 0.7), qkv, HeadSel::all());
    const auto b = be.forward(MechanismSpec::softmax(causal, 0.7), qkv, HeadSel::all());
    EXPECT_LT(ref::relErr(a[0].cast<double>(), b[0].cast<double>()), 1e-5);
  }
}

namespace {
/// A backend that runs only the built-in softmax: every other kind is refused by its name.
class SoftmaxOnlyBackend final : public Backend {
 public:
  std::string name() const override { return "softmax-only"; }
  Availability available() const override { return {true, {}}; }
  bool supports(const MechanismSpec& spec) const override { return spec.is(softmaxKind()); }
  void setThreads(int) override {}
  int threads() const override { return 1; }
  std::unique_ptr<PreparedAttention> prepare(const MechanismSpec& s, const HeadQKV& h) override {
    return cpu_.prepare(s, h);
  }
  MatrixF forwardHead(const MechanismSpec& s, const HeadQKV& h) override { return cpu_.forwardHead(s, h); }

 private:
  EigenBackend cpu_{1};
};
}  // namespace

TEST(SlidingWindowKind, ABackendWithoutItRefusesByName) {
  const Qkv qkv = ref::randomQkv(16, 4, 4, 1, ref::freshSeed());
  SoftmaxOnlyBackend be;
  EXPECT_NO_THROW(be.forward(MechanismSpec::softmax(), qkv, HeadSel::all()));
  for (int call = 0; call < 4; ++call) {
    try {
      const MechanismSpec spec = slidingWindowSpec(2);
      if (call == 0) be.forward(spec, qkv, HeadSel::all());
      if (call == 1) be.attentionRow(spec, qkv, HeadSel::all(), 0);
      if (call == 2) be.spectrum(spec, qkv, HeadSel::all());
      if (call == 3) timeForward(be, spec, qkv, 1, {});
      FAIL() << "call " << call << " ran an unsupported kind";
    } catch (const InvalidArgument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("sliding-window"), std::string::npos) << msg;
      EXPECT_NE(msg.find("softmax-only"), std::string::npos) << msg;
    }
  }
}
