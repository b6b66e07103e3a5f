// The Backend seam: validation, head selection, budgets, threads, timing harness.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/timing.h"
#include "reference.h"

using namespace attnscope;

namespace {
template <typename Fn>
std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Backend, NanAndInfInInputsAreReportedNotPropagated) {
  EigenBackend be(1);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()})
    for (int which = 0; which < 3; ++which) {
      Qkv q = ref::randomQkv(20, 4, 4, 2, 1);
      MatrixF& m = which == 0 ? q.q[1] : which == 1 ? q.k[1] : q.v[1];
      m(7, 2) = bad;
      for (auto spec : {MechanismSpec::softmax(), MechanismSpec::linear({})}) {
        const std::string msg = errorOf([&] { be.forward(spec, q, HeadSel::all()); });
        EXPECT_NE(msg.find("row 7, column 2"), std::string::npos) << msg;
        EXPECT_NE(msg.find("head 1"), std::string::npos) << msg;
        EXPECT_NE(errorOf([&] { be.attentionRow(spec, q, HeadSel::all(), 0); }), "");
      }
    }
}

TEST(Backend, ImpossibleSettingsGetClearMessages) {
  EigenBackend be(1);
  const Qkv q = ref::randomQkv(10, 4, 4, 1, 1);
  EXPECT_NE(errorOf([] { BlockLayout::oneD(10, 11); }).find("larger than the number of tokens"),
            std::string::npos);
  EXPECT_NE(errorOf([] { BlockLayout::oneD(10, 0); }), "");
  EXPECT_NE(errorOf([] { BlockLayout::twoD(3, 3, 4, 1); }).find("does not fit"),
            std::string::npos);
  // A layout built for another N.
  const auto other = MechanismSpec::mhla(BlockLayout::oneD(12, 3), MixingInit::Cos, {});
  EXPECT_NE(errorOf([&] { be.forward(other, q, HeadSel::one(0)); }).find("12 tokens"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { be.forward(MechanismSpec::softmax(false, 0.0), q, HeadSel::one(0)); }),
            "");
  EXPECT_NE(errorOf([&] { be.forward(MechanismSpec::softmax(), q, HeadSel::one(3)); })
                .find("head 3 does not exist"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { be.attentionRow(MechanismSpec::softmax(), q, HeadSel::one(0), 10); })
                .find("out of range"),
            std::string::npos);
  FeatureMapSpec tooMany{FeatureMapKind::Favor, 0, 0};
  EXPECT_NE(errorOf([&] { be.forward(MechanismSpec::linear(tooMany), q, HeadSel::one(0)); }), "");
}

TEST(Backend, MismatchedShapesAreRefused) {
  EigenBackend be(1);
  Qkv q = ref::randomQkv(10, 4, 4, 2, 1);
  q.k[1] = MatrixF::Zero(9, 4);
  EXPECT_NE(errorOf([&] { be.forward(MechanismSpec::softmax(), q, HeadSel::all()); })
                .find("same number of tokens"),
            std::string::npos);
  Qkv empty;
  EXPECT_NE(errorOf([&] { be.forward(MechanismSpec::softmax(), empty, HeadSel::all()); }), "");
}

TEST(Backend, DenseMapIsRefusedAboveBudgetRowsStillWork) {
  EigenBackend be(1);
  const Qkv q = ref::randomQkv(300, 4, 4, 2, 2);
  be.setMatrixBudget(300 * 300 * 4 - 1);
  const std::string msg =
      errorOf([&] { be.attentionMatrix(MechanismSpec::softmax(), q, HeadSel::one(0)); });
  EXPECT_NE(msg.find("memory budget"), std::string::npos) << msg;
  EXPECT_THROW(be.attentionMatrix(MechanismSpec::softmax(), q, HeadSel::one(0)), BudgetExceeded);
  EXPECT_EQ(be.attentionRow(MechanismSpec::softmax(), q, HeadSel::one(0), 5)[0].size(), 300);
  // Materialised softmax respects the budget too; streaming does not need it.
  auto mat = MechanismSpec::softmax();
  mat.softmaxPath = SoftmaxPath::Materialised;
  EXPECT_THROW(be.forward(mat, q, HeadSel::one(0)), BudgetExceeded);
  EXPECT_NO_THROW(be.forward(MechanismSpec::softmax(), q, HeadSel::one(0)));
  be.setMatrixBudget(300 * 300 * 4 * 2);
  EXPECT_EQ(be.attentionMatrix(MechanismSpec::softmax(), q, HeadSel::all()).size(), 2u);
}

TEST(Backend, MhlaBlockStatesAreBudgetedBeforeTheyAreAllocated) {
  // M·r·d_v floats of state: 64 blocks of 64 × 64 at N = 256 take about 3.2 MB.
  EigenBackend be(1);
  const Qkv q = ref::randomQkv(256, 64, 64, 1, 3);
  const auto spec = MechanismSpec::mhla(BlockLayout::oneD(256, 64), MixingInit::Cos);
  EXPECT_GT(linearStateBytes(spec, 256, 64, 64), 3e6);
  EXPECT_LT(linearStateBytes(spec, 256, 64, 64), 4e6);
  EXPECT_EQ(linearStateBytes(MechanismSpec::softmax(), 256, 64, 64), 0.0);
  be.setMatrixBudget(1 << 20);
  const std::string msg = errorOf([&] { be.forward(spec, q, HeadSel::one(0)); });
  EXPECT_NE(msg.find("M = 64 blocks of r × d_v = 64 × 64"), std::string::npos) << msg;
  EXPECT_THROW(be.forward(spec, q, HeadSel::one(0)), BudgetExceeded);
  EXPECT_THROW(timeForward(be, spec, q, 1), BudgetExceeded);
  // favor's r counts: r = 4096 features on one block.
  auto favor = MechanismSpec::linear(FeatureMapSpec{FeatureMapKind::Favor, 4096, 1});
  EXPECT_THROW(be.forward(favor, q, HeadSel::one(0)), BudgetExceeded);
  be.setMatrixBudget(16 << 20);
  EXPECT_EQ(be.forward(spec, q, HeadSel::one(0))[0].rows(), 256);
}

TEST(Backend, AllHeadsEqualsEachHeadAndThreadsDoNotChangeResults) {
  const auto seed = ref::freshSeed();
  SCOPED_TRACE(seed);
  const Qkv q = ref::randomQkv(333, 16, 8, 3, seed);
  const auto spec = MechanismSpec::mhla(BlockLayout::oneD(333, 9), MixingInit::Cos, {});
  EigenBackend one(1), two(2);
  const auto all = two.forward(spec, q, HeadSel::all());
  ASSERT_EQ(all.size(), 3u);
  for (int h = 0; h < 3; ++h) {
    const MatrixF single = one.forward(spec, q, HeadSel::one(h))[0];
    EXPECT_LT((single - all[h]).norm() / single.norm(), 1e-6) << h;
  }
  EXPECT_GT((all[0] - all[1]).norm(), 1e-3);  // heads really differ
  const auto rows = two.attentionRow(spec, q, HeadSel::all(), 17);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[0], rows[2]);
}

TEST(Backend, EigenIsAlwaysAvailableAndNamed) {
  EigenBackend be(0);
  EXPECT_TRUE(be.available().ok);
  EXPECT_EQ(be.name(), "eigen");
  EXPECT_GE(be.threads(), 1);
  be.setThreads(1);
  EXPECT_EQ(be.threads(), 1);
  // More threads than cores are clamped to the cores (issue 15: they only contend).
  be.setThreads(hardwareThreads() + 3);
  EXPECT_EQ(be.threads(), hardwareThreads());
}

TEST(Timing, HarnessReportsOrderedStatisticsAndFlops) {
  EigenBackend be(1);
  const Qkv q = ref::randomQkv(256, 16, 16, 2, 3);
  const auto spec = MechanismSpec::linear({});
  const TimingResult t = timeForward(be, spec, q, 5);
  EXPECT_EQ(t.mechanism, "linear");
  EXPECT_EQ(t.backend, "eigen");
  EXPECT_EQ(t.n, 256);
  EXPECT_EQ(t.heads, 2);
  EXPECT_EQ(t.repeats, 5);
  EXPECT_LE(t.minMs, t.medianMs);
  EXPECT_LE(t.medianMs, t.maxMs);
  EXPECT_GT(t.minMs, 0.0);
  EXPECT_NEAR(t.gflops, 4.0 * 256 * 16 * 16 * 2 / (t.medianMs * 1e-3) / 1e9, 1e-9);
  EXPECT_THROW(timeForward(be, spec, q, 0), InvalidArgument);
  JobControl job;
  job.cancel.cancel();
  EXPECT_THROW(timeForward(be, spec, q, 3, job), Cancelled);
}

TEST(Flops, MatchMathMd) {
  const int n = 1000, d = 64;
  EXPECT_DOUBLE_EQ(forwardFlops(MechanismSpec::softmax(), n, d, d), 4.0 * n * n * d);
  EXPECT_DOUBLE_EQ(forwardFlops(MechanismSpec::softmax(true), n, d, d), 2.0 * n * n * d);
  EXPECT_DOUBLE_EQ(forwardFlops(MechanismSpec::linear({}), n, d, d), 4.0 * n * d * d);
  const auto m = MechanismSpec::mhla(BlockLayout::oneD(n, 10), MixingInit::Cos, {});
  EXPECT_DOUBLE_EQ(forwardFlops(m, n, d, d), 4.0 * n * d * d + 2.0 * 100 * d * d);
}
