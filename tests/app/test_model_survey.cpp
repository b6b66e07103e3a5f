// The model explorer's numbers (issue 13) on tiny random checkpoints in the real layouts: attention
// rollout against an independent double-precision computation from the model's own Q/K, the CLS
// mass masks against their definition, and the survey's table against per-layer analyses.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/models/byte_unicode.h"
#include "attnscope/rng.h"
#include "model/analysis.h"
#include "model/model_survey.h"
#include "st_writer.h"

using namespace attnscope;

namespace {

using Mat = std::vector<std::vector<double>>;

/// The model's softmax attention of one head, from its Q and K, in plain loops.
Mat softmaxOf(const HeadQKV& h) {
  const int n = static_cast<int>(h.Q.rows()), d = static_cast<int>(h.Q.cols());
  const double scale = 1.0 / std::sqrt(double(d));
  Mat a(n, std::vector<double>(n));
  for (int i = 0; i < n; ++i) {
    double mx = -1e300;
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int c = 0; c < d; ++c) s += double(h.Q(i, c)) * double(h.K(j, c));
      a[i][j] = s * scale;
      mx = std::max(mx, a[i][j]);
    }
    double z = 0;
    for (int j = 0; j < n; ++j) z += (a[i][j] = std::exp(a[i][j] - mx));
    for (int j = 0; j < n; ++j) a[i][j] /= z;
  }
  return a;
}

Mat naiveRollout(const std::vector<std::vector<Mat>>& layers, const std::string& fusion, double discard) {
  const int n = static_cast<int>(layers[0][0].size());
  Mat r(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i) r[i][i] = 1;
  for (const std::vector<Mat>& heads : layers) {
    Mat f(n, std::vector<double>(n));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        double v = heads[0][i][j];
        for (std::size_t h = 1; h < heads.size(); ++h) {
          if (fusion == "mean") v += heads[h][i][j];
          if (fusion == "max") v = std::max(v, heads[h][i][j]);
          if (fusion == "min") v = std::min(v, heads[h][i][j]);
        }
        f[i][j] = fusion == "mean" ? v / heads.size() : v;
      }
    // The lowest floor(discard·N²) entries (ties by flat index), never entry 0.
    std::vector<std::pair<double, int>> order;
    for (int x = 0; x < n * n; ++x) order.push_back({f[x / n][x % n], x});
    std::sort(order.begin(), order.end());
    const int k = static_cast<int>(std::floor(discard * n * n));
    for (int t = 0; t < k; ++t)
      if (order[t].second != 0) f[order[t].second / n][order[t].second % n] = 0;
    Mat bar(n, std::vector<double>(n));
    for (int i = 0; i < n; ++i) {
      double sum = 0;
      for (int j = 0; j < n; ++j) sum += (bar[i][j] = (f[i][j] + (i == j ? 1.0 : 0.0)) / 2);
      for (int j = 0; j < n; ++j) bar[i][j] /= sum;
    }
    Mat next(n, std::vector<double>(n, 0.0));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (int m = 0; m < n; ++m) next[i][j] += bar[i][m] * r[m][j];
    r = next;
  }
  return r;
}

double maxDiff(const MatrixD& got, const Mat& want) {
  double d = 0;
  for (std::size_t i = 0; i < want.size(); ++i)
    for (std::size_t j = 0; j < want.size(); ++j) d = std::max(d, std::abs(got(i, j) - want[i][j]));
  return d;
}

Session vitSession(const QTemporaryDir& dir) {
  const std::string model = dir.filePath("vit").toStdString();
  QDir().mkpath(QString::fromStdString(model));
  test::writeCheckpoint(model, test::tinyHfVit());
  Session s;
  s.source.kind = SourceKind::SampleImage;
  s.model.path = model;
  return s;
}

}  // namespace

class ModelSurveyTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void rolloutMatchesAnIndependentComputation() {
    const Session s = vitSession(dir_);
    const std::shared_ptr<const ModelSurvey> survey = surveyModel(s);
    QCOMPARE(survey->layers, 2);
    QCOMPARE(survey->heads, 2);
    QCOMPARE(survey->n, 5);
    std::vector<std::vector<Mat>> softmax;
    for (const models::LayerAttention& layer : survey->run->forward.layers) {
      softmax.emplace_back();
      for (const HeadQKV& h : layer.qkv.heads()) softmax.back().push_back(softmaxOf(h));
    }
    for (const char* fusion : {"mean", "max", "min"})
      for (double discard : {0.0, 0.3, 0.9}) {
        const std::shared_ptr<const Rollout> r = computeRollout(*survey, parseHeadFusion(fusion), discard);
        QVERIFY2(r->note.empty(), r->note.c_str());
        QCOMPARE(r->maps.size(), survey->mechanisms.size());
        const double d = maxDiff(r->maps[0], naiveRollout(softmax, fusion, discard));
        QVERIFY2(d < 1e-6, qPrintable(QStringLiteral("%1 %2: %3").arg(fusion).arg(discard).arg(d)));
        // Every mechanism's rollout is the chain of its own dense maps; rows stay distributions.
        for (std::size_t k = 1; k < r->maps.size(); ++k) {
          std::vector<std::vector<Mat>> maps;
          for (int l = 0; l < survey->layers; ++l) {
            maps.emplace_back();
            for (int h = 0; h < survey->heads; ++h) {
              const MatrixD a = survey->prepared[l][k][h]->matrixD(std::size_t(1) << 30);
              Mat m(a.rows(), std::vector<double>(a.cols()));
              for (int i = 0; i < a.rows(); ++i)
                for (int j = 0; j < a.cols(); ++j) m[i][j] = a(i, j);
              maps.back().push_back(m);
            }
          }
          QVERIFY(maxDiff(r->maps[k], naiveRollout(maps, fusion, discard)) < 1e-9);
          for (int i = 0; i < survey->n; ++i) QVERIFY(std::abs(r->maps[k].row(i).sum() - 1.0) < 1e-9);
        }
      }
    // A matrix budget below the rollout's four dense 5×5 maps (800 bytes): a note, no maps.
    ModelSurvey tight = *survey;
    tight.session.matrixBudgetBytes = 600;
    const std::shared_ptr<const Rollout> none = computeRollout(tight, HeadFusion::Mean, 0.0);
    QVERIFY(none->maps.empty());
    QVERIFY(QString::fromStdString(none->note).contains("matrix budget"));
  }

  void massMaskKeepsTheFewestPatchesReachingTheMass() {
    Rng rng(77);
    for (int trial = 0; trial < 200; ++trial) {
      const int n = 1 + static_cast<int>(rng.uniform() * 60);
      VectorD v(n);
      for (int i = 0; i < n; ++i) v[i] = trial % 5 == 0 ? std::floor(rng.uniform() * 4) : std::pow(rng.uniform(), 3);
      const double fraction = 0.05 + 0.95 * rng.uniform();
      const std::vector<char> mask = massMask(v, fraction);
      QCOMPARE(int(mask.size()), n);
      const double total = v.sum();
      double kept = 0;
      int count = 0;
      for (int i = 0; i < n; ++i)
        if (mask[i]) {
          kept += v[i];
          ++count;
        }
      if (total <= 0) {
        QCOMPARE(count, 0);
        continue;
      }
      QVERIFY(kept >= fraction * total - 1e-12);
      // No smaller set reaches it: the largest count − 1 values fall short.
      std::vector<double> sorted(v.data(), v.data() + n);
      std::sort(sorted.rbegin(), sorted.rend());
      const double best = std::accumulate(sorted.begin(), sorted.begin() + std::max(0, count - 1), 0.0);
      QVERIFY2(best < fraction * total, qPrintable(QStringLiteral("trial %1: %2 kept").arg(trial).arg(count)));
    }
  }

  void surveyEqualsPerLayerAnalyses() {
    Session s = vitSession(dir_);
    s.blocks = 2;
    const std::shared_ptr<const ModelSurvey> survey = surveyModel(s);
    for (int l = 0; l < survey->layers; ++l) {
      Session one = s;
      one.model.layer = l;
      one.head = Session::kHeadAll;
      auto input = std::make_shared<const Input>(loadModelInput(one));
      const std::shared_ptr<const Results> res = analyse(one, input);
      for (std::size_t k = 0; k < res->mechanisms.size(); ++k)
        for (int h = 0; h < survey->heads; ++h) {
          const MechanismResult& m = res->mechanisms[k];
          const HeadMeasures& got = survey->at(l, h, static_cast<int>(k));
          QCOMPARE(got.entropy, m.metrics[h].meanNormalisedEntropy);
          QCOMPARE(got.kl, m.klToSoftmax[h]);
          QCOMPARE(got.outputError, m.outputRelError[h]);
          QCOMPARE(got.effectiveRank, m.spectra[h].effectiveRank);
          QCOMPARE(got.numericalRank, m.spectra[h].numericalRank);
        }
    }
    // The table: a header and one line per layer, head and mechanism; JSON with the same rows.
    const QStringList lines = QString::fromStdString(surveyCsv(*survey)).trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + survey->layers * survey->heads * int(survey->mechanisms.size()));
    QCOMPARE(lines[0], QStringLiteral("layer,head,mechanism,entropy,effective_rank,numerical_rank,kl,output_error,previous_token,sink,attention_distance,induction,kl_fitted_mhla"));
    QVERIFY(lines[1].startsWith("0,0,softmax,"));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(surveyJson(*survey)), &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(doc.object()["rows"].toArray().size(), lines.size() - 1);
  }

  void aLayersHeadsFromTheSurveyEqualAFreshAnalysis() {
    Session s = vitSession(dir_);
    s.blocks = 2;
    const std::shared_ptr<const ModelSurvey> survey = surveyModel(s, SurveyOptions{false, 0});
    for (int layer = 0; layer < 2; ++layer)
      for (int head : {0, 1, Session::kHeadMean}) {
        Session one = s;
        one.model.layer = layer;
        one.head = head;
        auto input = std::make_shared<const Input>(loadModelInput(one));
        const std::shared_ptr<const Analysis> fresh = computeAnalysis(one, input, 7, nullptr, {});
        const std::shared_ptr<const Analysis> taken = selectHeads(*survey->analyses[layer], one, input, 7);
        QCOMPARE(taken->parts.size(), fresh->parts.size());
        QVERIFY(taken->results->heads == fresh->results->heads);
        for (std::size_t k = 0; k < fresh->parts.size(); ++k) {
          const MechanismResult& a = taken->results->mechanisms[k];
          const MechanismResult& b = fresh->results->mechanisms[k];
          QCOMPARE(taken->parts[k]->key, fresh->parts[k]->key);  // a later edit reuses them alike
          QCOMPARE(a.outputs.size(), b.outputs.size());
          for (std::size_t h = 0; h < a.outputs.size(); ++h) {
            QVERIFY(a.outputs[h] == b.outputs[h]);
            QCOMPARE(a.metrics[h].meanNormalisedEntropy, b.metrics[h].meanNormalisedEntropy);
            QCOMPARE(a.metrics[h].rowDiversity, b.metrics[h].rowDiversity);
            QCOMPARE(a.klToSoftmax[h], b.klToSoftmax[h]);
            QCOMPARE(a.outputRelError[h], b.outputRelError[h]);
            QVERIFY(a.rows[h] == b.rows[h]);
          }
          QVERIFY(a.shownRow == b.shownRow);
        }
      }
  }

  void viewsFollowTheSessionsLayerHeadAndQuery() {
    Session s = vitSession(dir_);
    const std::shared_ptr<const ModelSurvey> survey = surveyModel(s);
    s.model.layer = 0;
    s.head = 1;
    s.view.explorer.mechanism = "mhla";
    s.view.explorer.metric = "kl";
    s.view.explorer.clsMass = 0.5;
    const ModelViews v = modelViews(*survey, nullptr, s, 3);
    QCOMPARE(v.layer, 0);
    QCOMPARE(v.head, 1);
    QCOMPARE(v.mechanism, std::string("mhla"));
    QVERIFY(!v.wholeMatrix);  // images: the query's row over the grid
    QCOMPARE(int(v.cells.size()), survey->layers * survey->heads);
    const int mhla = survey->mechanismIndex("mhla");
    // Cell (layer 1, head 0): the query's row over the 2×2 grid, scaled to its maximum.
    const VectorD row = survey->prepared[1][mhla][0]->row(3);
    const Thumbnail& cell = v.cells[1 * survey->heads + 0];
    QCOMPARE(cell.rows, 2);
    QCOMPARE(cell.cols, 2);
    const double peak = row.segment(1, 4).maxCoeff();
    for (int c = 0; c < 4; ++c) QVERIFY(std::abs(cell.values[c] - row[1 + c] / peak) < 1e-6);
    QCOMPARE(v.cellMetric[1 * survey->heads + 0], survey->at(1, 0, mhla).kl);
    // CLS maps of layer 0: one per head, masks with half the patch mass.
    QCOMPARE(int(v.clsMaps.size()), survey->heads);
    const VectorD cls = survey->prepared[0][mhla][1]->row(0).segment(1, 4);
    const std::vector<char> mask = massMask(cls, 0.5);
    QVERIFY(v.clsMasks[1] == mask);
    // Layer curves: the mean over heads of each metric.
    const ModelViews::Curve& c = v.curves[mhla];
    QVERIFY(std::abs(c.mean[0][1] - (survey->at(1, 0, mhla).entropy + survey->at(1, 1, mhla).entropy) / 2) < 1e-12);
    QVERIFY(c.lo[0][1] <= c.mean[0][1] && c.mean[0][1] <= c.hi[0][1]);
    // "cls": every cell shows the CLS token's row.
    s.view.explorer.thumbnails = "cls";
    const ModelViews clsViews = modelViews(*survey, nullptr, s, 3);
    QCOMPARE(clsViews.query, 0);
    const VectorD clsRow = survey->prepared[1][mhla][0]->row(0);
    QVERIFY(std::abs(clsViews.cells[2].values[0] - clsRow[1] / clsRow.segment(1, 4).maxCoeff()) < 1e-6);
    // An unknown mechanism is named.
    s.view.explorer.mechanism = "nope";
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, modelViews(*survey, nullptr, s, 3));
  }

  void textModelsShowWholeMapsAndCausalRollout() {
    const QString model = dir_.filePath("gpt2");
    QVERIFY(QDir().mkpath(model));
    test::TinyModel m = test::tinyGpt2();
    for (test::WTensor& t : m.tensors)
      if (t.name == "wte.weight") t = test::randomTensor("wte.weight", {256, 8}, 99);
    m.config = QString::fromStdString(m.config).replace("\"vocab_size\": 11", "\"vocab_size\": 256").toStdString();
    test::writeCheckpoint(model.toStdString(), m);
    QJsonObject vocab;
    for (int b = 0; b < 256; ++b) vocab[QString::fromStdString(models::byteSymbol(static_cast<std::uint8_t>(b)))] = b;
    QFile v(model + "/vocab.json"), mg(model + "/merges.txt"), txt(dir_.filePath("hello.txt"));
    QVERIFY(v.open(QIODevice::WriteOnly) && mg.open(QIODevice::WriteOnly) && txt.open(QIODevice::WriteOnly));
    v.write(QJsonDocument(vocab).toJson());
    mg.write("#version: 0.2\n");
    txt.write("hello world");
    v.close();
    mg.close();
    txt.close();
    Session s;
    s.source.kind = SourceKind::Text;
    s.source.path = txt.fileName().toStdString();
    s.model.path = model.toStdString();
    const std::shared_ptr<const ModelSurvey> survey = surveyModel(s);
    const int n = survey->n;
    QCOMPARE(n, 7);  // tinyGpt2's n_positions: the text is cut there
    const std::shared_ptr<const Rollout> r = computeRollout(*survey, HeadFusion::Max, 0.5);
    const ModelViews views = modelViews(*survey, r.get(), s, 5);
    QVERIFY(views.wholeMatrix);  // a short text: whole maps
    for (const Thumbnail& cell : views.cells) {
      QCOMPARE(cell.rows, n);
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) QCOMPARE(cell.values[i * n + j], 0.0f);  // causal
    }
    for (const MatrixD& map : r->maps)
      for (int i = 0; i < n; ++i) {
        QVERIFY(std::abs(map.row(i).sum() - 1.0) < 1e-9);
        for (int j = i + 1; j < n; ++j) QCOMPARE(map(i, j), 0.0);
      }
    QCOMPARE(views.rolloutQuery, 5);  // the query asked for  // no CLS: the query's row
    QVERIFY(views.clsMaps.empty());
    QVERIFY(!views.clsNote.empty());
  }
};

int runModelSurveyTests(int argc, char** argv) {
  ModelSurveyTest t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_model_survey.moc"
