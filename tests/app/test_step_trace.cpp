// The step view's numbers (issue 28 #2, model/step_trace.h): on fresh random Q/K/V of ragged
// shapes, causal and not, with every φ, each stage equals a plain double-precision reference, and
// the last stage equals the core's forward output row and its map row (the kind's prepareCpu rows).
#include <QtTest>
#include <cmath>
#include <random>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/rng.h"
#include "model/step_trace.h"

using namespace attnscope;

namespace {

struct Case {
  Qkv qkv;
  HeadQKV head() const { return qkv.head(0); }
};

Case randomCase(std::uint64_t seed, int n, int dk, int dv) {
  Rng rng(seed);
  Case c;
  MatrixF Q = rng.normalMatrix(n, dk), K = rng.normalMatrix(n, dk), V = rng.normalMatrix(n, dv);
  c.qkv.addHead({Q, K, V});
  return c;
}

double maxAbs(const MatrixD& a) { return a.size() ? a.cwiseAbs().maxCoeff() : 0.0; }

/// Ignores NaN (masked) entries of `a`: those must be masked in the reference too (where `masked`).
double maxDiffMasked(const MatrixD& a, const MatrixD& ref) {
  double d = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = ref.data()[i];
    if (std::isnan(y)) {
      if (!std::isnan(x)) return 1e300;
      continue;
    }
    d = std::max(d, std::abs(x - y));
  }
  return d;
}

/// The core's output row and map row of query i.
void coreRow(const HeadQKV& x, const MechanismSpec& spec, int i, VectorD& out, VectorD& row) {
  const CpuExec exec{1, kDefaultMatrixBudgetBytes};
  const MatrixF o = spec.kind->forwardCpu(spec, x, exec);
  out = o.row(i).cast<double>().transpose();
  row = spec.kind->prepareCpu(spec, x, exec)->row(i);
}

void checkLast(const StepTrace& t, const HeadQKV& x, const MechanismSpec& spec, int i) {
  VectorD out, row;
  coreRow(x, spec, i, out, row);
  const StepStage& last = t.stages.back();
  const StepArray* o = last.find("o_i");
  const StepArray* a = last.find("A_i");
  QVERIFY(o && a);
  QCOMPARE(o->values.cols(), out.size());
  QCOMPARE(a->values.cols(), row.size());
  const double scale = std::max(1.0, out.cwiseAbs().maxCoeff());
  QVERIFY2(maxAbs(o->values.row(0).transpose() - out) < 2e-4 * scale,
           qPrintable(QString("output differs by %1 (%2)").arg(maxAbs(o->values.row(0).transpose() - out))
                          .arg(QString::fromStdString(spec.label()))));
  QVERIFY2(maxAbs(a->values.row(0).transpose() - row) < 1e-5,
           qPrintable(QString("map row differs by %1 (%2)").arg(maxAbs(a->values.row(0).transpose() - row))
                          .arg(QString::fromStdString(spec.label()))));
  QVERIFY(maxAbs(t.output - out) < 2e-4 * scale);
  QVERIFY(maxAbs(t.mapRow - row) < 1e-5);
  QVERIFY(std::abs(t.mapRow.sum() - 1.0) < 1e-9 || spec.officialNormaliser());  // the trace: exactly
}

const FeatureMapKind kPhis[] = {FeatureMapKind::Relu, FeatureMapKind::Elu1, FeatureMapKind::Softplus,
                                FeatureMapKind::Favor};

MatrixD phiD(const MatrixF& x, const FeatureMapSpec& phi, FavorShift shift) {
  return FeatureMap(phi, int(x.cols())).apply(x, shift).cast<double>();
}

}  // namespace

class StepTraceTests : public QObject {
  Q_OBJECT

 private slots:
  void softmaxStagesAreTheFormulas() {
    std::mt19937_64 seeds(QRandomGenerator::global()->generate64());
    for (bool causal : {false, true})
      for (int trial = 0; trial < 4; ++trial) {
        const int n = 5 + int(seeds() % 60), dk = 1 + int(seeds() % 9), dv = 1 + int(seeds() % 7);
        const Case c = randomCase(seeds(), n, dk, dv);
        const double tau = 0.5 + double(seeds() % 100) / 50;
        const MechanismSpec spec = MechanismSpec::softmax(causal, tau);
        const int i = int(seeds() % n);
        const StepTrace t = traceSteps(c.head(), spec, i);
        QCOMPARE(int(t.stages.size()), 6);
        QCOMPARE(t.query, i);
        // Reference in plain loops.
        const double s = 1.0 / (tau * std::sqrt(double(dk)));
        VectorD dots(n), e(n);
        double mx = -1e300;
        for (int j = 0; j < n; ++j) {
          double d = 0;
          for (int k = 0; k < dk; ++k) d += double(c.qkv.q[0](i, k)) * double(c.qkv.k[0](j, k));
          dots[j] = (causal && j > i) ? NAN : d;
          if (!(causal && j > i)) mx = std::max(mx, s * d);
        }
        double sum = 0;
        for (int j = 0; j < n; ++j) sum += e[j] = (causal && j > i) ? 0.0 : std::exp(s * dots[j] - mx);
        QVERIFY(maxDiffMasked(t.stages[1].arrays[0].values, dots.transpose()) < 1e-9);
        VectorD shifted = s * dots.array() - mx;
        QVERIFY(maxDiffMasked(t.stages[2].arrays[0].values, shifted.transpose()) < 1e-9);
        QVERIFY(maxAbs(t.stages[3].arrays[0].values - e.transpose()) < 1e-9);
        QVERIFY(maxAbs(t.stages[4].arrays[0].values - (e / sum).transpose()) < 1e-9);
        checkLast(t, c.head(), spec, i);
      }
  }

  void linearStagesAreTheFormulas() {
    std::mt19937_64 seeds(QRandomGenerator::global()->generate64());
    for (bool causal : {false, true})
      for (FeatureMapKind k : kPhis) {
        const int n = 4 + int(seeds() % 50), dk = 1 + int(seeds() % 8), dv = 1 + int(seeds() % 6);
        const Case c = randomCase(seeds(), n, dk, dv);
        FeatureMapSpec phi;
        phi.kind = k;
        phi.favorFeatures = 3 + int(seeds() % 20);
        phi.seed = seeds();
        const MechanismSpec spec = MechanismSpec::linear(phi, causal);
        const int i = int(seeds() % n);
        const StepTrace t = traceSteps(c.head(), spec, i);
        QCOMPARE(int(t.stages.size()), 4);
        const MatrixD pk = phiD(c.qkv.k[0], phi, FavorShift::Global);
        const MatrixD V = c.qkv.v[0].cast<double>();
        MatrixD S = MatrixD::Zero(pk.cols(), dv);
        VectorD z = VectorD::Zero(pk.cols());
        for (int j = 0; j < n; ++j)
          if (!causal || j <= i) {
            for (int a = 0; a < pk.cols(); ++a)
              for (int b = 0; b < dv; ++b) S(a, b) += pk(j, a) * V(j, b);
            z += pk.row(j).transpose();
          }
        const StepStage& sum = t.stages[1];
        QCOMPARE(sum.id, std::string("summary"));
        QVERIFY(maxAbs(sum.find("S")->values - S) < 1e-9 * std::max(1.0, maxAbs(S)));
        QVERIFY(maxAbs(sum.find("z")->values - z.transpose()) < 1e-9 * std::max(1.0, maxAbs(z)));
        QVERIFY(maxAbs(t.stages[0].find("φ(K)")->values - pk) < 1e-12);
        checkLast(t, c.head(), spec, i);
        // Move the query: bidirectional, S does not change (the stage says so).
        const StepTrace other = traceSteps(c.head(), spec, t.otherQuery);
        if (!causal) {
          QCOMPARE(other.stages[1].find("S")->values, sum.find("S")->values);
          QVERIFY2(QString::fromStdString(sum.explanation).contains("identical S"), sum.explanation.c_str());
          QVERIFY(QString::fromStdString(sum.explanation).contains(QStringLiteral("max |ΔS| = 0)")));
        }
      }
  }

  void mhlaStagesAreTheFormulas() {
    std::mt19937_64 seeds(QRandomGenerator::global()->generate64());
    for (bool causal : {false, true})
      for (FeatureMapKind k : kPhis)
        for (bool twoD : {false, true}) {
          if (causal && twoD) continue;  // causal MHLA is 1D only
          // Ragged: N not a multiple of M (1D), windows that do not divide the grid (2D).
          const int rows = 3 + int(seeds() % 5), cols = 4 + int(seeds() % 5);
          const int n = twoD ? rows * cols : 7 + int(seeds() % 50);
          const int dk = 1 + int(seeds() % 6), dv = 1 + int(seeds() % 5);
          const Case c = randomCase(seeds(), n, dk, dv);
          FeatureMapSpec phi;
          phi.kind = k;
          phi.favorFeatures = 3 + int(seeds() % 16);
          phi.seed = seeds();
          const BlockLayout L = twoD ? BlockLayout::twoD(rows, cols, 2, 3) : BlockLayout::oneD(n, 2 + int(seeds() % 5));
          const MixingInit init = causal ? MixingInit::Causal : MixingInit::Gaussian;
          const MechanismSpec spec = MechanismSpec::mhla(L, init, phi, causal);
          const int i = int(seeds() % n);
          const StepTrace t = traceSteps(c.head(), spec, i);
          QCOMPARE(int(t.stages.size()), 6);
          const int m = L.m(), a = L.blockOf(i);
          // Blocks, summaries, the query block's row of 𝓜, the mixed summary: plain sums.
          for (int j = 0; j < n; ++j) QCOMPARE(t.stages[0].arrays[0].values(0, j), double(L.blockOf(j)));
          const MatrixD pk = phiD(c.qkv.k[0], phi, FavorShift::Global);
          const MatrixD V = c.qkv.v[0].cast<double>();
          const int r = int(pk.cols());
          MatrixD St = MatrixD::Zero(r, dv);
          for (int b = 0; b < m; ++b) {
            MatrixD S = MatrixD::Zero(r, dv);
            for (int j = 0; j < n; ++j)
              if (L.blockOf(j) == b && (!causal || j <= i)) S += pk.row(j).transpose() * V.row(j);
            const MatrixD got = Eigen::Map<const MatrixD>(t.stages[2].arrays[0].values.row(b).data(), r, dv);
            QVERIFY(maxAbs(got - S) < 1e-9 * std::max(1.0, maxAbs(S)));
            const double w = (causal && b > a) ? 0.0 : spec.mixing(a, b);
            QCOMPARE(t.stages[3].arrays[0].values(0, b), w);
            St += w * S;
          }
          QVERIFY(maxAbs(t.stages[4].find("S̃_a")->values - St) < 1e-9 * std::max(1.0, maxAbs(St)));
          // The map assembled block by block sums to 1 over the blocks.
          QVERIFY(std::abs(t.stages[5].arrays[2].values.sum() - 1.0) < 1e-9);
          checkLast(t, c.head(), spec, i);
        }
  }

  void mhlaOfficialNormaliserMatchesTheCore() {
    const Case c = randomCase(QRandomGenerator::global()->generate64(), 24, 4, 3);
    const MechanismSpec spec =
        MechanismSpec::mhla(BlockLayout::oneD(24, 4), MixingInit::Cos, {}, false, Normaliser::Official);
    for (int i : {0, 7, 23}) checkLast(traceSteps(c.head(), spec, i), c.head(), spec, i);
  }

  void mhlaQueriesOfOtherBlocksReadAnotherSummary() {
    const Case c = randomCase(7, 40, 4, 4);
    const MechanismSpec spec = MechanismSpec::mhla(BlockLayout::oneD(40, 4), MixingInit::Identity);
    const StepTrace t = traceSteps(c.head(), spec, 3);
    QVERIFY(t.otherQuery >= 0);
    QVERIFY(L_blockDiffers(spec, 3, t.otherQuery));
    const StepTrace o = traceSteps(c.head(), spec, t.otherQuery);
    QVERIFY(maxAbs(o.stages[4].find("S̃_a")->values - t.stages[4].find("S̃_a")->values) > 1e-3);
  }

  void badQueriesAreRefused() {
    const Case c = randomCase(1, 8, 2, 2);
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, traceSteps(c.head(), MechanismSpec::softmax(), 8));
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, traceSteps(c.head(), MechanismSpec::softmax(), -1));
  }

 private:
  static bool L_blockDiffers(const MechanismSpec& spec, int i, int j) {
    return spec.layout->blockOf(i) != spec.layout->blockOf(j);
  }
};

QTEST_GUILESS_MAIN(StepTraceTests)
#include "test_step_trace.moc"
