// The trained sample models (issue 28 #1): the committed files load through the ordinary model
// path; the head scores and the CLS-mass IoU that README.md and docs/models.md state hold (measured
// here by the survey, as `attnscope compute --layer all` and the window measure them); the
// command line's --sample-model and the window's File ▸ Open sample model open them; a missing
// model is a clear error. $ATTNSCOPE_SAMPLE_MODELS points at resources/models (tests/gui/CMakeLists.txt).
#include <QAction>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QMenu>
#include <QMenuBar>
#include <QProcessEnvironment>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "attnscope/error.h"
#include "attnscope/models/checkpoint.h"
#include "cli_runner.h"
#include "gui/main_window.h"
#include "model/model_survey.h"
#include "model/sample_models.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;
using attnscope::gui::waits::waitIdle;

namespace {

// What docs/models.md and README.md state, less a small margin (the measured values are there).
// Text model, softmax, on attnscope's induction sequence (MATH.md "Head scores").
// The committed model has NO induction head yet (docs/models.md: the run was too short); these are
// its best heads as measured, so that a retrained model with real heads must raise them.
constexpr int kInductionLayer = 0, kInductionHead = 0;
constexpr double kInductionScore = 0.014;  // stated: 0.0151
constexpr int kPreviousLayer = 1, kPreviousHead = 0;
constexpr double kPreviousScore = 0.023;  // stated: 0.0246
// Image model, last layer: the mean IoU over the held-out images of the best head's CLS-mass mask
// (60 % of the mass) with the object's patches (a patch is on the object when half its pixels are).
constexpr int kClsHead = 2;
constexpr double kClsIou = 0.38;  // stated: 0.417
constexpr int kHeldOutImages = 8;

SurveyOptions quickSurvey() {
  SurveyOptions o;
  o.spectra = false;
  o.fittedMixing = false;
  return o;
}

/// The object's patches: a grid cell is on the object when at least half its pixels are white.
std::vector<char> truthPatches(const QString& maskPng, int rows, int cols) {
  const QImage mask = QImage(maskPng).convertToFormat(QImage::Format_Grayscale8);
  std::vector<char> out(static_cast<std::size_t>(rows) * cols, 0);
  if (mask.isNull()) return out;
  const int ph = mask.height() / rows, pw = mask.width() / cols;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      int on = 0;
      for (int y = r * ph; y < (r + 1) * ph; ++y)
        for (int x = c * pw; x < (c + 1) * pw; ++x) on += qGray(mask.pixel(x, y)) > 127 ? 1 : 0;
      out[static_cast<std::size_t>(r) * cols + c] = 2 * on >= ph * pw ? 1 : 0;
    }
  return out;
}

double iou(const std::vector<char>& a, const std::vector<char>& b) {
  int both = 0, either = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    both += a[i] && b[i];
    either += a[i] || b[i];
  }
  return either ? double(both) / either : 0.0;
}

QAction* actionNamed(MainWindow& w, const QString& name) {
  for (QAction* a : w.findChildren<QAction*>())
    if (a->objectName() == name) return a;
  return nullptr;
}

}  // namespace

class SampleModelTests : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName("attnscope-tests");
    QSettings().clear();
    QVERIFY2(!qEnvironmentVariableIsEmpty(kSampleModelsEnv), "run through ctest (it sets ATTNSCOPE_SAMPLE_MODELS)");
  }

  void committedFilesLoadThroughTheOrdinaryPath() {
    const models::Checkpoint text = models::Checkpoint::open(sampleModelDir(SampleModel::Text));
    QVERIFY(text.info().family == models::Family::Gpt2);
    QVERIFY(text.info().layers >= 2 && text.info().layers <= 4);
    QVERIFY(text.info().vocabSize >= 2000 && text.info().vocabSize <= 8000);
    const models::Checkpoint image = models::Checkpoint::open(sampleModelDir(SampleModel::Image));
    QVERIFY(image.info().family == models::Family::HfVit);
    for (SampleModel m : {SampleModel::Text, SampleModel::Image}) {
      const QString st = QString::fromStdString(sampleModelDir(m)) + "/model.safetensors";
      QVERIFY2(QFileInfo(st).size() > 100000 && QFileInfo(st).size() <= 8 << 20, qPrintable(st));
    }
  }

  void textModelHasTheStatedInductionAndPreviousTokenHeads() {
    const Session s = sessionForSampleModel(SampleModel::Text);
    QVERIFY(s.source.kind == SourceKind::SampleText);
    const auto survey = surveyModel(s, quickSurvey());
    QVERIFY2(survey->inductionNote.empty(), survey->inductionNote.c_str());
    const int soft = survey->mechanismIndex("softmax");
    const HeadMeasures& ind = survey->at(kInductionLayer, kInductionHead, soft);
    const HeadMeasures& prev = survey->at(kPreviousLayer, kPreviousHead, soft);
    qInfo("induction head %d.%d: %.4f; previous-token head %d.%d: %.4f", kInductionLayer, kInductionHead,
          ind.induction, kPreviousLayer, kPreviousHead, prev.previousToken);
    for (int l = 0; l < survey->layers; ++l)
      for (int h = 0; h < survey->heads; ++h)
        qInfo("  layer %d head %d: induction %.4f previous %.4f (linear induction %.4f, mhla %.4f)", l, h,
              survey->at(l, h, soft).induction, survey->at(l, h, soft).previousToken,
              survey->at(l, h, survey->mechanismIndex("linear")).induction,
              survey->at(l, h, survey->mechanismIndex("mhla")).induction);
    QVERIFY2(ind.induction >= kInductionScore, qPrintable(QString::number(ind.induction)));
    QVERIFY2(prev.previousToken >= kPreviousScore, qPrintable(QString::number(prev.previousToken)));
  }

  void imageModelsClsAttentionLandsOnTheObject() {
    const Session base = sessionForSampleModel(SampleModel::Image);
    QVERIFY(base.source.kind == SourceKind::Image);
    QVERIFY(QString::fromStdString(base.source.path).endsWith("/sample.png"));
    const QString dir = QString::fromStdString(sampleModelDir(SampleModel::Image));
    std::vector<double> perHead;
    double allPatches = 0;  // chance: the IoU of the whole grid with the object
    for (int k = 0; k < kHeldOutImages; ++k) {
      Session s = base;
      SessionSource src = s.source;
      src.path = QString("%1/heldout/shape_%2.png").arg(dir).arg(k).toStdString();
      s.setSource(src);
      const auto survey = surveyModel(s, quickSurvey());
      const ModelViews v = modelViews(*survey, nullptr, s, 0);
      QCOMPARE(v.layer, survey->layers - 1);
      QCOMPARE(int(v.clsMasks.size()), survey->heads);
      const std::vector<char> truth = truthPatches(QString("%1/heldout/shape_%2_mask.png").arg(dir).arg(k), v.gridRows, v.gridCols);
      QVERIFY(std::count(truth.begin(), truth.end(), 1) >= 1);  // the mask was read
      allPatches += double(std::count(truth.begin(), truth.end(), 1)) / truth.size() / kHeldOutImages;
      perHead.resize(v.clsMasks.size(), 0.0);
      for (std::size_t h = 0; h < v.clsMasks.size(); ++h) perHead[h] += iou(v.clsMasks[h], truth) / kHeldOutImages;
    }
    for (std::size_t h = 0; h < perHead.size(); ++h) qInfo("last layer head %zu: mean CLS-mass IoU %.4f", h, perHead[h]);
    qInfo("the whole grid's IoU with the object (chance): %.4f", allPatches);
    QVERIFY2(perHead[kClsHead] >= kClsIou, qPrintable(QString::number(perHead[kClsHead])));
    QVERIFY(perHead[kClsHead] > 3 * allPatches);
    QVERIFY(perHead[kClsHead] == *std::max_element(perHead.begin(), perHead.end()));
  }

  void commandLineOpensSampleModels() {
    const QString out = dir_.filePath("text");
    const test::Run compute = test::run({"compute", "--sample-model", "text", "--layer", "all", "--out-dir", out});
    REQUIRE_RUN(compute, 0);
    QFile csv(out + "/layers.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    const QStringList header = lines[0].split(',');
    const int induction = header.indexOf("induction");
    QVERIFY(induction > 0);
    double best = 0;
    for (const QString& line : lines.mid(1)) {
      const QStringList f = line.split(',');
      if (f[2] == "softmax" && f[0].toInt() == kInductionLayer && f[1].toInt() == kInductionHead)
        best = f[induction].toDouble();
    }
    QVERIFY2(best >= kInductionScore, qPrintable(QString::number(best)));
    QVERIFY(test::readJson(out + "/session.json").value("model").toObject().value("path").toString().endsWith("/text"));

    const QString png = dir_.filePath("cls.png");
    REQUIRE_RUN(test::run({"render", "--sample-model", "image", "--panels", "maps,cls-maps", "--out", png}), 0);
    QVERIFY(QImage(png).width() > 200);

    const test::Run bad = test::run({"render", "--sample-model", "audio", "--out", png});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--sample-model") && bad.err.contains("text or image"), qPrintable(bad.err));
    const test::Run both = test::run({"compute", "--sample-model", "text", "--sample", "text", "--out-dir", out});
    QCOMPARE(both.code, 2);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(kSampleModelsEnv, dir_.filePath("nowhere"));
    const test::Run missing = test::run({"compute", "--sample-model", "image", "--out-dir", out}, env);
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains("sample image model is not installed") && missing.err.contains("nowhere"),
             qPrintable(missing.err));
  }

  void fileMenuOpensSampleModels() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(Session{});
    QVERIFY(waitIdle(w));
    QAction* text = actionNamed(w, "openSampleModelText");
    QAction* image = actionNamed(w, "openSampleModelImage");
    QVERIFY(text && image);
    auto* menu = w.findChild<QMenu*>("sampleModelMenu");
    QVERIFY(menu && menu->actions().contains(text) && menu->actions().contains(image));
    QVERIFY(menu->title().contains("sample", Qt::CaseInsensitive));

    text->trigger();
    QVERIFY(waitIdle(w));
    Session s = w.controller()->session();
    QCOMPARE(QString::fromStdString(s.model.path), QString::fromStdString(sampleModelDir(SampleModel::Text)));
    QVERIFY(s.source.kind == SourceKind::SampleText);
    QVERIFY(w.controller()->results() && w.controller()->results()->session.model.active());

    image->trigger();
    QVERIFY(waitIdle(w));
    s = w.controller()->session();
    QCOMPARE(QString::fromStdString(s.model.path), QString::fromStdString(sampleModelDir(SampleModel::Image)));
    QVERIFY(QString::fromStdString(s.source.path).endsWith("image/sample.png"));
    QVERIFY(w.controller()->survey() && w.controller()->survey()->layers == 3);

    // Not installed: the error line says so and the session stays.
    const QByteArray saved = qgetenv(kSampleModelsEnv);
    qputenv(kSampleModelsEnv, dir_.filePath("nowhere").toUtf8());
    text->trigger();
    QVERIFY(waitIdle(w));
    qputenv(kSampleModelsEnv, saved);
    QVERIFY2(w.lastError().contains("not installed"), qPrintable(w.lastError()));
    QCOMPARE(w.controller()->session().model.path, s.model.path);
  }
};

QTEST_MAIN(SampleModelTests)
#include "test_sample_models.moc"
