// The model explorer in the window (issue 13) on a tiny random checkpoint in the HF ViT layout:
// open it, step layers and heads by keys, select a cell of the model view by a click, every view
// draws, export the model panels, and a model folder that disappears leaves the session intact.
// Times of the layer switch (key press → new maps and model views on screen) are printed with
// qInfo; ATTNSCOPE_MEASURE_MODEL=PATH (and ATTNSCOPE_MEASURE_SOURCE=image|text|FILE.txt) measures them on
// any checkpoint (docs and the closing notes' numbers).
#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QMenu>
#include <QMenuBar>
#include <QSplitter>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QComboBox>
#include <QPushButton>
#include <QToolButton>
#include <QtTest>
#include <qcustomplot.h>

#include "figures/model_figures.h"
#include "figures/mosaic.h"
#include "gui/panel_host.h"
#include "gui/controls_panel.h"
#include "gui/figure_panel.h"
#include "gui/job_runner.h"
#include "gui/main_window.h"
#include "gui/mixing_editor.h"
#include "window_waits.h"
#include "gui/maps_panel.h"
#include "gui/model_bar.h"
#include "llama_reference.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::gui;
using attnscope::gui::waits::waitIdle;

namespace {


/// Waits until the analysis and the model views show `layer` (or the timeout); returns the ms.
qint64 waitForLayer(MainWindow& w, int layer, int timeoutMs = 60000) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    const auto r = w.modelViewPanel()->results();
    if (r && r->modelViews && r->modelViews->layer == layer && !w.controller()->jobs()->busy("input") &&
        !w.controller()->jobs()->busy("analysis") && w.controller()->results() &&
        w.controller()->results()->session.model.layer == layer)
      return t.elapsed();
    QTest::qWait(1);
  }
  return -1;
}

std::string tinyVit(const QTemporaryDir& dir, const QString& name) {
  const QString model = dir.filePath(name);
  QDir().mkpath(model);
  test::writeCheckpoint(model.toStdString(), test::tinyHfVit());
  return model.toStdString();
}

/// The text of a panel's note (a model panel before it has views), "" when it draws a figure.
QString noteOf(FigurePanel* panel) {
  for (QCPLayoutElement* e : panel->plot()->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) return t->text();
  return QString();
}

/// Shows `w` on a fresh tiny ViT named `name` and waits for its survey.
void startOnTinyVit(MainWindow& w, const QTemporaryDir& dir, const QString& name) {
  w.resize(1580, 960);
  w.show();
  Session s;
  s.model.path = tinyVit(dir, name);
  w.start(s);
  waitIdle(w);
}

QPoint cellCentre(QCustomPlot* plot, int row, int col) {
  for (QCPAxisRect* rect : plot->axisRects()) {
    if (rect->objectName() != QLatin1String("attnscope-mosaic")) continue;
    return QPoint(int(rect->axis(QCPAxis::atBottom)->coordToPixel(col + 0.45)),
                  int(rect->axis(QCPAxis::atLeft)->coordToPixel(row + 0.45)));
  }
  return QPoint(-1, -1);
}

}  // namespace

class ModelExplorerTests : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName("attnscope-tests");
    QSettings().clear();
  }

  // Issue 27 #7 and #8: before the survey lands the model panels say it is computing (not "open a
  // model"); a model panel without views is not exported (it would be a picture of a sentence).
  void modelPanelsWaitForTheSurveyAndExportOnlyWithIt() {
    MainWindow w;
    w.resize(1580, 960);
    w.show();
    Session start;
    start.source.kind = SourceKind::SampleImage;
    w.start(start);
    QVERIFY(waitIdle(w));
    const QString png = dir_.filePath("no-model-view.png");
    QVERIFY(!w.exportFigureTo(png, {Panel::ModelView}, 96));
    QVERIFY2(w.lastError().contains("open one first") && w.lastError().contains(QString::fromUtf8("File ▸ Open model…")),
             qPrintable(w.lastError()));
    QVERIFY(!QFile::exists(png));
    QVERIFY2(noteOf(w.layerCurvesPanel()).contains("open a model"), qPrintable(noteOf(w.layerCurvesPanel())));

    QStringList notes;  // what the model panels say when the model's first maps arrive
    connect(w.controller(), &ExplorerController::analysisReady, &w, [&] {
      if (notes.isEmpty()) notes << noteOf(w.layerCurvesPanel()) << noteOf(w.modelViewPanel()) << noteOf(w.rolloutPanel());
    });
    w.openModel(QString::fromStdString(tinyVit(dir_, "vit-waiting")));
    QVERIFY(waitIdle(w));
    QVERIFY(w.controller()->survey());
    QCOMPARE(notes.size(), 3);
    for (const QString& n : notes)
      QVERIFY2(n.contains(QString::fromUtf8("computing every layer and head")) && !n.contains("open"), qPrintable(n));
    // The survey arrived: curves, no waiting note.
    QVERIFY(!noteOf(w.layerCurvesPanel()).contains("computing") && w.layerCurvesPanel()->plot()->graphCount() > 0);
    QVERIFY(w.exportFigureTo(png, {Panel::ModelView}, 96));
    QVERIFY(QFile(png).size() > 1000);
  }

  // Issue 27 #6 and the layout item: at 1600×1000 the model view of 12 × 12 and 32 × 16 heads is
  // legible — row and column labels thinned so none overlap (before: "H10H11" ran together), a
  // corner number drawn only where it fits its cell, every cell's number on hover — and "Focus on
  // the view" gives the view the whole height (cells grow; the bottom row comes back after).
  void modelViewIsLegibleAtTwelveByTwelveAndThirtyTwoBySixteen() {
    const QString shots = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
    for (const auto& [layers, heads] : {std::pair{12, 12}, std::pair{32, 16}}) {
      const QString model = dir_.filePath(QStringLiteral("wide-%1x%2").arg(layers).arg(heads));
      QDir().mkpath(model);
      test::LlamaSpec spec = test::llama2Spec();
      spec.layers = layers;
      spec.heads = spec.kvHeads = heads;
      spec.headDim = 4;
      spec.dModel = 4 * heads;
      spec.hidden = 32;
      spec.vocab = 261;
      test::writeCheckpoint(model.toStdString(), test::tinyLlama(spec));
      QFile tok(model + "/tokenizer.json");
      QVERIFY(tok.open(QIODevice::WriteOnly));
      tok.write(QByteArray::fromStdString(test::llamaTokenizerJson()));
      tok.close();

      MainWindow w;
      w.resize(1600, 1000);
      w.show();
      Session s;
      s.source.kind = SourceKind::SampleText;
      s.model.path = model.toStdString();
      w.start(s);
      QVERIFY(waitIdle(w));
      w.showView(QStringLiteral("model-view"));
      QTest::qWait(100);
      QCustomPlot* plot = w.modelViewPanel()->plot();
      const auto res = w.modelViewPanel()->results();
      QVERIFY(res && res->modelViews);
      QCOMPARE(res->modelViews->layers, layers);
      QCOMPARE(res->modelViews->heads, heads);
      const MosaicDrawn before = mosaicDrawn(plot);
      qInfo("%d x %d at 1600x1000: cells %.1f x %.1f px, %d of %d corner numbers drawn, labels: %lld rows, %lld cols",
            layers, heads, before.cellWidth, before.cellHeight, before.notesShown, before.notes,
            static_cast<long long>(before.rowLabels.size()), static_cast<long long>(before.colLabels.size()));
      QVERIFY(before.cellWidth > 4 && before.cellHeight > 4);
      QVERIFY2(!before.labelsOverlap, qPrintable(before.colLabels.join(' ') + " / " + before.rowLabels.join(' ')));
      QVERIFY(before.colLabels.size() >= 2 && before.rowLabels.size() >= 2);
      QCOMPARE(before.colLabels.first(), QString("H0"));
      QCOMPARE(before.notes, layers * heads);
      if (!shots.isEmpty()) w.grab().save(shots + QStringLiteral("/model-view-%1x%2.png").arg(layers).arg(heads));

      // Every cell names its number on hover, drawn in its corner or not.
      const QPoint at = cellCentre(plot, layers - 2, heads - 3);
      QTest::mouseMove(plot, at);
      QTest::qWait(20);
      const QString cell = modelViewCellText(*res->modelViews, layers - 2, heads - 3);
      QVERIFY(cell.startsWith(QStringLiteral("layer %1 · head %2 · ").arg(layers - 2).arg(heads - 3)));
      QVERIFY2(plot->toolTip().startsWith(cell), qPrintable(plot->toolTip()));

      // Focus on the view: the bottom row steps aside, the cells grow; toggled back, all returns.
      auto* bottom = w.findChild<QSplitter*>(QStringLiteral("bottomSplitter"));
      QVERIFY(bottom && bottom->isVisible());
      QAction* focus = w.panels()->focusViewAction();
      bool inViewMenu = false;
      for (QAction* m : w.menuBar()->actions())
        if (m->menu() && m->text() == QStringLiteral("&View")) inViewMenu = m->menu()->actions().contains(focus);
      QVERIFY(inViewMenu);
      focus->trigger();
      QTest::qWait(200);
      QVERIFY(!bottom->isVisible());
      const MosaicDrawn focused = mosaicDrawn(plot);
      qInfo("%d x %d focused: cells %.1f x %.1f px, %d of %d corner numbers drawn", layers, heads, focused.cellWidth,
            focused.cellHeight, focused.notesShown, focused.notes);
      QVERIFY2(focused.cellHeight > 1.5 * before.cellHeight, qPrintable(QString::number(focused.cellHeight)));
      QVERIFY(!focused.labelsOverlap);
      QVERIFY(focused.notesShown >= before.notesShown);
      if (layers == 12) QCOMPARE(focused.notesShown, focused.notes);  // 12 × 12 focused: every number fits
      if (!shots.isEmpty()) w.grab().save(shots + QStringLiteral("/model-view-%1x%2-focused.png").arg(layers).arg(heads));
      focus->trigger();
      QTest::qWait(100);
      QVERIFY(bottom->isVisible());
    }
  }

  // Issue 25: a Llama-family checkpoint (4 query heads over 1 KV head) in the window: the model
  // view grouped by KV head, the K/V rank control of the model bar, the low-rank K/V sweep panel.
  void llamaShowsItsGroupsTheLowRankViewAndTheSweep() {
    const QString model = dir_.filePath("llama");
    QDir().mkpath(model);
    test::LlamaSpec spec = test::llama3Spec();
    spec.vocab = 261;
    test::writeCheckpoint(model.toStdString(), test::tinyLlama(spec));
    QFile tok(model + "/tokenizer.json");
    QVERIFY(tok.open(QIODevice::WriteOnly));
    tok.write(QByteArray::fromStdString(test::llamaTokenizerJson()));
    tok.close();

    MainWindow w;
    w.resize(1580, 960);
    w.show();
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.model.path = model.toStdString();
    w.start(s);
    QVERIFY(waitIdle(w));
    const auto views = w.modelViewPanel()->results();
    QVERIFY(views && views->modelViews);
    QCOMPARE(views->modelViews->kvGroup, 4);
    QCOMPARE(views->modelViews->kvHeads, 1);
    QCOMPARE(views->modelViews->groupAgreement.size(), std::size_t(2));  // 2 layers × 1 KV head
    QVERIFY(w.controller()->results()->model);
    QCOMPARE(w.controller()->results()->model->kvHeads, 1);
    QVERIFY(w.controller()->results()->input->tokens.tokens[0].label == "<|begin_of_text|>");

    // The rank control: rank 3 → the maps run on the low-rank K/V and the notice says what it costs.
    auto* rank = w.modelBar()->findChild<QSpinBox*>(QStringLiteral("model.kvRank"));
    QVERIFY(rank);
    QCOMPARE(rank->specialValueText(), QString("full"));
    rank->setValue(3);
    QVERIFY(waitIdle(w));
    const auto res = w.controller()->results();
    QCOMPARE(res->session.model.kvRank, 3);
    QVERIFY(res->model && res->model->kvRank);
    QCOMPARE(res->model->kvRank->rank, 3);
    QVERIFY2(w.noticeText().contains("K/V at rank 3") && w.noticeText().contains("RoPE is applied after the low-rank step"),
             qPrintable(w.noticeText()));

    // Run ▸ Low-rank K/V sweep fills its panel; it stays when the rank changes (it covers every rank).
    QVERIFY2(noteOf(w.kvRankPanel()).contains("Low-rank K/V sweep") || !w.kvRankPanel()->results() ||
                 !w.kvRankPanel()->results()->kvSweep,
             "no sweep before it is asked for");
    w.controller()->startKvSweep();
    QVERIFY(waitIdle(w));
    QVERIFY(w.kvRankPanel()->results() && w.kvRankPanel()->results()->kvSweep);
    QVERIFY(!w.kvRankPanel()->results()->kvSweep->ranks.empty());
    rank->setValue(0);
    QVERIFY(waitIdle(w));
    QVERIFY(w.controller()->results()->kvSweep);
    QVERIFY(!w.controller()->results()->model->kvRank);
    // Run ▸ Layer sensitivity: the hybrid panel gets each layer alone and the schedule.
    w.controller()->startSensitivity("linear");
    QVERIFY(waitIdle(w));
    QVERIFY(w.hybridPanel()->results() && w.hybridPanel()->results()->sensitivity);
    QCOMPARE(w.hybridPanel()->results()->sensitivity->alone.size(), std::size_t(2));
    QCOMPARE(w.hybridPanel()->results()->sensitivity->schedule.size(), std::size_t(2));
    // Issue 26 #3: the Hybrid view's per-layer toggles run the model with the checked layers replaced.
    auto* layers = w.hybridPanel()->findChild<QWidget*>(QStringLiteral("hybridLayers"));
    QVERIFY(layers);
    const QList<QToolButton*> toggles = layers->findChildren<QToolButton*>();
    QCOMPARE(toggles.size(), 2);
    auto* mech = w.hybridPanel()->findChild<QComboBox*>(QStringLiteral("hybridMechanism"));
    QVERIFY(mech);
    mech->setCurrentIndex(mech->findData(QStringLiteral("mhla-fitted")));
    toggles[1]->click();
    QTest::mouseClick(w.hybridPanel()->findChild<QPushButton*>(QStringLiteral("runHybrid")), Qt::LeftButton);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.hybridPanel()->noteText().contains("layers 1 → mhla-fitted: ΔNLL"), qPrintable(w.hybridPanel()->noteText()));
    // Issue 26 #1: the mixing editor's Fit fits 𝓜 per head against softmax on a worker.
    QTest::mouseClick(w.mixingEditor()->findChild<QPushButton*>(QStringLiteral("fitMixing")), Qt::LeftButton);
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->results()->mixingName, std::string("fitted"));
    QVERIFY(w.controller()->results()->mixingFit);
    QCOMPARE(w.controller()->results()->mixingFit->heads.size(), std::size_t(1));
    QCOMPARE(w.mixingEditor()->init(), QString("fitted"));
    const QString png = dir_.filePath("kv-rank.png");
    QVERIFY(w.exportFigureTo(png, {Panel::KvRank}, 96));
    QVERIFY(QFile(png).size() > 1000);
    const QString shots = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
    if (!shots.isEmpty()) {
      w.grab().save(shots + "/llama-window.png");
      w.exportFigureTo(shots + "/llama-kv-rank.png", {Panel::KvRank, Panel::ModelView}, 96);
    }
  }

  // Issue 27 (friction): "KL to softmax" on the softmax view put 0 in every cell; now the cells
  // carry no number and the subtitle says what KL compares; on linear the numbers are back.
  void klOnTheSoftmaxViewSaysWhatItCompares() {
    MainWindow w;
    startOnTinyVit(w, dir_, "vit-kl");
    auto* metric = w.modelBar()->findChild<QComboBox*>(QStringLiteral("view.explorer.metric"));
    QComboBox* mech = nullptr;  // the model bar's "view" (the mechanism shown)
    for (auto* c : w.modelBar()->findChildren<QComboBox*>())
      if (c->findData(QStringLiteral("linear")) >= 0) mech = c;
    QVERIFY(metric && mech);
    QCOMPARE(w.controller()->session().view.explorer.mechanism, std::string("softmax"));
    QVERIFY(metric->findData(QStringLiteral("kl")) >= 0);
    metric->setCurrentIndex(metric->findData(QStringLiteral("kl")));
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->session().view.explorer.metric, std::string("kl"));
    auto views = w.modelViewPanel()->results()->modelViews;
    QVERIFY(views && !views->cellMetric.empty());
    for (double m : views->cellMetric) QVERIFY(std::isnan(m));
    QVERIFY2(QString::fromStdString(views->metricNote).contains("it is 0 for softmax itself"),
             views->metricNote.c_str());
    QStringList texts;
    for (QCPLayoutElement* e : w.modelViewPanel()->plot()->plotLayout()->elements(true))
      if (auto* t = qobject_cast<QCPTextElement*>(e)) texts << t->text();
    QVERIFY2(texts.join('\n').contains("KL to softmax compares"), qPrintable(texts.join('\n')));
    QCOMPARE(mosaicDrawn(w.modelViewPanel()->plot()).notes, 0);  // no corner of zeros

    const int linear = mech->findData(QStringLiteral("linear"));
    QVERIFY(linear >= 0);
    mech->setCurrentIndex(linear);
    QVERIFY(waitIdle(w));
    views = w.modelViewPanel()->results()->modelViews;
    QVERIFY(views->metricNote.empty());
    for (double m : views->cellMetric) QVERIFY(std::isfinite(m) && m >= 0);
    QVERIFY(mosaicDrawn(w.modelViewPanel()->plot()).notes > 0);
  }

  // Issue 27 (friction): File ▸ Export data with a model open writes layers.csv, layers.json and
  // rollout_<id>.npy (as `compute --layer all --rollout` does) from the survey the window computed.
  void exportDataWithAModelWritesTheSurveyAndRollout() {
    MainWindow w;
    startOnTinyVit(w, dir_, "vit-export");
    QVERIFY(w.controller()->survey() && w.controller()->rollout());
    const QString out = dir_.filePath("export-with-model");
    const QStringList files = w.exportDataTo(out);
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    QStringList names;
    for (const QString& f : files) names << QFileInfo(f).fileName();
    for (const char* want : {"layers.csv", "layers.json", "rollout_softmax.npy", "rollout_linear.npy", "metrics.json"})
      QVERIFY2(names.contains(QLatin1String(want)), qPrintable(names.join(' ')));
    QFile csv(out + "/layers.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().toStdString(), surveyCsv(*w.controller()->survey()));
  }

  void openStepClickAndExport() {
    MainWindow w;
    w.resize(1580, 960);
    w.show();
    Session start;
    start.source.kind = SourceKind::SampleText;  // a text: opening an image model switches to the sample image
    w.start(start);
    QVERIFY(waitIdle(w));
    const std::string model = tinyVit(dir_, "vit");
    w.openModel(QString::fromStdString(model));
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    const Session& s = w.controller()->session();
    QCOMPARE(s.model.path, model);
    QVERIFY(s.source.kind == SourceKind::SampleImage);
    QVERIFY(w.modelBar()->isVisible());
    QCOMPARE(w.controller()->modelLayers(), 2);
    QCOMPARE(w.modelBar()->layerBox()->maximum(), 1);
    QVERIFY(w.controller()->survey());
    auto views = w.modelViewPanel()->results()->modelViews;
    QVERIFY(views);
    QCOMPARE(views->layer, 1);
    QCOMPARE(int(views->cells.size()), 4);
    QVERIFY(!views->rolloutRows.empty());  // the rollout arrived too

    // Keys: [ goes to layer 0, . to the next head, , back.
    w.activateWindow();
    QTest::keyClick(&w, Qt::Key_BracketLeft);
    QVERIFY(waitForLayer(w, 0) >= 0);
    QCOMPARE(w.controller()->session().model.layer, 0);
    QCOMPARE(w.modelBar()->layerSlider()->value(), 0);
    const int head = w.controller()->session().head;  // the mean after opening
    QCOMPARE(head, Session::kHeadMean);
    QTest::keyClick(&w, Qt::Key_Period);
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->session().head, 0);
    QTest::keyClick(&w, Qt::Key_Period);
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->session().head, 1);
    QTest::keyClick(&w, Qt::Key_Period);  // no head 2: stays
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->session().head, 1);
    QTest::keyClick(&w, Qt::Key_BracketRight);
    QVERIFY(waitForLayer(w, 1) >= 0);

    // A click on cell (layer 0, head 0) of the model view selects it.
    w.viewTabs()->setCurrentWidget(w.modelViewPanel());
    QTest::qWait(50);
    QCOMPARE(QString::fromStdString(w.controller()->session().view.explorer.panel), QStringLiteral("model-view"));
    const QPoint p = cellCentre(w.modelViewPanel()->plot(), 0, 0);
    QVERIFY(p.x() >= 0);
    QCOMPARE(mosaicCellAt(w.modelViewPanel()->plot(), p), std::make_pair(0, 0));
    QTest::mouseClick(w.modelViewPanel()->plot(), Qt::LeftButton, {}, p);
    QVERIFY(waitForLayer(w, 0) >= 0);
    QCOMPARE(w.controller()->session().head, 0);
    QCOMPARE(w.modelViewPanel()->results()->modelViews->head, 0);

    // Every view draws something; the layer curves have one graph per mechanism and metric.
    for (FigurePanel* panel : {w.modelViewPanel(), w.layerCurvesPanel(), w.rolloutPanel(), w.clsMapsPanel()})
      QVERIFY(panel->plot()->plottableCount() >= 1);
    QVERIFY(w.layerCurvesPanel()->plot()->graphCount() >= 9);

    // Export each model panel.
    for (Panel panel : {Panel::ModelView, Panel::LayerCurves, Panel::Rollout, Panel::ClsMaps}) {
      const QString out = dir_.filePath(QString::fromStdString(toString(panel)) + ".png");
      QVERIFY(w.exportFigureTo(out, {panel}, 96));
      QImage img(out);
      QVERIFY(!img.isNull() && img.width() > 300 && img.height() > 100);
    }

    // The session saves the model, layer, head and view, and loads back to the same state.
    const QString sessionFile = dir_.filePath("model-session.json");
    w.saveSessionTo(sessionFile);
    const Session saved = loadSession(sessionFile);
    QCOMPARE(saved.model.path, model);
    QCOMPARE(saved.model.layer, 0);
    QCOMPARE(saved.head, 0);
    QCOMPARE(saved.view.explorer.panel, std::string("model-view"));
  }

  // Issue 27 #3: loading a session of another, deeper model at a layer the open model lacks gives
  // no error: the open model's survey is not applied to the new session.
  void aSessionOfADeeperModelLoadsWithoutAFalseError() {
    MainWindow w;
    startOnTinyVit(w, dir_, "shallow");
    QVERIFY(w.controller()->survey());
    QCOMPARE(w.controller()->modelLayers(), 2);
    // The same model with a third layer (a copy of layer 1).
    test::TinyModel deep = test::tinyHfVit();
    std::vector<test::WTensor> extra;
    for (const test::WTensor& t : deep.tensors)
      if (t.name.rfind("encoder.layer.1.", 0) == 0) {
        test::WTensor c = t;
        c.name.replace(0, 16, "encoder.layer.2.");
        extra.push_back(c);
      }
    deep.tensors.insert(deep.tensors.end(), extra.begin(), extra.end());
    const std::string two = "\"num_hidden_layers\": 2";
    deep.config.replace(deep.config.find(two), two.size(), "\"num_hidden_layers\": 3");
    const QString deepDir = dir_.filePath("deep");
    QDir().mkpath(deepDir);
    test::writeCheckpoint(deepDir.toStdString(), deep);
    Session other = w.controller()->session();
    other.model.path = deepDir.toStdString();
    other.model.layer = 2;
    const QString file = dir_.filePath("deep-session.json");
    saveSession(other, file);
    w.loadSessionFrom(file);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    QCOMPARE(w.controller()->modelLayers(), 3);
    QCOMPARE(w.controller()->results()->session.model.layer, 2);
    QCOMPARE(w.modelViewPanel()->results()->modelViews->layer, 2);
  }

  // Issue 27 #2: an edit whose new survey is cancelled does not leave the old survey on the model
  // panels as if it were the edit's.
  void aCancelledSurveyLeavesNoStaleModelViews() {
    MainWindow w;
    startOnTinyVit(w, dir_, "stale");
    QVERIFY(w.modelViewPanel()->results()->modelViews);
    // Every survey the edit starts is cancelled as it starts (Esc while it runs).
    JobRunner* jobs = w.controller()->jobs();
    connect(jobs, &JobRunner::started, &w, [jobs](const QString& channel) {
      if (channel == QLatin1String("survey")) QMetaObject::invokeMethod(jobs, [jobs] { jobs->cancel(QStringLiteral("survey")); }, Qt::QueuedConnection);
    });
    w.controls()->temperatureBox()->setValue(3.0);
    QVERIFY(waitIdle(w));
    QCOMPARE(w.controller()->results()->session.temperature, 3.0);
    const auto shown = w.modelViewPanel()->results();
    QVERIFY(shown);
    QVERIFY2(!shown->modelViews, "the model view still shows the survey of the previous temperature");
    QCOMPARE(w.layerCurvesPanel()->results()->session.temperature, 3.0);
    QVERIFY2(w.modelViewPanel()->findChild<QLabel*>()->text().contains("cancelled"),
             qPrintable(w.modelViewPanel()->findChild<QLabel*>()->text()));
    // Run ▸ Survey every layer computes it for the edited session.
    disconnect(jobs, &JobRunner::started, &w, nullptr);
    w.controller()->surveyNow();
    QVERIFY(waitIdle(w));
    QVERIFY(w.modelViewPanel()->results()->modelViews);
    QCOMPARE(w.modelViewPanel()->results()->session.temperature, 3.0);
    QVERIFY(w.modelViewPanel()->findChild<QLabel*>()->text().isEmpty());
  }

  void aModelThatDisappearsKeepsTheSession() {
    MainWindow w;
    w.show();
    const std::string model = tinyVit(dir_, "vanishing");
    Session s;
    s.model.path = model;
    w.start(s);
    QVERIFY(waitIdle(w));
    QVERIFY(w.controller()->results());
    QVERIFY(w.lastError().isEmpty());
    const Session before = w.controller()->session();
    QVERIFY(QDir(QString::fromStdString(model)).removeRecursively());
    // Another layer needs the files again (their times changed): the load fails and says so.
    QTest::keyClick(&w, Qt::Key_BracketLeft);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().contains(QStringLiteral("vanishing")), qPrintable(w.lastError()));
    QCOMPARE(w.controller()->session().model.layer, before.model.layer);
    QCOMPARE(w.controller()->session().model.path, model);
    QVERIFY(w.controller()->results());  // the maps on screen stay
    // A checkpoint that fails half-way (a truncated file) leaves the session as it was too.
    const std::string broken = tinyVit(dir_, "broken");
    QFile f(QString::fromStdString(broken + "/model.safetensors"));
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.resize(f.size() / 2));
    f.close();
    const Session kept = w.controller()->session();
    w.openModel(QString::fromStdString(broken));
    QVERIFY(waitIdle(w));
    QVERIFY(!w.lastError().isEmpty());
    QCOMPARE(w.controller()->session().model.path, kept.model.path);

    // A saved session whose model folder is gone opens without the model, keeping the rest.
    const std::string other = tinyVit(dir_, "saved-then-gone");
    Session saved;
    saved.model.path = other;
    saved.blocks = 3;
    saved.view.colormap = "magma";
    const QString file = dir_.filePath("gone.json");
    saveSession(saved, file);
    QVERIFY(QDir(QString::fromStdString(other)).removeRecursively());
    w.openFile(file);
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().contains(QStringLiteral("is gone")), qPrintable(w.lastError()));
    QVERIFY(!w.controller()->session().model.active());
    QCOMPARE(w.controller()->session().blocks, 3);
    QCOMPARE(w.controller()->session().view.colormap, std::string("magma"));
    QVERIFY(!w.modelBar()->isVisible());
    QVERIFY(w.controller()->results());
  }

  void layerSwitchTimes() {
    // The tiny model always; a real-sized one when ATTNSCOPE_MEASURE_MODEL names it.
    QStringList models{QString::fromStdString(tinyVit(dir_, "timing"))};
    const QString extra = qEnvironmentVariable("ATTNSCOPE_MEASURE_MODEL");
    if (!extra.isEmpty()) models << extra;
    for (const QString& path : models) {
      MainWindow w;
      w.resize(1580, 960);
      w.show();
      Session s;
      const QString source = qEnvironmentVariable("ATTNSCOPE_MEASURE_SOURCE");  // text, image or a .txt file
      s.source.kind = path != extra || source.isEmpty() || source == "image" ? SourceKind::SampleImage
                      : source == "text"                                     ? SourceKind::SampleText
                                                                             : SourceKind::Text;
      if (s.source.kind == SourceKind::Text) s.source.path = source.toStdString();
      s.model.path = path.toStdString();
      s.input.textTokenBudget = 1024;
      QElapsedTimer t;
      t.start();
      w.start(s);
      QVERIFY(waitIdle(w));
      const qint64 first = t.elapsed();
      QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
      const int layers = w.controller()->modelLayers();
      std::vector<qint64> times;
      for (int i = 0; i < std::min(layers - 1, 6); ++i) {
        const int target = w.controller()->session().model.layer < 0 ? layers - 2
                                                                     : w.controller()->session().model.layer - 1;
        QTest::keyClick(&w, Qt::Key_BracketLeft);
        const qint64 ms = waitForLayer(w, target);
        QVERIFY(ms >= 0);
        times.push_back(ms);
        QVERIFY(waitIdle(w));  // spectra and timing of the new layer, before the next step
      }
      // Screenshots of every view on the measured model (README: ATTNSCOPE_SCREENSHOT_DIR).
      const QString shots = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
      if (!shots.isEmpty() && path == extra) {
        w.inputView();
        for (const char* view : {"model-view", "layer-curves", "rollout", "cls-maps"}) {
          w.showView(QString::fromLatin1(view));
          QVERIFY(waitIdle(w));
          QTest::qWait(300);
          w.grab().save(shots + "/explorer-" + view + ".png");
        }
      }
      std::sort(times.begin(), times.end());
      QElapsedTimer g;
      g.start();
      w.modelViewPanel()->redraw();
      const qint64 grid = g.elapsed();
      qInfo("model %s: N = %d, %d layers × %d heads: open + every layer %lld ms; layer switch median %lld ms (max %lld); "
            "model-view redraw %lld ms",
            qPrintable(QFileInfo(path).fileName()), w.controller()->survey()->n, layers, w.controller()->modelHeads(),
            first, times.empty() ? -1 : times[times.size() / 2], times.empty() ? -1 : times.back(), grid);
    }
  }
};

QTEST_MAIN(ModelExplorerTests)
#include "test_model_explorer.moc"
