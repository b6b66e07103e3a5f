// The desktop window: constructs on the sample, every panel draws, hover / pin change the maps,
// controls recompute the right mechanisms, long jobs cancel without stalling the event loop,
// exports write valid files, sessions round-trip. Timings (hover at N = 16384, event-loop stall)
// are printed with qInfo for docs/gui.md.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QJsonDocument>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <qcustomplot.h>

#include "attnscope/mixing.h"
#include "gui/controls_panel.h"
#include "gui/figure_panel.h"
#include "gui/file_actions.h"
#include "gui/input_view.h"
#include "gui/main_window.h"
#include "gui/maps_panel.h"
#include "gui/mixing_editor.h"
#include "gui/presets.h"
#include "figures/sweep_figure.h"
#include "gui/uint64_spin_box.h"
#include "model/backend_registry.h"
#include "model/export.h"
#include "model/mechanism_registry.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {

/// Records the longest gap between ticks of a 10 ms timer.
class StallMeter {
 public:
  StallMeter() {
    timer_.setInterval(10);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      const qint64 now = clock_.elapsed();
      maxGap_ = std::max(maxGap_, now - last_);
      last_ = now;
    });
    clock_.start();
    last_ = 0;
    timer_.start();
  }
  qint64 maxGapMs() const { return maxGap_; }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ = 0, maxGap_ = 0;
};

int colourMaps(QCustomPlot* plot) {
  int n = 0;
  for (int i = 0; i < plot->plottableCount(); ++i)
    if (qobject_cast<QCPColorMap*>(plot->plottable(i))) ++n;
  return n;
}

bool waitForAnalysis(MainWindow& w, int count, int timeoutMs = 120000) {
  QElapsedTimer t;
  t.start();
  while (w.controller()->analysesApplied() < count || w.controller()->jobs()->busy("analysis") ||
         w.controller()->jobs()->busy("input")) {
    if (t.elapsed() > timeoutMs) return false;
    QTest::qWait(20);
  }
  return true;
}

using attnscope::gui::waits::waitIdle;

QByteArray head(const QString& path, int n) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.read(n);
}

/// Dotted paths of the JSON leaves where `a` and `b` differ (a key on one side only counts), or,
/// with `equal`, of the leaves both have with the same value. Sorted.
QStringList jsonLeaves(const QJsonObject& a, const QJsonObject& b, bool equal,
                       const QString& prefix = QString()) {
  QStringList keys = a.keys() + b.keys();
  keys.removeDuplicates();
  QStringList out;
  for (const QString& k : keys) {
    const QString path = prefix.isEmpty() ? k : prefix + '.' + k;
    const QJsonValue x = a.value(k), y = b.value(k);
    if (x.isObject() && y.isObject())
      out += jsonLeaves(x.toObject(), y.toObject(), equal, path);
    else if (equal ? (a.contains(k) && b.contains(k) && x == y) : x != y)
      out << path;
  }
  out.sort();
  return out;
}
QStringList differingLeaves(const QJsonObject& a, const QJsonObject& b) {
  return jsonLeaves(a, b, false);
}

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

/// A session with a value other than the default in every field a file can hold (the few that
/// must keep their default for the input to analyse are listed by the test). Variant 0: an image
/// with 2D windows and the official normaliser; 1: a text, causal, with 1D blocks. Both hold
/// seed 5000000000 and τ = 0.001, which the controls could not show before.
Session richSession(int variant, const QTemporaryDir& dir) {
  Session s;
  s.input.imageTokenBudget = 64;
  s.input.patchSize = 8;
  s.input.textTokenBudget = 100;
  s.input.heads = 2;
  s.input.dHead = 16;
  s.input.dModel = 64;
  s.input.positionWeight = 0.123456789;
  s.input.tieQK = false;
  s.input.syntheticN = 100;
  s.input.syntheticClusters = 3;
  s.input.syntheticSpread = 0.25;
  s.input.syntheticTieQK = true;
  s.seed = 5000000000ULL;
  s.temperature = 0.001;
  s.favorFeatures = 300;
  s.threads = 3;
  s.spectrumRelTol = 1e-6;
  s.maxDenseN = 3000;
  s.matrixBudgetBytes = 123456789;
  s.view.colormap = "magma";
  s.view.logScale = true;
  s.view.sharedScale = true;
  s.view.overlayOpacity = 0.3;
  s.view.showImage = false;
  s.view.mapMode = "difference";
  s.view.rangeWithoutQuery = false;
  s.view.stepMechanism = "mhla";
  s.view.step = 2;
  s.view.explorer.mechanism = "mhla";
  s.view.explorer.metric = "kl";
  s.view.explorer.thumbnails = "rows";
  s.view.explorer.fusion = "max";
  s.view.explorer.discardRatio = 0.5;
  s.view.explorer.clsMass = 0.75;
  s.view.explorer.panel = "rollout";
  const int m = variant == 0 ? 4 : 6;  // 17 text tokens in 6 blocks of ⌈17/6⌉ = 3: none empty
  MatrixD mix = MatrixD::Constant(m, m, 1.0 / 3.0);
  mix(0, 1) = 0.1234567890123;
  s.customMixing = mix;
  s.mixingFile = dir.filePath(QStringLiteral("mixing%1.csv").arg(variant)).toStdString();
  saveMixing(s.mixingFile, MatrixD::Identity(m, m));
  if (variant == 0) {
    const QString png = dir.filePath("rich.png");
    QImage img(64, 64, QImage::Format_RGB32);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) img.setPixel(x, y, qRgb(x * 4, y * 4, (x * y) % 256));
    img.save(png);
    s.source.kind = SourceKind::Image;
    s.source.path = png.toStdString();
    s.head = 1;
    s.queryRow = 2;
    s.queryCol = 3;
    s.featureMap = FeatureMapKind::Favor;
    s.windowRows = s.windowCols = 4;
    s.mixing = "gaussian";
    s.normaliser = Normaliser::Official;
  } else {
    const QString txt = dir.filePath("rich.txt");
    QFile f(txt);
    if (f.open(QIODevice::WriteOnly))
      f.write("the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat");
    f.close();
    s.source.kind = SourceKind::Text;
    s.source.path = txt.toStdString();
    s.head = Session::kHeadMean;
    s.query = 5;
    s.featureMap = FeatureMapKind::Elu1;
    s.blocks = 6;
    s.mixing = "exp";
    s.causal = true;
  }
  return s;
}

}  // namespace

class GuiTests : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName("attnscope-tests");
    QSettings().clear();
  }

  void constructsAndShowsAllPanels() {
    MainWindow w;
    w.resize(1580, 960);
    w.show();
    w.start(startSession());
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    QCOMPARE(colourMaps(w.mapsPanel()->plot()), 3);
    QVERIFY(w.mixingEditor()->plot()->plottableCount() >= 1);
    QVERIFY(w.spectraPanel()->plot()->plottableCount() >= 3);
    QVERIFY(w.timingPanel()->plot()->plottableCount() >= 1);
    QVERIFY(w.metricsPanel()->plot()->plotLayout()->elementCount() >= 1);
    for (QWidget* p : {static_cast<QWidget*>(w.inputView()), static_cast<QWidget*>(w.mapsPanel()),
                       static_cast<QWidget*>(w.mixingEditor()), static_cast<QWidget*>(w.spectraPanel()),
                       static_cast<QWidget*>(w.metricsPanel())})
      QVERIFY(p->isVisible() && p->width() > 100 && p->height() > 100);
    // The three maps differ on the sample image.
    const auto& rows = w.mapsPanel()->rows();
    QVERIFY((rows[0] - rows[1]).norm() > 1e-3 * rows[0].norm());
    QVERIFY((rows[2] - rows[1]).norm() > 1e-6);
    QVERIFY(w.lastError().isEmpty());

    // Screenshot: non-blank (many colours, not mostly one colour).
    const QImage shot = w.grab().toImage();
    QVERIFY(!shot.isNull());
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); y += 3)
      for (int x = 0; x < shot.width(); x += 3) colours.insert(shot.pixel(x, y));
    QVERIFY2(colours.size() > 200, qPrintable(QString::number(colours.size())));
    const QByteArray dir = qgetenv("ATTNSCOPE_SCREENSHOT_DIR");
    if (!dir.isEmpty()) {
      w.inputView()->setFocus();
      // Hover a token near the query so the hover state shows too.
      const int t = w.controller()->results()->query - 2;
      QTest::mouseMove(w.inputView(), w.inputView()->tokenCentre(t).toPoint());
      QTest::qWait(300);
      w.grab().save(QString::fromLocal8Bit(dir) + "/explorer-sample-image.png");
      QTest::mouseMove(w.inputView(), QPoint(1, 1));
      w.applyPreset(1);  // locality through mixing: identity mixing, log colour scale
      {
        Session ls = w.controller()->session();
        ls.view.logScale = true;
        w.controls()->setSession(ls);
        w.controller()->setSession(ls);
      }
      QVERIFY(waitForAnalysis(w, 2));
      QVERIFY(waitIdle(w));
      QTest::qWait(300);
      w.grab().save(QString::fromLocal8Bit(dir) + "/explorer-identity-mixing.png");
      {
        Session ds = w.controller()->session();
        ds.view.mapMode = "difference";
        ds.view.logScale = false;
        w.controls()->setSession(ds);
        w.controller()->setSession(ds);
      }
      QVERIFY(waitIdle(w));
      QTest::qWait(300);
      w.grab().save(QString::fromLocal8Bit(dir) + "/explorer-whole-map-difference.png");
      w.undoLesson();
      QVERIFY(waitIdle(w));
      Session s = w.controller()->session();
      s.source.kind = SourceKind::SampleText;
      s.mixing = "cos";
      s.blocks = 0;
      w.controls()->setSession(s);
      w.controller()->setSession(s);
      QVERIFY(waitForAnalysis(w, 4));
      QVERIFY(waitIdle(w));
      QTest::qWait(300);
      w.grab().save(QString::fromLocal8Bit(dir) + "/explorer-sample-text.png");
    }
  }

  void hoverPinAndKeysChangeMaps() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(Session{});
    QVERIFY(waitForAnalysis(w, 1));
    const int q0 = w.controller()->results()->query;
    const auto before = w.mapsPanel()->rows();
    const int target = 3;  // a corner patch, far from the centre query
    QTest::mouseMove(w.inputView(), w.inputView()->tokenCentre(target).toPoint());
    QTRY_COMPARE(w.mapsPanel()->query(), target);
    const auto hovered = w.mapsPanel()->rows();
    for (int k = 0; k < 3; ++k) QVERIFY((hovered[k] - before[k]).norm() > 1e-9);
    QCOMPARE(w.controller()->results()->query, q0);  // hovering does not pin
    QTest::mouseClick(w.inputView(), Qt::LeftButton, {}, w.inputView()->tokenCentre(target).toPoint());
    QTRY_COMPARE(w.controller()->results()->query, target);
    QCOMPARE(w.inputView()->pinned(), target);
    QTest::keyClick(w.inputView(), Qt::Key_Right);
    QTRY_COMPARE(w.controller()->results()->query, target + 1);
    QCOMPARE(w.mapsPanel()->query(), target + 1);
    w.controller()->jobs()->cancel();
  }

  void changingMRecomputesMhlaOnly() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(Session{});
    QVERIFY(waitForAnalysis(w, 1));
    auto st0 = w.controller()->state();
    const auto rows0 = w.mapsPanel()->rows();
    w.controls()->blocksBox()->setValue(4);
    QVERIFY(waitForAnalysis(w, 2));
    auto st1 = w.controller()->state();
    QCOMPARE(st1->results->layout->m(), 4);
    QVERIFY(!st1->recomputed[0] && !st1->recomputed[1] && st1->recomputed[2]);
    QVERIFY(st1->parts[0] == st0->parts[0]);  // softmax reused
    const auto rows1 = w.mapsPanel()->rows();
    QCOMPARE((rows1[0] - rows0[0]).norm(), 0.0);
    QVERIFY((rows1[2] - rows0[2]).norm() > 1e-9);

    // Mixing init: MHLA only.
    emit w.mixingEditor()->initChosen("identity");
    QVERIFY(waitForAnalysis(w, 3));
    auto st2 = w.controller()->state();
    QVERIFY(!st2->recomputed[0] && !st2->recomputed[1] && st2->recomputed[2]);
    QCOMPARE(st2->results->mixingName, std::string("identity"));
    // Painting a cell: custom mixing, MHLA only.
    w.mixingEditor()->editCell(0, 1, 0.5);
    QVERIFY(waitForAnalysis(w, 4));
    auto st3 = w.controller()->state();
    QVERIFY(st3->recomputed[2] && !st3->recomputed[0]);
    QCOMPARE(st3->results->mixing(0, 1), 0.5);
    QCOMPARE(w.controller()->session().customMixing(0, 1), 0.5);

    // Temperature changes softmax (and the others' KL): everything recomputes.
    w.controls()->temperatureBox()->setValue(2.0);
    QVERIFY(waitForAnalysis(w, 5));
    QVERIFY(w.controller()->state()->recomputed[0]);
    // A view control recomputes nothing.
    const int applied = w.controller()->analysesApplied();
    w.controls()->colormapBox()->setCurrentText("magma");
    QTest::qWait(200);
    QCOMPARE(w.controller()->analysesApplied(), applied);
    QVERIFY(!w.controller()->jobs()->busy("analysis"));
    // The image budget reloads the input.
    w.controls()->imageBudgetBox()->setValue(256);
    QVERIFY(waitForAnalysis(w, applied + 1));
    QVERIFY(w.controller()->state()->n() <= 256);
    w.controller()->jobs()->cancel();
  }

  void longJobCancelsWithoutStalling() {
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    w.start(Session{});
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    StallMeter meter;
    w.controller()->startSweep(65536);
    QVERIFY(w.controller()->jobs()->busy("sweep"));
    QElapsedTimer t;
    t.start();
    // Hover while the sweep runs: the GUI keeps answering.
    int i = 0;
    while (t.elapsed() < 2500) {
      w.controller()->hover(i++ % w.controller()->state()->n());
      QTest::qWait(30);
    }
    QVERIFY(w.controller()->jobs()->busy("sweep"));
    w.controller()->jobs()->cancel("sweep");
    QVERIFY(!w.controller()->jobs()->busy("sweep"));
    QVERIFY(waitIdle(w));
    QTest::qWait(300);
    QVERIFY(!w.controller()->sweep());  // the cancelled sweep delivered nothing
    qInfo("max event-loop gap while the sweep ran: %lld ms", meter.maxGapMs());
    QVERIFY2(meter.maxGapMs() < 100, qPrintable(QString::number(meter.maxGapMs())));
  }

  // Issue 14 #6: the status bar's Cancel button ends the job's "…" label and progress for good,
  // even when progress reports of the cancelled job are still queued.
  void cancelButtonClearsTheStatus() {
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    w.start(Session{});
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    w.controller()->startSweep(65536);
    QTest::qWait(600);  // a few progress reports on their way
    QPushButton* cancel = nullptr;
    for (QPushButton* b : w.statusBar()->findChildren<QPushButton*>())
      if (b->text() == QStringLiteral("Cancel")) cancel = b;
    QVERIFY(cancel && cancel->isVisible());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(waitIdle(w));
    QTest::qWait(500);
    for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
      QVERIFY2(!l->text().endsWith(QStringLiteral("…")), qPrintable(l->text()));
    for (QProgressBar* p : w.statusBar()->findChildren<QProgressBar*>()) QVERIFY(!p->isVisible());
    QVERIFY(!cancel->isVisible());
  }

  // Issue 14 #12: the hover read-out under the maps does not survive a new input.
  void hoverReadoutIsClearedByANewInput() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(startSession());
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    const QString idle = w.mapsPanel()->hoverText();
    QCustomPlot* plot = w.mapsPanel()->plot();
    // Move over the middle of the first map until the read-out names a weight.
    bool read = false;
    for (int x = plot->width() / 8; x < plot->width() / 3 && !read; x += 7) {
      QTest::mouseMove(plot, QPoint(x, plot->height() / 2));
      QTest::qWait(20);
      read = w.mapsPanel()->hoverText() != idle;
    }
    QVERIFY(read);
    Session s = w.controller()->session();
    s.source.kind = SourceKind::SampleText;
    w.controls()->setSession(s);
    w.controller()->setSession(s);
    QVERIFY(waitForAnalysis(w, 2));
    QVERIFY(waitIdle(w));
    QCOMPARE(w.mapsPanel()->hoverText(), idle);
  }

  void hoverRepaintAt16384Tokens() {
    QTemporaryDir dir;
    const QString path = dir.filePath("grid.png");
    QImage img(512, 512, QImage::Format_RGB32);
    for (int y = 0; y < 512; ++y)
      for (int x = 0; x < 512; ++x)
        img.setPixel(x, y, qRgb((x * 7) % 256, (y * 3) % 256, ((x + y) / 4) % 256));
    QVERIFY(img.save(path));
    MainWindow w;
    w.resize(1580, 960);
    w.show();
    Session s;
    s.source.kind = SourceKind::Image;
    s.source.path = path.toStdString();
    s.input.imageTokenBudget = 16384;
    s.input.patchSize = 4;
    StallMeter meter;
    w.start(s);
    QVERIFY(waitForAnalysis(w, 1, 300000));
    QCOMPARE(w.controller()->state()->n(), 16384);
    const qint64 analysisGap = meter.maxGapMs();
    // Hover-to-repaint: three rows (O(N·r) each) + in-place update + immediate replot.
    std::vector<double> ms;
    for (int i = 0; i < 30; ++i) {
      QElapsedTimer t;
      t.start();
      w.controller()->hover((i * 997) % 16384);
      QCoreApplication::processEvents();
      ms.push_back(t.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    qInfo("hover-to-repaint at N = 16384: median %.2f ms, max %.2f ms (30 hovers)", ms[15], ms.back());
    qInfo("max event-loop gap while the N = 16384 analysis ran: %lld ms", analysisGap);
    QVERIFY2(ms[15] < 60, "hover far too slow");
    w.controller()->jobs()->cancel();
  }

  void exportWritesValidFiles() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(Session{});
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    QTemporaryDir dir;
    QVERIFY(w.exportFigureTo(dir.filePath("all.png"), {}, 96));
    QVERIFY(w.exportFigureTo(dir.filePath("all.svg")));
    QVERIFY(w.exportFigureTo(dir.filePath("all.pdf")));
    QVERIFY(w.exportFigureTo(dir.filePath("maps.png"), {Panel::Maps}, 150));
    QCOMPARE(head(dir.filePath("all.png"), 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
    QCOMPARE(head(dir.filePath("maps.png"), 4), QByteArray("\x89PNG", 4));
    QVERIFY(head(dir.filePath("all.svg"), 4096).contains("<svg"));
    QCOMPARE(head(dir.filePath("all.pdf"), 5), QByteArray("%PDF-"));
    QImage png(dir.filePath("all.png"));
    QVERIFY(!png.isNull() && png.width() > 500);
    // Export without results reports an error instead of crashing.
    MainWindow empty;
    QVERIFY(!empty.exportFigureTo(dir.filePath("none.png")));
    QVERIFY(!empty.lastError().isEmpty());
  }

  void sessionRoundTripThroughWindow() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    Session s;
    s.temperature = 0.7;
    s.blocks = 9;
    s.mixing = "gaussian";
    s.view.colormap = "cividis";
    w.start(s);
    QVERIFY(waitForAnalysis(w, 1));
    QTemporaryDir dir;
    const QString path = dir.filePath("s.json");
    w.saveSessionTo(path);
    const QJsonObject saved = w.controller()->session().toJson();
    w.controls()->temperatureBox()->setValue(3.0);
    w.controls()->blocksBox()->setValue(4);
    QCOMPARE(w.controller()->session().temperature, 3.0);
    w.loadSessionFrom(path);
    QCOMPARE(w.controls()->temperatureBox()->value(), 0.7);
    QCOMPARE(w.controls()->blocksBox()->value(), 9);
    QCOMPARE(w.controls()->colormapBox()->currentText(), QString("cividis"));
    QCOMPARE(w.controller()->session().toJson(), saved);
    QVERIFY(waitForAnalysis(w, 2));
    QCOMPARE(w.controller()->state()->results->mixingName, std::string("gaussian"));
    // A broken session file is reported, the window keeps its session.
    QFile bad(dir.filePath("bad.json"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("{ not json");
    bad.close();
    w.loadSessionFrom(dir.filePath("bad.json"));
    QVERIFY(!w.lastError().isEmpty());
    QCOMPARE(w.controller()->session().toJson(), saved);
    w.controller()->jobs()->cancel();
  }
  // Issue "One analysis path…", item 4: a loaded session is never changed behind the user's back.
  // Every field survives loading into the window, a view edit and saving; only the edited
  // colormap differs.
  void everyFieldRoundTripsThroughTheWindow_data() {
    QTest::addColumn<int>("variant");
    QTest::addColumn<QStringList>("defaults");  // leaves that keep their default value
    QTest::newRow("image, windows, official")
        << 0 << QStringList{"causal", "compute.backend", "format", "mhla.blocks", "version"};
    QTest::newRow("text, causal, blocks")
        << 1 << QStringList{"compute.backend", "format", "mhla.normaliser", "mhla.windowCols",
                            "mhla.windowRows", "version"};
  }
  void everyFieldRoundTripsThroughTheWindow() {
    QFETCH(int, variant);
    QFETCH(QStringList, defaults);
    QTemporaryDir dir;
    const Session rich = richSession(variant, dir);
    // The test session really leaves no other field at its default.
    QCOMPARE(jsonLeaves(Session{}.toJson(), rich.toJson(), true), defaults);
    const QString path = dir.filePath("rich.json");
    saveSession(rich, path);
    const QJsonObject original = readJson(path);
    QCOMPARE(original.value("seed").toString(), QString("5000000000"));

    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(startSession());
    QVERIFY(waitForAnalysis(w, 1));
    w.loadSessionFrom(path);
    QVERIFY(waitForAnalysis(w, 2));
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    QCOMPARE(differingLeaves(original, w.controller()->session().toJson()), QStringList());
    // The controls show the values as they are.
    QCOMPARE(w.controls()->seedBox()->value(), std::uint64_t(5000000000ULL));
    QCOMPARE(w.controls()->seedBox()->text(), QString("5000000000"));
    QCOMPARE(w.controls()->temperatureBox()->value(), 0.001);
    QCOMPARE(w.controls()->temperatureBox()->text(), QString("0.001"));
    QCOMPARE(w.controls()->positionWeightBox()->value(), 0.123456789);
    QCOMPARE(w.controls()->threadsBox()->value(), 3);

    w.controls()->colormapBox()->setCurrentText("cividis");
    const QString saved = dir.filePath("saved.json");
    w.saveSessionTo(saved);
    QCOMPARE(differingLeaves(original, readJson(saved)), QStringList{"view.colormap"});
    const Session back = loadSession(saved);
    QCOMPARE(back.seed, std::uint64_t(5000000000ULL));
    QCOMPARE(back.temperature, 0.001);
    QCOMPARE(back.view.colormap, std::string("cividis"));
    w.controller()->jobs()->cancel();
  }

  // Each control writes its own field, and only that one (through the session's rules where one
  // applies: a new M drops the 2D windows and the M×M mixing; another source drops the query).
  void eachControlWritesOnlyItsField() {
    QTemporaryDir dir;
    const QString path = dir.filePath("rich.json");
    saveSession(richSession(0, dir), path);
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.loadSessionFrom(path);
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    ControlsPanel* c = w.controls();
    struct Step {
      const char* name;
      std::function<void()> act;
      QStringList fields;
    };
    const std::vector<Step> steps{
        {"temperature", [&] { c->temperatureBox()->setValue(0.25); }, {"softmax.temperature"}},
        {"seed", [&] { c->seedBox()->setValue(6000000000ULL); }, {"seed"}},
        {"colormap", [&] { c->colormapBox()->setCurrentText("cividis"); }, {"view.colormap"}},
        {"threads", [&] { c->threadsBox()->setValue(5); }, {"compute.threads"}},
        {"dense spectra", [&] { c->maxDenseNBox()->setValue(2048); }, {"compute.maxDenseN"}},
        {"position", [&] { c->positionWeightBox()->setValue(2.5); }, {"input.positionWeight"}},
        {"opacity", [&] { c->opacityBox()->setValue(0.9); }, {"view.overlayOpacity"}},
        {"log scale", [&] { c->logScaleBox()->setChecked(false); }, {"view.logScale"}},
        {"map mode", [&] { c->mapModeBox()->setCurrentText("matrix"); }, {"view.mapMode"}},
        {"range", [&] { c->rangeWithoutQueryBox()->setChecked(true); }, {"view.rangeWithoutQuery"}},
        {"feature map", [&] { c->featureMapBox()->setCurrentText("relu"); }, {"featureMap.kind"}},
        {"head", [&] { c->headBox()->setCurrentIndex(c->headBox()->findData(0)); }, {"head"}},
        {"blocks", [&] { c->blocksBox()->setValue(4); },
         {"mhla.blocks", "mhla.customMixing", "mhla.mixingFile", "mhla.windowCols",
          "mhla.windowRows"}},
        {"source", [&] { c->sourceBox()->setCurrentText("sample-text"); },
         {"query.col", "query.index", "query.row", "source.kind"}},
    };
    for (const Step& step : steps) {
      const QJsonObject before = w.controller()->session().toJson();
      step.act();
      const QJsonObject after = w.controller()->session().toJson();
      const QStringList changed = differingLeaves(before, after);
      QVERIFY2(changed == step.fields,
               qPrintable(QString("%1: %2").arg(step.name, changed.join(", "))));
      QVERIFY(waitIdle(w));
    }
    const Session& s = w.controller()->session();
    QCOMPARE(s.seed, std::uint64_t(6000000000ULL));
    QCOMPARE(s.temperature, 0.25);
    QCOMPARE(s.input.dModel, 64);
    QCOMPARE(s.spectrumRelTol, 1e-6);
    w.controller()->jobs()->cancel();
  }

  // Issue #7: a failed load leaves the current session, input and results as they were.
  void failedLoadsKeepTheCurrentSession() {
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    Session s;
    s.temperature = 0.8;
    w.start(s);
    QVERIFY(waitForAnalysis(w, 1));
    w.controls()->temperatureBox()->setValue(1.7);  // unsaved work
    QVERIFY(waitForAnalysis(w, 2));
    QVERIFY(w.isSessionModified());
    const QJsonObject before = w.controller()->session().toJson();
    const auto state = w.controller()->state();
    const int applied = w.controller()->analysesApplied();
    QTemporaryDir dir;
    auto write = [&](const QString& name, const QByteArray& bytes) {
      QFile f(dir.filePath(name));
      if (!f.open(QIODevice::WriteOnly)) return QString();
      f.write(bytes);
      return dir.filePath(name);
    };
    // `expect`: what the error must say besides the file's name.
    auto check = [&](const QString& path, const char* expect, QString named = QString()) {
      if (named.isEmpty()) named = QFileInfo(path).fileName();
      w.openFile(path);
      QVERIFY(waitIdle(w));
      QVERIFY2(w.lastError().contains(named), qPrintable(w.lastError()));
      QVERIFY2(w.lastError().contains(QLatin1String(expect)), qPrintable(w.lastError()));
      QCOMPARE(w.controller()->session().toJson(), before);
      QCOMPARE(w.controls()->sourceBox()->currentText(), QString("sample-image"));
      QCOMPARE(w.controls()->temperatureBox()->value(), 1.7);
      QCOMPARE(w.controller()->state(), state);  // the same input and maps, not recomputed
      QVERIFY(w.controller()->results() != nullptr);
      QCOMPARE(w.controller()->analysesApplied(), applied);
      QVERIFY(w.isSessionModified());
      QVERIFY(w.sessionPath().isEmpty());
    };
    // An image that does not decode, a text with no tokens, an empty file, a missing file.
    check(write("broken.png", QByteArray("\x89PNG\r\n\x1a\n not really a png")), "broken.png");
    check(write("blank.txt", QByteArray(" \n\t \n")), "no tokens");
    check(write("empty.txt", QByteArray()), "empty");
    check(dir.filePath("missing.png"), "no such file");
    // A valid session file whose input fails to load: the previous session and its state return.
    Session other;
    other.source.kind = SourceKind::Image;
    other.source.path = dir.filePath("gone.png").toStdString();
    saveSession(other, dir.filePath("other.json"));
    check(dir.filePath("other.json"), "kept the previous input", "gone.png");
    // A corrupt session file names the bad field.
    check(write("badfield.json", QByteArray(R"({"mhla": {"blocks": -3}})")), "mhla.blocks");
    // The window still works: a good file loads.
    const QString good = write("good.txt", QByteArray("attention is all you need, they said"));
    w.openFile(good);
    QVERIFY(waitForAnalysis(w, applied + 1));
    QVERIFY(w.controller()->session().source.kind == SourceKind::Text);
    // Files are told apart by content: an extensionless text is text, a PNG named .txt an image.
    w.openFile(write("NOTES", QByteArray("linear attention keeps the rank low, they said")));
    QVERIFY(waitForAnalysis(w, applied + 2));
    QVERIFY(w.controller()->session().source.kind == SourceKind::Text);
    QCOMPARE(QString::fromStdString(w.controller()->session().source.path), dir.filePath("NOTES"));
    QImage pic(48, 32, QImage::Format_RGB32);
    pic.fill(qRgb(10, 200, 90));
    QVERIFY(pic.save(dir.filePath("picture.txt"), "PNG"));
    w.openFile(dir.filePath("picture.txt"));
    QVERIFY(waitForAnalysis(w, applied + 3));
    QVERIFY(w.controller()->session().source.kind == SourceKind::Image);
    w.controller()->jobs()->cancel();
  }

  // A session that asks for cuda where it cannot run (a session file from a GPU machine): the
  // window computes on eigen and says so, without a dialog or an error; the timing panel shows the
  // CPU and a note about the GPU. Where the GPU runs, the session keeps cuda and both are timed.
  void sessionAskingForCudaFallsBackToEigen() {
    BackendEntry cuda;
    for (const BackendEntry& e : listBackends())
      if (e.name == "cuda") cuda = e;
    const bool gpu = cuda.availability.ok;
    QTemporaryDir dir;
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.backend = "cuda";
    saveSession(s, dir.filePath("cuda.json"));
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.start(s);
    QComboBox* box = w.controls()->backendBox();
    const int cudaItem = box->findText("cuda", Qt::MatchStartsWith);
    QVERIFY(cudaItem >= 0);
    if (!gpu) {
      const QString why = QString::fromStdString(cuda.availability.reason);
      QCOMPARE(QString::fromStdString(w.controller()->session().backend), QString("eigen"));
      QCOMPARE(box->currentText(), QString("eigen"));
      const auto* model = qobject_cast<QStandardItemModel*>(box->model());
      QVERIFY(model && !model->item(cudaItem)->isEnabled());
      QCOMPARE(box->itemData(cudaItem, Qt::ToolTipRole).toString(), why);
      QVERIFY(box->toolTip().contains(why));
      const QString message = w.statusText();
      QVERIFY2(message.contains("the cuda backend is not available") && message.contains(why),
               qPrintable(message));
      QVERIFY(!w.isSessionModified());
    }
    QVERIFY(waitForAnalysis(w, 1));
    QVERIFY(waitIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    const auto res = w.controller()->results();
    QCOMPARE(QString::fromStdString(res->backend), QString(gpu ? "cuda" : "eigen"));
    for (const MechanismResult& m : res->mechanisms) {
      QCOMPARE(int(m.timings.size()), gpu ? 2 : 1);
      QCOMPARE(QString::fromStdString(m.timings[0].backend), QString("eigen"));
    }
    // The timing panel: a legend entry per backend (or the one backend in the title); the note
    // when the GPU is missing.
    QCPLegend* legend = nullptr;
    QStringList texts;
    for (QCPLayoutElement* e : w.timingPanel()->plot()->plotLayout()->elements(true)) {
      if (auto* l = qobject_cast<QCPLegend*>(e)) legend = l;
      if (auto* t = qobject_cast<QCPTextElement*>(e)) texts << t->text();
    }
    if (gpu)
      QCOMPARE(legend ? legend->itemCount() : 0, 2);
    else
      QCOMPARE(texts.filter("forward time on CPU (Eigen)").size(), 1);
    QCOMPARE(texts.filter("GPU: not available — ").size(), gpu ? 0 : 1);
    // Exported timings name the backend of each row.
    exportResults(*res, dir.filePath("data"));
    QFile csv(dir.filePath("data/timing.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QVERIFY(lines[0].startsWith("mechanism,backend,"));
    QCOMPARE(lines.size(), 1 + 3 * (gpu ? 2 : 1));
    QVERIFY(lines[1].startsWith("softmax,eigen,"));
    // Loading the same session from a file falls back again, still without an error.
    w.statusBar()->clearMessage();
    w.loadSessionFrom(dir.filePath("cuda.json"));
    QCOMPARE(QString::fromStdString(w.controller()->session().backend),
             QString(gpu ? "cuda" : "eigen"));
    if (!gpu) QVERIFY(w.statusText().contains("cuda backend is not available"));
    QVERIFY(w.lastError().isEmpty());
    w.controller()->jobs()->cancel();
  }

  // The sweep figure: each mechanism's curve per backend, a legend entry per backend when there
  // are two, and the note when the GPU was not timed.
  void sweepFigureDrawsEachBackend() {
    auto series = [](const char* backend, double scale) {
      SweepSeries ser;
      ser.backend = backend;
      for (int n : {256, 512, 1024}) {
        SweepPoint p;
        p.n = n;
        p.timing.resize(3);
        for (int k = 0; k < 3; ++k) {
          TimingResult& t = p.timing[k];
          t.backend = backend;
          t.includesTransfers = ser.backend != "cuda";
          t.medianMs = scale * (k + 1) * n / 256.0;
          t.minMs = t.medianMs * 0.9;
          t.maxMs = t.medianMs * 1.1;
        }
        ser.points.push_back(p);
      }
      return ser;
    };
    auto drawn = [](QCustomPlot* plot, QStringList* legendNames, QStringList* texts) {
      int curves = 0;
      for (int i = 0; i < plot->graphCount(); ++i) curves += plot->graph(i)->dataCount() == 3;
      for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        if (auto* l = qobject_cast<QCPLegend*>(e))
          for (int i = 0; i < l->itemCount(); ++i)
            if (auto* it = qobject_cast<QCPPlottableLegendItem*>(l->item(i)))
              *legendNames << it->plottable()->name();
        if (auto* t = qobject_cast<QCPTextElement*>(e)) *texts << t->text();
      }
      return curves;
    };
    QCustomPlot plot;
    plot.resize(600, 320);
    auto withMechanisms = [] {
      SweepResult r;
      for (const MechanismEntry& e : mechanismRegistry()) {
        r.mechanisms.push_back(e.id);
        r.displayNames.push_back(e.displayName);
        r.colours.push_back(e.rgb);
      }
      return r;
    };
    SweepResult both = withMechanisms();
    both.series = {series("eigen", 1.0), series("cuda", 0.01)};
    both.gpuName = "Test GPU";
    buildSweepFigure(&plot, both, FigureStyle{});
    QStringList names, texts;
    QCOMPARE(drawn(&plot, &names, &texts), 6);
    QVERIFY2(names.contains("CPU (Eigen)") && names.contains("GPU (Test GPU, device time)"),
             qPrintable(names.join(" | ")));
    QVERIFY(texts.filter("not available").isEmpty());
    plot.replot();
    const QString shots = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
    if (!shots.isEmpty()) plot.savePng(shots + "/sweep-cpu-gpu.png", 600, 320);

    SweepResult cpu = withMechanisms();
    cpu.series = {series("eigen", 1.0)};
    cpu.note = "GPU: not available — no CUDA driver";
    buildSweepFigure(&plot, cpu, FigureStyle{});
    names.clear();
    texts.clear();
    QCOMPARE(drawn(&plot, &names, &texts), 3);
    QVERIFY(names.contains("CPU (Eigen)") && names.filter("GPU").isEmpty());
    QVERIFY(texts.contains("GPU: not available — no CUDA driver"));
    plot.replot();
    if (!shots.isEmpty()) plot.savePng(shots + "/sweep-cpu-only.png", 600, 320);
  }

  // Issue #7: closing with unsaved session changes asks Save / Discard / Cancel.
  void closingWithUnsavedChangesAsks() {
    QTemporaryDir dir;
    int asked = 0;
    {
      MainWindow w;
      w.show();
      w.start(Session{});
      QVERIFY(waitForAnalysis(w, 1));
      QVERIFY(!w.isSessionModified());
      w.setUnsavedPrompt([&] {
        ++asked;
        return UnsavedChoice::Cancel;
      });
      QVERIFY(w.close());  // nothing changed: closes without asking
      QCOMPARE(asked, 0);
      w.show();
      w.controls()->temperatureBox()->setValue(2.5);
      QVERIFY(w.isSessionModified());
      QVERIFY(w.isWindowModified());
      QVERIFY(!w.close());  // Cancel keeps the window open
      QCOMPARE(asked, 1);
      QVERIFY(w.isVisible());
      // Save, but the user cancels the file dialog: still open, still modified.
      w.setUnsavedPrompt([&] {
        ++asked;
        return UnsavedChoice::Save;
      });
      w.setSavePathChooser([] { return QString(); });
      QVERIFY(!w.close());
      QVERIFY(w.isSessionModified());
      // Save to a chosen file: written, then the window closes.
      w.setSavePathChooser([&] { return dir.filePath("kept.json"); });
      QVERIFY(w.close());
      QCOMPARE(asked, 3);
      QCOMPARE(loadSession(dir.filePath("kept.json")).temperature, 2.5);
      QVERIFY(!w.isSessionModified());
      QCOMPARE(w.sessionPath(), dir.filePath("kept.json"));
      // A later edit saves straight to that file.
      w.show();
      w.controls()->temperatureBox()->setValue(3.5);
      QVERIFY(w.close());
      QCOMPARE(asked, 4);
      QCOMPARE(loadSession(dir.filePath("kept.json")).temperature, 3.5);
      // Discard closes without writing.
      w.show();
      w.controls()->temperatureBox()->setValue(4.5);
      w.setUnsavedPrompt([&] {
        ++asked;
        return UnsavedChoice::Discard;
      });
      QVERIFY(w.close());
      QCOMPARE(asked, 5);
      QCOMPARE(loadSession(dir.filePath("kept.json")).temperature, 3.5);
      w.controller()->jobs()->cancel();
    }
    {
      // Loading a session file is a clean state; so is saving.
      MainWindow w;
      w.show();
      w.start(Session{});
      w.controls()->temperatureBox()->setValue(1.5);
      QVERIFY(w.isSessionModified());
      w.loadSessionFrom(dir.filePath("kept.json"));
      QVERIFY(!w.isSessionModified());
      QCOMPARE(w.controller()->session().temperature, 3.5);
      w.controls()->temperatureBox()->setValue(0.5);
      QVERIFY(w.isSessionModified());
      w.saveSessionTo(dir.filePath("again.json"));
      QVERIFY(!w.isSessionModified());
      QVERIFY(waitIdle(w));
      w.controller()->jobs()->cancel();
    }
  }
};

QTEST_MAIN(GuiTests)
#include "gui_tests.moc"
