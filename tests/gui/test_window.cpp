// The window as a new user drives it (issue 14): each numbered bug of the issue has a test here
// that drives the real widgets offscreen and fails without its fix.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSettings>
#include <QJsonObject>
#include <QLabel>
#include <QSplitter>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QWheelEvent>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTabBar>
#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QDockWidget>
#include <QtTest>
#include <qcustomplot.h>

#include "gui/controls_panel.h"
#include "gui/input_view.h"
#include "gui/main_window.h"
#include "window_waits.h"
#include "gui/maps_panel.h"
#include "gui/mixing_editor.h"
#include "gui/panel_host.h"
#include "gui/presets.h"
#include "attnscope/npy.h"
#include "attnscope/rng.h"
#include "model/analysis.h"
#include "gui/file_actions.h"
#include "attnscope/blocks.h"
#include "figures/table_element.h"
#include "figures/mixing_figure.h"
#include "gui/figure_panel.h"

using namespace attnscope;
using namespace attnscope::gui;
using attnscope::gui::waits::waitIdle;

namespace {


/// A window on `s`, shown, with its first analysis done.
std::unique_ptr<MainWindow> openWindow(const Session& s, QSize size = QSize(1500, 950)) {
  auto w = std::make_unique<MainWindow>();
  w->resize(size);
  w->show();
  w->start(s);
  waitIdle(*w);
  return w;
}

/// The smallest of the maps panel's maps (its axis rects), in pixels.
QSize smallestMap(QCustomPlot* plot) {
  QSize out(1 << 20, 1 << 20);
  for (QCPAxisRect* r : plot->axisRects())
    if (r->width() > 30 && r->height() > 30) out = out.boundedTo(r->rect().size());
  return out.width() == (1 << 20) ? QSize() : out;
}

/// The widget position of mixing cell (a, b) in the mixing editor's plot.
QPoint cellPixel(MixingEditor* e, int a, int b) {
  for (int i = 0; i < e->plot()->plottableCount(); ++i)
    if (auto* m = qobject_cast<QCPColorMap*>(e->plot()->plottable(i)))
      return QPoint(qRound(m->keyAxis()->coordToPixel(b)), qRound(m->valueAxis()->coordToPixel(a)));
  return {-1, -1};
}

void mouseMoveHeld(QWidget* w, QPoint p) {
  QMouseEvent e(QEvent::MouseMove, p, w->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(w, &e);
}

}  // namespace

class WindowTests : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName("attnscope-tests");
    QSettings().clear();
  }

  // Issue 27: after painting, the mixing editor's init combo says "custom" as the title does;
  // choosing an initialisation again drops that entry.
  void theInitComboSaysCustomAfterPainting() {
    Session s = startSession();
    s.blocks = 16;
    auto w = openWindow(s);
    MixingEditor* e = w->mixingEditor();
    auto* combo = e->findChild<QComboBox*>();
    QVERIFY(combo);
    const int inits = combo->count();
    QCOMPARE(combo->currentText(), QString::fromStdString(w->controller()->results()->mixingName));
    e->findChild<QDoubleSpinBox*>()->setValue(0.4);
    const QPoint p = cellPixel(e, 1, 2);
    QTest::mousePress(e->plot(), Qt::LeftButton, {}, p);
    QTest::mouseRelease(e->plot(), Qt::LeftButton, {}, p);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->mixingName, std::string("custom"));
    QCOMPARE(combo->currentText(), QStringLiteral("custom"));
    QCOMPARE(combo->count(), inits + 1);
    combo->setCurrentIndex(combo->findText("identity"));
    emit combo->activated(combo->currentIndex());
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->mixingName, std::string("identity"));
    QCOMPARE(combo->currentText(), QStringLiteral("identity"));
    QCOMPARE(combo->count(), inits);
  }

  // Issue 27: after typing in a control, a click on a view tab gives the head keys back.
  void aTabClickGivesTheKeysBack() {
    auto w = openWindow(startSession());
    QApplication::setActiveWindow(w.get());
    w->activateWindow();
    QDoubleSpinBox* box = w->controls()->temperatureBox();
    box->setFocus();
    QTest::qWait(20);
    QCOMPARE(QApplication::focusWidget() != nullptr, true);
    const int head = w->controller()->session().head;
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Period);  // the spin box takes it as text
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->session().head, head);
    QTabBar* bar = w->viewTabs()->tabBar();
    QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(0).center());
    QVERIFY(QApplication::focusWidget() != box);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Period);  // next head
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->session().head, head + 1);
  }

  // Issue 27: the controls dock, once closed, comes back from the View menu.
  void closedControlsComeBackFromTheViewMenu() {
    auto w = openWindow(startSession());
    auto* dock = w->findChild<QDockWidget*>("controlsDock");
    QVERIFY(dock && dock->isVisible());
    dock->close();
    QVERIFY(!dock->isVisible());
    QAction* entry = nullptr;
    for (QAction* a : w->menuBar()->actions())
      if (a->text() == QLatin1String("&View"))
        for (QAction* b : a->menu()->actions())
          if (b->text() == QLatin1String("Controls")) entry = b;
    QVERIFY(entry != nullptr);
    entry->trigger();
    QVERIFY(dock->isVisible());
  }

  // Issue 27 ("seen once"): right after loading a session, Ctrl+Q and File ▸ Quit close the window
  // (no tab click needed first). Ctrl+Q had no binding where the platform's key scheme gives Quit
  // none (here, offscreen): it did nothing whatever was loaded.
  void quitRightAfterLoadingASession() {
    QTemporaryDir dir;
    const QString path = dir.filePath("s.json");
    {
      auto w = openWindow(startSession());
      w->saveSessionTo(path);
    }
    for (const bool byMenu : {false, true}) {
      auto w = openWindow(startSession());
      w->activateWindow();
      int asked = 0;
      w->setUnsavedPrompt([&] {
        ++asked;
        return UnsavedChoice::Discard;
      });
      w->loadSessionFrom(path);
      QVERIFY(waitIdle(*w));
      QVERIFY(w->isVisible());
      if (byMenu) {
        QAction* quit = nullptr;
        for (QAction* a : w->menuBar()->actions())
          if (a->text() == QLatin1String("&File"))
            for (QAction* b : a->menu()->actions())
              if (b->text() == QLatin1String("&Quit")) quit = b;
        QVERIFY(quit);
        quit->trigger();
      } else {
        QTest::keyClick(w.get(), Qt::Key_Q, Qt::ControlModifier);
      }
      QTRY_VERIFY_WITH_TIMEOUT(!w->isVisible(), 2000);
      QVERIFY(asked <= 1);
    }
  }

  // Issue 27 (friction): the controls dock cuts no control at its edge (its combo boxes lost their
  // arrows): every control lies inside the scroll area's viewport.
  void controlsDockCutsNoControl() {
    auto w = openWindow(startSession(), QSize(1600, 1000));
    auto* scroll = w->findChild<QScrollArea*>(QStringLiteral("controlsScroll"));
    QVERIFY(scroll);
    const int right = scroll->viewport()->width();
    int checked = 0;
    for (QWidget* c : w->controls()->findChildren<QWidget*>()) {
      if (!c->isVisible() || !(qobject_cast<QComboBox*>(c) || qobject_cast<QAbstractSpinBox*>(c))) continue;
      const int edge = c->mapTo(scroll->viewport(), QPoint(c->width(), 0)).x();
      QVERIFY2(edge <= right, qPrintable(QString("%1 ends at %2 px in a %3 px wide dock")
                                             .arg(c->objectName()).arg(edge).arg(right)));
      ++checked;
    }
    QVERIFY(checked > 10);
    if (const QByteArray dir = qgetenv("ATTNSCOPE_SCREENSHOT_DIR"); !dir.isEmpty())
      w->grab().save(QString::fromLocal8Bit(dir) + "/controls-dock.png");
  }

  // Issue 27 #1: the patches of a large photo (reduced for the patch features) can be hovered and
  // clicked: the view finds the cell from the rectangles' own pixels.
  void largePhotoPatchesCanBeProbed() {
    QTemporaryDir dir;
    const QString path = dir.filePath("camera.png");
    QImage photo(4032, 3024, QImage::Format_RGB32);
    for (int y = 0; y < photo.height(); ++y) {
      auto* line = reinterpret_cast<QRgb*>(photo.scanLine(y));
      for (int x = 0; x < photo.width(); ++x) line[x] = qRgb(x * 255 / 4032, y * 255 / 3024, (x ^ y) & 255);
    }
    QVERIFY(photo.save(path));
    auto w = openWindow(startSession());
    w->openFile(path);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->lastError().isEmpty(), qPrintable(w->lastError()));
    const TokenSet& t = w->controller()->results()->input->tokens;
    QVERIFY2(w->noticeText().contains("reduced to"), qPrintable(w->noticeText()));
    QVERIFY(t.hasGrid() && t.gridRows * t.gridCols > 100);
    InputView* view = w->inputView();
    // Clicks on patches across the grid (corners, middle, last row) pin each one.
    const int last = t.gridFirstToken + t.gridRows * t.gridCols - 1;
    for (int token : {t.gridFirstToken + t.gridCols + 1, (t.gridFirstToken + last) / 2, last - 2, last}) {
      QTest::mouseClick(view, Qt::LeftButton, {}, view->tokenCentre(token).toPoint());
      QVERIFY(waitIdle(*w));
      QCOMPARE(w->controller()->results()->query, token);
    }
  }

  // #1: a painted 𝓜 that no longer fits (M changed) never blocks a later analysis.
  void paintedMixingThenNewMStillRecomputes() {
    Session s = startSession();
    s.blocks = 16;
    auto w = openWindow(s);
    emit w->mixingEditor()->initChosen("identity");
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->layout->m(), 16);
    QWidget* plot = w->mixingEditor()->plot();
    const QPoint p = cellPixel(w->mixingEditor(), 2, 5);
    QCOMPARE(w->mixingEditor()->cellAt(p), std::make_pair(2, 5));
    QDoubleSpinBox* brush = w->mixingEditor()->findChild<QDoubleSpinBox*>();
    brush->setValue(0.7);
    QTest::mousePress(plot, Qt::LeftButton, {}, p);
    QTest::mouseRelease(plot, Qt::LeftButton, {}, p);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->mixingName, std::string("custom"));
    QCOMPARE(w->controller()->results()->mixing(2, 5), 0.7);

    w->controls()->blocksBox()->setValue(36);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->layout->m(), 36);
    w->controls()->temperatureBox()->setValue(2.0);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->lastError().isEmpty(), qPrintable(w->lastError()));
    QCOMPARE(w->controller()->analysedSession().temperature, 2.0);
    QCOMPARE(w->controller()->results()->layout->m(), 36);

    // A custom 𝓜 that no longer fits (a session file, a hand edit): dropped with a notice, never an
    // error that blocks every later analysis.
    Session bad = w->controller()->session();
    bad.customMixing = MatrixD::Identity(16, 16);
    w->controls()->setSession(bad);
    w->controller()->setSession(bad);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->layout->m(), 36);
    QVERIFY(w->controller()->session().customMixing.size() == 0);
    QVERIFY2(w->noticeText().contains("16×16") && w->findChild<QLabel*>("notices")->isVisible(), qPrintable(w->noticeText()));
  }

  // #7: a fast drag paints every cell on its path; a double-click does not paint before asking.
  void dragPaintsEveryCellOnThePath() {
    Session s = startSession();
    s.blocks = 16;
    auto w = openWindow(s);
    emit w->mixingEditor()->initChosen("identity");
    QVERIFY(waitIdle(*w));
    MixingEditor* e = w->mixingEditor();
    e->findChild<QDoubleSpinBox*>()->setValue(0.5);
    QWidget* plot = e->plot();
    // Row 3, from column 1 to 12 in two moves (five or more cells per event).
    QTest::mousePress(plot, Qt::LeftButton, {}, cellPixel(e, 3, 1));
    mouseMoveHeld(plot, cellPixel(e, 3, 7));
    mouseMoveHeld(plot, cellPixel(e, 3, 12));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, cellPixel(e, 3, 12));
    for (int b = 1; b <= 12; ++b) QCOMPARE(e->matrix()(3, b), 0.5);
    QCOMPARE(e->matrix()(3, 0), 0.0);
    QCOMPARE(e->matrix()(3, 13), 0.0);
    // A diagonal drag: each cell of the line.
    QTest::mousePress(plot, Qt::LeftButton, {}, cellPixel(e, 5, 5));
    mouseMoveHeld(plot, cellPixel(e, 10, 10));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, cellPixel(e, 10, 10));
    for (int k = 5; k <= 10; ++k) QCOMPARE(e->matrix()(k, k), 0.5);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->mixing(3, 7), 0.5);

    // Double-click: the prompt sees the value before the click and, when cancelled, nothing changed.
    const MatrixD before = w->controller()->session().customMixing;
    double asked = -1;
    e->setValuePrompt([&](int, int, double current) -> std::optional<double> {
      asked = current;
      return std::nullopt;
    });
    const QPoint c = cellPixel(e, 0, 9);
    QTest::mouseDClick(plot, Qt::LeftButton, {}, c);
    QCOMPARE(asked, 0.0);
    QCOMPARE(e->matrix()(0, 9), 0.0);
    QVERIFY(waitIdle(*w));
    QVERIFY(w->controller()->session().customMixing.rows() == before.rows() &&
            w->controller()->session().customMixing == before);
    e->setValuePrompt([&](int, int, double) -> std::optional<double> { return 0.25; });
    QTest::mouseDClick(plot, Qt::LeftButton, {}, c);
    QCOMPARE(e->matrix()(0, 9), 0.25);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->session().customMixing(0, 9), 0.25);
  }
  // #3: what the load did without being asked reaches the window: a text cut to the token budget,
  // bytes that are not UTF-8, an image scaled down.
  void inputNoticesAreShown() {
    QTemporaryDir dir;
    const QString longText = dir.filePath("long.txt");
    {
      QFile f(longText);
      QVERIFY(f.open(QIODevice::WriteOnly));
      for (int i = 0; i < 900; ++i) f.write("word ");
    }
    const QString binary = dir.filePath("blob.txt");
    {
      QFile f(binary);
      QVERIFY(f.open(QIODevice::WriteOnly));
      QByteArray b;
      for (int i = 0; i < 300; ++i) b.append(char(0x80 + (i * 37) % 120)).append('a');
      f.write(b);
    }
    const QString big = dir.filePath("big.png");
    QImage img(3000, 2000, QImage::Format_RGB32);
    img.fill(qRgb(40, 90, 160));
    QVERIFY(img.save(big));

    auto w = openWindow(startSession());
    QVERIFY(w->noticeText().isEmpty());
    QVERIFY(!w->findChild<QLabel*>("notices")->isVisible());
    w->openFile(longText);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->noticeText().contains("only the first 512"), qPrintable(w->noticeText()));
    QVERIFY(w->findChild<QLabel*>("notices")->isVisible());
    w->openFile(binary);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->noticeText().contains("U+FFFD"), qPrintable(w->noticeText()));
    w->openFile(big);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->noticeText().contains("3000×2000"), qPrintable(w->noticeText()));
    w->start(startSession());
    QVERIFY(waitIdle(*w));
    QVERIFY(w->noticeText().isEmpty());
    QVERIFY(!w->findChild<QLabel*>("notices")->isVisible());
  }
  // #2: a 512-token text scrolls, in the input view and in the maps; the query starts in view.
  void longTextScrolls() {
    QTemporaryDir dir;
    const QString path = dir.filePath("long.txt");
    {
      QFile f(path);
      QVERIFY(f.open(QIODevice::WriteOnly));
      for (int i = 0; i < 700; ++i) f.write(QByteArray("w") + QByteArray::number(i) + ' ');
    }
    auto w = openWindow(startSession(), QSize(1400, 900));
    w->openFile(path);
    QVERIFY(waitIdle(*w));
    QTest::qWait(50);
    const int n = w->controller()->results()->n;
    QCOMPARE(n, 512);
    const int q = w->controller()->results()->query;
    QVERIFY(q > 100);
    InputView* in = w->inputView();
    QVERIFY2(in->tokenInView(q), "the query is not in view in the input");
    QVERIFY(!in->tokenInView(n - 1));
    MapsPanel* maps = w->mapsPanel();
    QVERIFY2(maps->textTokenVisible(q), "the query is not in view in the maps");
    QVERIFY(!maps->textTokenVisible(n - 1));

    in->setFocus();
    QTest::keyClick(in, Qt::Key_End);
    QTest::qWait(20);
    QVERIFY(in->tokenInView(n - 1));
    QTest::keyClick(in, Qt::Key_Home);
    QTest::qWait(20);
    QVERIFY(in->tokenInView(0));
    QVERIFY(!in->tokenInView(n - 1));
    // Wheel on the input view scrolls its area.
    QWheelEvent wheel(QPointF(50, 50), in->mapToGlobal(QPointF(50, 50)), QPoint(), QPoint(0, -480),
                      Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(in, &wheel);
    QTest::qWait(20);
    QVERIFY(!in->tokenInView(0));

    QWidget* plot = maps->plot();
    plot->setFocus();
    QTest::keyClick(plot, Qt::Key_End);
    QVERIFY(maps->textTokenVisible(n - 1));
    QTest::keyClick(plot, Qt::Key_Home);
    QVERIFY(maps->textTokenVisible(0));
    QTest::keyClick(plot, Qt::Key_PageDown);
    QVERIFY(!maps->textTokenVisible(0));
    QWheelEvent up(QPointF(200, 200), plot->mapToGlobal(QPointF(200, 200)), QPoint(), QPoint(0, 120 * 50),
                   Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot, &up);
    QVERIFY(maps->textTokenVisible(0));
    // Pinning a token by key keeps it in view.
    in->setFocus();
    w->controller()->pin(n - 3);
    in->setPinned(n - 3);
    QTest::qWait(20);
    QVERIFY(in->tokenInView(n - 3));
    QVERIFY(waitIdle(*w));
    QVERIFY(maps->textTokenVisible(n - 3));
  }
  // #4: the metrics table shows whole headers and row names at the window's default size, and
  // shrinks its font before it elides (with "…") in a narrow panel.
  void metricsTableIsNotTruncated() {
    Session s = startSession();
    s.temperature = 2.0;
    auto w = openWindow(s, QSize(1580, 960));
    QCustomPlot* plot = w->metricsPanel()->plot();
    auto table = [&]() -> TableElement* {
      for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
        if (auto* t = dynamic_cast<TableElement*>(e)) return t;
      return nullptr;
    };
    QVERIFY(table());
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(table()->elidedCells(), 0);
    qInfo("metrics table at the default window: font scale %.2f (natural width %d px, panel %d px)",
          table()->fontScale(), table()->naturalWidth(), plot->width());
    plot->setMinimumSize(0, 0);
    plot->setFixedWidth(table()->naturalWidth() + 20);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(table()->fontScale(), 1.0);
    QCOMPARE(table()->elidedCells(), 0);
    // Narrower than its text: smaller font first, no elision while 70 % fits.
    const int natural = table()->naturalWidth();
    plot->setFixedWidth(natural * 85 / 100);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY2(table()->fontScale() < 1.0, qPrintable(QString::number(table()->fontScale())));
    QCOMPARE(table()->elidedCells(), 0);
    plot->setFixedWidth(natural / 3);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(table()->elidedCells() > 0);
  }
  // #5: the tick labels of the colour bars under the maps stay inside their own bar's cell: the
  // labels of neighbouring maps never meet and the last one is not clipped.
  void colourBarLabelsDoNotCollide() {
    for (QSize size : {QSize(1580, 960), QSize(1100, 800)}) {
      auto w = openWindow(startSession(), size);
      QCustomPlot* plot = w->mapsPanel()->plot();
      plot->replot(QCustomPlot::rpImmediateRefresh);
      std::vector<std::pair<double, double>> spans;  // each bar's label extent, in pixels
      for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        auto* scale = qobject_cast<QCPColorScale*>(e);
        if (!scale || scale->type() != QCPAxis::atBottom) continue;
        QCPAxis* ax = scale->axis();
        const QFontMetrics fm(ax->tickLabelFont());
        double lo = 1e9, hi = -1e9;
        const QVector<double> ticks = ax->tickVector();
        const QVector<QString> labels = ax->tickVectorLabels();
        QVERIFY(!ticks.isEmpty());
        for (int i = 0; i < ticks.size(); ++i) {
          const double x = ax->coordToPixel(ticks[i]);
          const double half = fm.horizontalAdvance(labels[i]) / 2.0;
          lo = std::min(lo, x - half);
          hi = std::max(hi, x + half);
        }
        QVERIFY2(lo >= scale->outerRect().left() - 1 && hi <= scale->outerRect().right() + 1,
                 qPrintable(QString("labels %1..%2 outside %3..%4").arg(lo).arg(hi)
                                .arg(scale->outerRect().left()).arg(scale->outerRect().right())));
        QVERIFY(hi <= plot->width());
        spans.emplace_back(lo, hi);
      }
      QCOMPARE(int(spans.size()), 3);
      std::sort(spans.begin(), spans.end());
      for (std::size_t k = 1; k < spans.size(); ++k) QVERIFY(spans[k].first > spans[k - 1].second + 2);
    }
  }
  // #8: the mixing axes fit the matrix: both run −0.5 … M−0.5 with the same ticks inside 0 … M−1,
  // the cells are square, the colour bar is as tall as the matrix, the title is not cut.
  void mixingAxesFitTheMatrix() {
    auto check = [](QCustomPlot* plot, int m) {
      QCPAxisRect* rect = plot->axisRect(0);
      QVERIFY(rect);
      QCPAxis* x = rect->axis(QCPAxis::atBottom);
      QCPAxis* y = rect->axis(QCPAxis::atLeft);
      for (QCPAxis* ax : {x, y}) {
        QCOMPARE(ax->range().lower, -0.5);
        QCOMPARE(ax->range().upper, m - 0.5);
        for (double t : ax->tickVector()) QVERIFY2(t >= 0 && t <= m - 1, qPrintable(QString::number(t)));
      }
      QCOMPARE(x->tickVector(), y->tickVector());
      QVERIFY2(std::abs(rect->width() - rect->height()) <= 2,
               qPrintable(QString("%1×%2").arg(rect->width()).arg(rect->height())));
      QVERIFY2(rect->outerRect().right() <= plot->width() && rect->outerRect().left() >= 0, qPrintable(QString("%1..%2 in %3").arg(rect->outerRect().left()).arg(rect->outerRect().right()).arg(plot->width())));
      for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        if (auto* scale = qobject_cast<QCPColorScale*>(e)) {
          QVERIFY2(std::abs(scale->rect().top() - rect->top()) <= 2 &&
                       std::abs(scale->rect().bottom() - rect->bottom()) <= 2,
                   qPrintable(QString("bar %1..%2, matrix %3..%4").arg(scale->rect().top())
                                  .arg(scale->rect().bottom()).arg(rect->top()).arg(rect->bottom())));
          QVERIFY(scale->outerRect().right() <= plot->width());
        }
        if (auto* text = qobject_cast<QCPTextElement*>(e)) {
          const int need = QFontMetrics(text->font()).horizontalAdvance(text->text());
          QVERIFY2(need <= text->outerRect().width() + 1, qPrintable(text->text()));
        }
      }
    };
    for (int m : {16, 36}) {
      Session s = startSession();
      s.blocks = m;
      auto w = openWindow(s);
      QCustomPlot* plot = w->mixingEditor()->plot();
      plot->replot(QCustomPlot::rpImmediateRefresh);
      check(plot, m);
      if (QTest::currentTestFailed()) return;
      // The same figure as an export draws it (wide and narrow).
      for (QSize size : {QSize(900, 420), QSize(380, 520), QSize(520, 380)}) {
        QCustomPlot p;
        p.resize(size);
        p.setViewport(QRect(QPoint(0, 0), size));  // as the figure composer lays it out
        buildMixingFigure(&p, *w->controller()->results(), w->controller()->session().view, FigureStyle{});
        p.replot(QCustomPlot::rpImmediateRefresh);
        fitAspect(&p);
        check(&p, m);
        if (QTest::currentTestFailed()) return;
      }
    }
  }
  // #9: the official normaliser's refusal names the M that work on this grid (equal windows), one
  // of those works, and after a refusal the combo shows what the maps show.
  void officialNormaliserHintAndComboTellTheTruth() {
    Session s = startSession();
    s.blocks = 16;
    auto w = openWindow(s);
    QCOMPARE(w->controller()->results()->layout->m(), 16);
    QComboBox* norm = nullptr;
    for (QComboBox* c : w->controls()->findChildren<QComboBox*>())
      if (c->findText("official") >= 0) norm = c;
    QVERIFY(norm);
    const int grid = w->controller()->results()->input->tokens.gridRows;
    const int cols = w->controller()->results()->input->tokens.gridCols;
    const std::vector<int> equal = BlockLayout::equalTilings(grid, cols);
    QVERIFY(equal.size() >= 2);
    const bool sixteenIsEqual = std::find(equal.begin(), equal.end(), 16) != equal.end();
    if (!sixteenIsEqual) {
      norm->setCurrentText("official");
      QVERIFY(waitIdle(*w));
      QVERIFY2(w->lastError().contains("equal windows on the"), qPrintable(w->lastError()));
      QVERIFY2(w->lastError().contains(QString("M = %1, %2").arg(equal[0]).arg(equal[1])), qPrintable(w->lastError()));
      QCOMPARE(norm->currentText(), QString("paper"));
      QVERIFY(w->controller()->session().normaliser == Normaliser::Paper);
    }
    // An M from the list works with the official normaliser.
    const int m = equal.back();
    w->controls()->blocksBox()->setValue(m);
    QVERIFY(waitIdle(*w));
    norm->setCurrentText("official");
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->layout->m(), m);
    QVERIFY(w->controller()->results()->layout->equalSizes());
    QVERIFY(w->controller()->analysedSession().normaliser == Normaliser::Official);
    QCOMPARE(norm->currentText(), QString("official"));
  }
  // #10: the spectra note names a control that exists, and raising it there brings the spectrum.
  void spectraNoteNamesARealSetting() {
    Session s = startSession();
    s.maxDenseN = 256;  // the sample image has N = 988 tokens
    auto w = openWindow(s);
    QLabel* note = nullptr;
    for (QLabel* l : w->spectraPanel()->findChildren<QLabel*>())
      if (l->isVisible() && !l->text().isEmpty()) note = l;
    QVERIFY(note);
    QVERIFY2(note->text().contains("dense spectra ≤ N"), qPrintable(note->text()));
    bool named = false;
    for (QLabel* l : w->controls()->findChildren<QLabel*>()) named |= l->text() == "dense spectra ≤ N";
    QVERIFY(named);
    QVERIFY(w->controller()->results()->mechanisms[0].spectra.empty());
    w->controls()->maxDenseNBox()->setValue(2048);
    QVERIFY(waitIdle(*w));
    QVERIFY(!w->controller()->results()->mechanisms[0].spectra.empty());
    QVERIFY(!note->isVisible() || !note->text().contains("dense spectra"));
  }

  // #11: a long message on the left never runs under the job read-out on the right.
  void statusMessagesDoNotOverprint() {
    auto w = openWindow(startSession(), QSize(1000, 700));
    const QString text = QString("a very long message about something that happened ").repeated(6);
    w->showStatus(text, 5000);
    w->controller()->startSweep(65536);
    QTest::qWait(100);
    QLabel* left = w->statusBar()->findChild<QLabel*>("statusMessage");
    QLabel* job = w->statusBar()->findChild<QLabel*>("jobStatus");
    QVERIFY(left && job && left->isVisible() && job->isVisible());
    QCOMPARE(w->statusText(), text);
    QVERIFY2(left->geometry().right() < job->geometry().left(),
             qPrintable(QString("%1 vs %2").arg(left->geometry().right()).arg(job->geometry().left())));
    for (QWidget* c : w->statusBar()->findChildren<QWidget*>())
      if (c != left && c->isVisible() && c->parentWidget() == w->statusBar())
        QVERIFY(!left->geometry().intersects(c->geometry()) || c == left);
    w->controller()->jobs()->cancel();
    QVERIFY(waitIdle(*w));
  }

  // #13: a lesson from a dirty state gives its documented state, shows what its caption says,
  // and Undo puts back what was there.
  void lessonsSetACompleteStateAndUndo() {
    Session dirty = startSession();
    dirty.featureMap = FeatureMapKind::Favor;
    dirty.temperature = 2.0;
    dirty.head = Session::kHeadMean;
    dirty.view.logScale = true;
    dirty.input.imageTokenBudget = 256;
    auto w = openWindow(dirty);
    const QJsonObject before = w->controller()->session().toJson();
    const auto presets = lessonPresets();
    QVERIFY(presets.size() >= 3);  // the rest are walked in test_teach.cpp
    QJsonObject afterFirst;
    for (int i = 1; i < 3; ++i) {  // (lesson 0 also starts the sweep at 4096 tokens: slow here)
      w->applyPreset(i);
      QVERIFY(waitIdle(*w));
      if (i == 1) afterFirst = w->controller()->session().toJson();
      Session expected = startSession();
      presets[i].apply(expected);
      Session got = w->controller()->session();
      got.query = got.queryRow = got.queryCol = -1;  // fitted to the input
      QCOMPARE(got.toJson(), expected.toJson());
      const Results& r = *w->controller()->results();
      if (i == 1) {  // identity mixing: MHLA's map is zero outside the query's block
        const VectorD& row = r.mechanisms[2].shownRow;
        for (int t = 0; t < r.n; ++t)
          if (r.layout->blockOf(t) != r.queryBlock) QCOMPARE(row[t], 0.0);
      } else {  // rank grows with M: MHLA's effective rank well above linear's
        QVERIFY(!r.mechanisms[1].spectra.empty() && !r.mechanisms[2].spectra.empty());
        const double lin = r.mechanisms[1].spectra[0].effectiveRank;
        const double mhla = r.mechanisms[2].spectra[0].effectiveRank;
        qInfo("rank lesson: effective rank linear %.1f, MHLA %.1f", lin, mhla);
        QVERIFY2(mhla > 2.0 * lin, qPrintable(QString("%1 vs %2").arg(mhla).arg(lin)));
      }
    }
    // Issue 27: Undo after chained lessons takes back one lesson (the one before is on screen
    // again, with its caption), not all of them; a second Undo gets back to where we were.
    auto* caption = w->findChild<QLabel*>(QStringLiteral("caption"));
    QVERIFY(caption);
    w->undoLesson();
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->session().toJson(), afterFirst);
    QVERIFY2(caption->isVisible() && caption->text().contains(presets[1].name), qPrintable(caption->text()));
    QVERIFY(w->isSessionModified());
    w->undoLesson();
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->session().toJson(), before);
    QVERIFY(!caption->isVisible());
    QVERIFY(!w->isSessionModified());
  }

  // #14: in mean-over-heads mode the spectra title does not name one head, and its legend's ranks
  // are the metrics table's (means over heads).
  void spectraInMeanModeAgreeWithTheMetrics() {
    Session s = startSession();
    s.head = Session::kHeadMean;
    auto w = openWindow(s);
    QCustomPlot* plot = w->spectraPanel()->plot();
    QString title;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
      if (auto* t = qobject_cast<QCPTextElement*>(e)) title = t->text();
    QVERIFY2(!title.contains("head 0"), qPrintable(title));
    QVERIFY2(title.contains("4 heads"), qPrintable(title));
    const Results& r = *w->controller()->results();
    QStringList names;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
      if (auto* legend = qobject_cast<QCPLegend*>(e))
        for (int i = 0; i < legend->itemCount(); ++i)
          if (auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i)))
            names << item->plottable()->name();
    QCOMPARE(names.size(), 3);
    for (int k = 0; k < 3; ++k) {
      double mean = 0;
      for (const Spectrum& sp : r.mechanisms[k].spectra) mean += sp.numericalRank;
      mean /= r.mechanisms[k].spectra.size();
      QVERIFY2(names[k].contains(QString("rank %1,").arg(mean, 0, 'f', 0)), qPrintable(names[k]));
    }
    QCOMPARE(plot->graphCount(), 3 * 4);  // every head's curve
  }
  // #15: choosing source "image" while a text is loaded asks for an image (never decodes the
  // text as one); cancelled, the combo shows what is loaded.
  void imageSourceWithATextLoadedAsksForAFile() {
    QTemporaryDir dir;
    const QString text = dir.filePath("notes");  // no extension: told apart by content
    {
      QFile f(text);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("a short text about attention maps and their blocks");
    }
    const QString png = dir.filePath("pic.png");
    QImage img(64, 48, QImage::Format_RGB32);
    img.fill(qRgb(200, 120, 40));
    QVERIFY(img.save(png));
    auto w = openWindow(startSession());
    w->openFile(text);
    QVERIFY(waitIdle(*w));
    QVERIFY(w->controller()->session().source.kind == SourceKind::Text);
    int asked = 0;
    QString answer;
    w->setOpenPathChooser([&](SourceKind kind) {
      ++asked;
      return kind == SourceKind::Image ? answer : QString();
    });
    w->controls()->sourceBox()->setCurrentText("image");
    QVERIFY(waitIdle(*w));
    QCOMPARE(asked, 1);
    QVERIFY2(w->lastError().isEmpty(), qPrintable(w->lastError()));
    QCOMPARE(w->controls()->sourceBox()->currentText(), QString("text"));
    QVERIFY(w->controller()->session().source.kind == SourceKind::Text);
    answer = png;
    w->controls()->sourceBox()->setCurrentText("image");
    QVERIFY(waitIdle(*w));
    QCOMPARE(asked, 2);
    QVERIFY(w->controller()->session().source.kind == SourceKind::Image);
    QCOMPARE(QString::fromStdString(w->controller()->session().source.path), png);
    QVERIFY(w->lastError().isEmpty());
    // The dialogs show extension-less files and the image kinds Qt reads here.
    QVERIFY(openFileFilter().startsWith("All files (*)"));
    for (const char* ext : {"*.png", "*.jpg", "*.gif", "*.bmp"}) QVERIFY(openFileFilter(SourceKind::Image).contains(ext));
  }

  // #17: cancelling (Esc) the analysis of a bigger load leaves the controls at what is on screen.
  void cancelledLoadKeepsTheControlsTrue() {
    auto w = openWindow(startSession());
    const int n0 = w->controller()->results()->n;
    const int budget0 = w->controls()->imageBudgetBox()->value();
    w->controls()->imageBudgetBox()->setValue(16384);
    QElapsedTimer t;
    t.start();
    // Wait until the bigger input is loaded and its analysis runs.
    while ((w->controller()->jobs()->busy("input") || !w->controller()->jobs()->busy("analysis")) &&
           t.elapsed() < 60000)
      QTest::qWait(5);
    QVERIFY(w->controller()->jobs()->busy("analysis"));
    QTest::keyClick(w.get(), Qt::Key_Escape);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->n, n0);
    QCOMPARE(w->controls()->imageBudgetBox()->value(), budget0);
    QCOMPARE(w->controller()->session().input.imageTokenBudget, budget0);
    // Later edits run on the input on screen.
    w->controls()->temperatureBox()->setValue(3.0);
    QVERIFY(waitIdle(*w));
    QCOMPARE(w->controller()->results()->n, n0);
    QCOMPARE(w->controller()->analysedSession().temperature, 3.0);
  }
  // Issue 27: the window opens on the settings table's defaults, as `render` does: one colour
  // scale per map in both (render shared one, the window had its own default).
  void windowAndRenderShareTheColourScaleDefault() {
    QCOMPARE(startSession().toJson(), Session{}.toJson());
    auto w = openWindow(startSession());
    int scales = 0;
    for (QCPLayoutElement* e : w->mapsPanel()->plot()->plotLayout()->elements(true))
      scales += qobject_cast<QCPColorScale*>(e) ? 1 : 0;
    QCOMPARE(scales, int(w->controller()->results()->mechanisms.size()));
    auto* box = w->controls()->findChild<QCheckBox*>(QStringLiteral("view.sharedScale"));
    QVERIFY(box && !box->isChecked());
  }

  // #16: presentation mode (F11) keeps the mixing colour bar's gradient and fits the window.
  // Issue 27 #4: and it enlarges the maps (they shrank under the 1.5× fonts): the view takes the
  // whole height, the bottom row one toggle away.
  void presentationModeFitsAndKeepsTheColourBar() {
    const QSize screenSize = QGuiApplication::primaryScreen()->availableGeometry().size();
    auto w = openWindow(startSession(), screenSize);  // normal mode on the screen presentation fills
    QTest::qWait(200);
    const QSize normal = smallestMap(w->mapsPanel()->plot());
    const QByteArray shots = qgetenv("ATTNSCOPE_SCREENSHOT_DIR");
    if (!shots.isEmpty()) w->grab().save(QString::fromLocal8Bit(shots) + "/normal-on-presentation-screen.png");
    w->setPresentationMode(true);
    QTest::qWait(200);
    QVERIFY(waitIdle(*w));
    QTest::qWait(100);
    const QSize shown = smallestMap(w->mapsPanel()->plot());
    qInfo("maps on a %dx%d screen: %dx%d px normal, %dx%d px in presentation mode", screenSize.width(),
          screenSize.height(), normal.width(), normal.height(), shown.width(), shown.height());
    // Never smaller than in normal mode (the bug); on a projector's 1280×720 (WindowPresentationTests
    // runs this test on one) well larger. The default offscreen screen (800×800) is narrower than
    // the window's minimum width, so there the maps only grow, by how much depends on that minimum
    // width (a wider window has larger maps in normal mode too).
    const double gain = screenSize.width() >= 1280 ? 1.6 : 1.0;
    QVERIFY2(shown.width() > gain * normal.width() && shown.height() > gain * normal.height(),
             qPrintable(QString("%1x%2 vs %3x%4").arg(shown.width()).arg(shown.height()).arg(normal.width()).arg(normal.height())));
    QVERIFY(w->panels()->viewFocused());
    if (!shots.isEmpty()) w->grab().save(QString::fromLocal8Bit(shots) + "/presentation-focused.png");
    w->panels()->focusViewAction()->setChecked(false);  // the bottom row, in presentation fonts
    QTest::qWait(200);
    const QSize screen = w->screen()->availableGeometry().size();
    const QByteArray dir = qgetenv("ATTNSCOPE_SCREENSHOT_DIR");
    if (!dir.isEmpty()) w->grab().save(QString::fromLocal8Bit(dir) + "/presentation.png");
    QVERIFY2(w->minimumSizeHint().width() <= screen.width() && w->minimumSizeHint().height() <= screen.height(),
             qPrintable(QString("%1×%2 on %3×%4").arg(w->minimumSizeHint().width()).arg(w->minimumSizeHint().height())
                            .arg(screen.width()).arg(screen.height())));
    for (QWidget* p : {static_cast<QWidget*>(w->mapsPanel()), static_cast<QWidget*>(w->mixingEditor()),
                       static_cast<QWidget*>(w->spectraPanel()), static_cast<QWidget*>(w->metricsPanel())}) {
      const QRect r(p->mapTo(w.get(), QPoint(0, 0)), p->size());
      QVERIFY2(QRect(QPoint(0, 0), w->size()).contains(r), qPrintable(p->metaObject()->className()));
    }
    // The colour bar of the mixing panel draws its gradient: many colours in its bar.
    QCustomPlot* plot = w->mixingEditor()->plot();
    QCPColorScale* scale = nullptr;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
      if (auto* c = qobject_cast<QCPColorScale*>(e)) scale = c;
    QVERIFY(scale);
    QVERIFY2(plot->axisRect(0)->width() > plot->width() / 4,
             qPrintable(QString("matrix %1 px wide in a %2 px panel").arg(plot->axisRect(0)->width()).arg(plot->width())));
    const QImage img = plot->toPixmap(plot->width(), plot->height()).toImage();
    QSet<QRgb> colours;
    const QRect bar = scale->rect();
    const int bx = bar.left() + scale->barWidth() / 2;  // the bar is at the rect's left (axis at right)
    for (int y = bar.top() + 2; y < bar.bottom() - 2; ++y) colours.insert(img.pixel(bx, y));
    QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
    w->setPresentationMode(false);
    QVERIFY(!w->panels()->viewFocused());
  }
  // Friction: the whole N×N map and the difference map as map modes; rows above the limit.
  void wholeMapAndDifferenceModes() {
    Session s = startSession();
    s.blocks = 16;
    s.mixing = "identity";
    auto w = openWindow(s);
    QVERIFY(!w->controller()->results()->mapMatrices);  // row mode computes none
    w->controls()->mapModeBox()->setCurrentText("matrix");
    QVERIFY(waitIdle(*w));
    auto res = w->controller()->results();
    QVERIFY(res->mapMatrices);
    const int n = res->n;
    QCOMPARE(int(res->mapMatrices->size()), 3);
    // The matrices are the rows of every query, as the row view shows them.
    auto state = w->controller()->state();
    for (int q : {0, n / 3, n - 1}) {
      const auto rows = state->rowsFor(q);
      for (int k = 0; k < 3; ++k)
        QVERIFY(((*res->mapMatrices)[k].row(q).cast<double>().transpose() - rows[k]).cwiseAbs().maxCoeff() < 1e-6);
    }
    QCustomPlot* plot = w->mapsPanel()->plot();
    int whole = 0;
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i)))
        whole += m->data()->keySize() == n && m->data()->valueSize() == n;
    QCOMPARE(whole, 3);
    // Identity mixing: MHLA's whole map in block order is block-diagonal.
    QCPColorMap* mhla = qobject_cast<QCPColorMap*>(plot->plottable(2));
    QVERIFY(mhla);
    const auto& off = res->layout->offsets();
    QCOMPARE(mhla->data()->cell(off[1], 0), 0.0);  // key in block 1, query in block 0
    QVERIFY(mhla->data()->cell(0, 0) > 0);
    // Difference: MHLA − softmax cell = their weights' difference.
    w->controls()->mapModeBox()->setCurrentText("difference");
    QVERIFY(waitIdle(*w));
    res = w->controller()->results();
    mhla = qobject_cast<QCPColorMap*>(plot->plottable(2));
    const auto& order = res->layout->order();
    const double want = (*res->mapMatrices)[2](order[5], order[7]) - (*res->mapMatrices)[0](order[5], order[7]);
    QVERIFY(std::abs(mhla->data()->cell(7, 5) - want) < 1e-6);
    // Hover over a whole map names the query and key tokens.
    QCPAxisRect* rect = mhla->keyAxis()->axisRect();
    {
      QMouseEvent move(QEvent::MouseMove, QPointF(rect->center()), plot->mapToGlobal(QPointF(rect->center())),
                       Qt::NoButton, Qt::NoButton, Qt::NoModifier);
      QApplication::sendEvent(plot, &move);
    }
    QVERIFY2(w->mapsPanel()->hoverText().contains("query token"), qPrintable(w->mapsPanel()->hoverText()));
    // Above the limit: rows (on a signed scale in difference mode).
    w->controls()->imageBudgetBox()->setValue(4096);
    QVERIFY(waitIdle(*w));
    res = w->controller()->results();
    QVERIFY(res->n > kMapMatrixMaxN);
    QVERIFY(!res->mapMatrices);
    const TokenSet& t = res->input->tokens;
    bool rowsShown = false;
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i)))
        rowsShown |= m->data()->keySize() == t.gridCols && m->dataRange().lower < 0;
    QVERIFY(rowsShown);
  }

  // Friction: with tied Q/K softmax is often one-hot on the query itself; the colour range
  // leaves the query's own weight out by default, so the map shows the other tokens.
  void colourRangeLeavesTheQueryOut() {
    Session s = startSession();
    auto w = openWindow(s);
    // A query whose softmax row peaks on itself (tied Q/K makes these common).
    auto state = w->controller()->state();
    int self = -1;
    for (int c = 0; c < state->n() && self < 0; c += 7) {
      const VectorD r = state->rowsFor(c)[0];
      Eigen::Index at = 0;
      r.maxCoeff(&at);
      if (at == c) self = c;
    }
    QVERIFY(self >= 0);
    w->controller()->pin(self);
    QVERIFY(waitIdle(*w));
    auto res = w->controller()->results();
    const VectorD& row = res->mechanisms[0].shownRow;
    const int q = res->query;
    QCOMPARE(q, self);
    double others = 0;
    for (int j = 0; j < row.size(); ++j)
      if (j != q) others = std::max(others, row[j]);
    auto top = [&] {
      for (QCPLayoutElement* e : w->mapsPanel()->plot()->plotLayout()->elements(true))
        if (auto* sc = qobject_cast<QCPColorScale*>(e); sc && sc->objectName().endsWith("-0")) return sc->dataRange().upper;
      return -1.0;
    };
    QVERIFY2(row[q] > others, "the sample query is not its own softmax peak: the test would not tell the modes apart");
    QVERIFY(std::abs(top() - others) < 1e-12);
    w->controls()->rangeWithoutQueryBox()->setChecked(false);
    QVERIFY(waitIdle(*w));
    QVERIFY(std::abs(top() - row.maxCoeff()) < 1e-12);
  }
  // Friction: .npy Q/K/V get their grid, off-grid tokens and labels in the window too.
  void npyInputHasGridControls() {
    QTemporaryDir dir;
    Rng rng(7);
    const int n = 1 + 6 * 8;  // a CLS token, then a 6×8 grid
    for (const char* name : {"q", "k", "v"})
      writeNpy(dir.filePath(QString("%1.npy").arg(name)).toStdString(), rng.normalMatrixD(n, 8));
    Session s = startSession();
    s.source.kind = SourceKind::Npy;
    s.source.qPath = dir.filePath("q.npy").toStdString();
    s.source.kPath = dir.filePath("k.npy").toStdString();
    s.source.vPath = dir.filePath("v.npy").toStdString();
    auto w = openWindow(s);
    QVERIFY2(w->lastError().isEmpty(), qPrintable(w->lastError()));
    ControlsPanel* c = w->controls();
    QVERIFY(c->npyGridRowsBox()->isVisible());
    QVERIFY(!w->controller()->results()->input->tokens.hasGrid());
    c->npyFirstTokenBox()->setValue(1);
    c->npyGridRowsBox()->setValue(6);
    c->npyGridColsBox()->setValue(8);
    QVERIFY(waitIdle(*w));
    QVERIFY2(w->lastError().isEmpty(), qPrintable(w->lastError()));
    const TokenSet& t = w->controller()->results()->input->tokens;
    QVERIFY(t.hasGrid());
    QCOMPARE(t.gridRows, 6);
    QCOMPARE(t.gridCols, 8);
    QCOMPARE(t.gridFirstToken, 1);
    QCOMPARE(w->controller()->results()->layout->kind(), BlockLayout::Kind::TwoD);
    // Other sources do not show the .npy rows.
    c->sourceBox()->setCurrentText("sample-image");
    QVERIFY(waitIdle(*w));
    QVERIFY(!c->npyGridRowsBox()->isVisible());
  }
  // Friction: an extreme aspect ratio (8000×40) is a strip: the input view and the maps zoom
  // (wheel) and pan (drag); all maps follow; a double-click resets.
  void imagesAndMapsZoomAndPan() {
    QTemporaryDir dir;
    const QString strip = dir.filePath("strip.png");
    QImage img(8000, 40, QImage::Format_RGB32);
    for (int x = 0; x < 8000; ++x)
      for (int y = 0; y < 40; ++y) img.setPixel(x, y, qRgb((x / 40) % 256, y * 6, 128));
    QVERIFY(img.save(strip));
    auto w = openWindow(startSession());
    w->openFile(strip);
    QVERIFY(waitIdle(*w));
    InputView* in = w->inputView();
    const QPointF c(in->width() / 2.0, in->height() / 2.0);
    const double before = in->tokenCentre(1).x() - in->tokenCentre(0).x();
    QWheelEvent zoomIn(c, in->mapToGlobal(c), QPoint(), QPoint(0, 120 * 6), Qt::NoButton, Qt::NoModifier,
                       Qt::NoScrollPhase, false);
    QApplication::sendEvent(in, &zoomIn);
    QVERIFY(in->zoom() > 3.5);
    const double after = in->tokenCentre(1).x() - in->tokenCentre(0).x();
    QVERIFY2(after > 3.5 * before, qPrintable(QString("%1 → %2 px per patch").arg(before).arg(after)));
    // The token under the cursor stays under it.
    const int under = in->tokenAt(c);
    QVERIFY(under >= 0);
    QTest::mouseDClick(in, Qt::LeftButton, {}, c.toPoint());
    QCOMPARE(in->zoom(), 1.0);

    QCustomPlot* plot = w->mapsPanel()->plot();
    std::vector<QCPColorMap*> maps;
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) maps.push_back(m);
    QCOMPARE(int(maps.size()), 3);
    const QCPRange x0 = maps[0]->keyAxis()->range();
    const QPoint at = maps[1]->keyAxis()->axisRect()->center();
    QWheelEvent mz(QPointF(at), plot->mapToGlobal(QPointF(at)), QPoint(), QPoint(0, 120 * 3), Qt::NoButton,
                   Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot, &mz);
    QTest::qWait(50);
    const QCPRange x1 = maps[0]->keyAxis()->range();
    QVERIFY2(x1.size() < 0.7 * x0.size(), qPrintable(QString("%1 → %2").arg(x0.size()).arg(x1.size())));
    for (QCPColorMap* m : maps) QCOMPARE(m->keyAxis()->range().size(), x1.size());  // all follow
    QCOMPARE(w->mapsPanel()->zoomRanges().first.size(), x1.size());
    QTest::mouseDClick(plot, Qt::LeftButton, {}, at);
    QTest::qWait(50);
    std::vector<QCPColorMap*> after2;
    for (int i = 0; i < plot->plottableCount(); ++i)
      if (auto* m = qobject_cast<QCPColorMap*>(plot->plottable(i))) after2.push_back(m);
    QCOMPARE(after2[0]->keyAxis()->range().size(), x0.size());
  }
};

QTEST_MAIN(WindowTests)
#include "test_window.moc"
