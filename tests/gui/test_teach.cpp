// Issue 28 #2–#3: the Teach tab and the lessons, from the keyboard alone. Every lesson is opened by
// its shortcut (Ctrl+1 …), its stated numbers are measured on the window's results, the Teach tab
// (Ctrl+T) is walked stage by stage for every mechanism (→ ← ↑ ↓, space plays), and Ctrl+0 leaves
// the lesson with the user's session restored. The steps panel's PDF has one page per stage, and
// `render --panels steps` draws a stage and writes the slides.
#include <QAction>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <qcustomplot.h>

#include "figures/figure_composer.h"
#include "figures/panels.h"
#include "figures/steps_figure.h"
#include "gui/controls_panel.h"
#include "gui/figure_panel.h"
#include "gui/main_window.h"
#include "gui/panel_host.h"
#include "gui/presets.h"
#include "model/analysis.h"
#include "model/step_trace.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;
using namespace attnscope::gui::waits;

namespace {

/// The PDF's pages: its /Type /Page objects (not /Pages).
int pdfPages(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return -1;
  const QString text = QString::fromLatin1(f.readAll());
  return int(text.count(QRegularExpression(QStringLiteral(R"(/Type\s*/Page(?![s\w]))"))));
}

/// The steps panel's title (its first text element: "Step k of K · …").
QString stepsTitle(MainWindow& w) {
  for (QCPLayoutElement* e : w.panel(Panel::Steps)->plot()->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) return t->text();
  return {};
}

void key(MainWindow& w, Qt::Key k, Qt::KeyboardModifiers mods = Qt::NoModifier) {
  QTest::keyClick(&w, k, mods);
  QVERIFY(waitIdle(w));
}

}  // namespace

class TeachTests : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName("attnscope-tests");
    QSettings().clear();
  }

  // Every lesson's caption numbers hold on its sample, computed by the one analysis path (what
  // `compute` and the window run), with metrics and spectra.
  void everyLessonsClaimHolds() {
    const auto presets = lessonPresets();
    QVERIFY(presets.size() >= 5);
    for (int i = 0; i < int(presets.size()); ++i) {
      if (!presets[i].claim) continue;
      const Session s = lessonSession(i, startSession());
      auto input = std::make_shared<const Input>(loadSessionInput(s));
      AnalysisOptions o;
      o.spectra = o.metrics = true;
      const auto res = analyse(s, input, o);
      const LessonClaim c = presets[i].claim(*res);
      qInfo("lesson %d (%s): %s", i + 1, qPrintable(presets[i].name), qPrintable(c.measured));
      QVERIFY2(c.holds, qPrintable(presets[i].name + ": " + c.measured));
    }
  }

  // The locality lesson's caption also states what 'cos' and a smaller M give on the same sample:
  // measured here on those sessions (the lesson's own numbers are its claim's).
  void localityLessonsOtherNumbersHold() {
    const auto presets = lessonPresets();
    int index = -1;
    for (int i = 0; i < int(presets.size()); ++i)
      if (presets[i].name == QStringLiteral("Locality you can see")) index = i;
    QVERIFY(index >= 0);
    QVERIFY(presets[index].caption.contains(QStringLiteral("(0.977 against 0.978)")));
    QVERIFY(presets[index].caption.contains(QStringLiteral("at M = 16 only 9 %")));
    auto run = [&](const std::function<void(Session&)>& change) {
      Session s = lessonSession(index, startSession());
      change(s);
      auto input = std::make_shared<const Input>(loadSessionInput(s));
      AnalysisOptions o;
      o.spectra = false;
      return analyse(s, input, o);
    };
    const auto cos = run([](Session& s) { s.setMixingInit("cos"); });
    QCOMPARE(QString::number(lessonEntropy(*cos, "mhla"), 'f', 3), QStringLiteral("0.977"));
    QCOMPARE(QString::number(lessonEntropy(*cos, "linear"), 'f', 3), QStringLiteral("0.978"));
    const auto m16 = run([](Session& s) { s.setBlocks(16); });
    QCOMPARE(qRound(100 * lessonWeightNear(*m16, "mhla", kLessonNearRadius)), 9);
  }

  // The teacher's demo with the keyboard alone: each lesson by its shortcut, its numbers on the
  // window's results, the Teach tab stepped through every stage of every mechanism, play and
  // pause, then Ctrl+0 gives back the session from before.
  void keyboardWalkThroughLessonsAndSteps() {
    Session mine = startSession();
    mine.input.imageTokenBudget = 256;
    mine.featureMap = FeatureMapKind::Elu1;
    auto w = std::make_unique<MainWindow>();
    w->resize(1500, 950);
    w->show();
    w->start(mine);
    QVERIFY(waitIdle(*w));
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    const QJsonObject before = w->controller()->session().toJson();
    auto* caption = w->findChild<QLabel*>(QStringLiteral("caption"));
    QVERIFY(caption);
    const auto presets = lessonPresets();
    for (int i = 0; i < int(presets.size()); ++i) {
      if (presets[i].runSweep) {  // the sweep at 4096 tokens is slow here: its shortcut only
        QVERIFY(w->findChild<QAction*>(QStringLiteral("lesson%1").arg(i)));
        continue;
      }
      key(*w, Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
      QVERIFY(waitResultsIdle(*w));
      QVERIFY2(caption->isVisible() && caption->text().contains(presets[i].name), qPrintable(caption->text()));
      Session expected = lessonSession(i, startSession());
      Session got = w->controller()->session();
      got.query = got.queryRow = got.queryCol = -1;
      QCOMPARE(got.toJson(), expected.toJson());
      if (presets[i].claim) {
        const LessonClaim c = presets[i].claim(*w->controller()->results());
        QVERIFY2(c.holds, qPrintable(presets[i].name + ": " + c.measured));
      }
      // Ctrl+T: the Teach tab; ← → through every stage of every mechanism (↓ for the next one).
      key(*w, Qt::Key_T, Qt::ControlModifier);
      QCOMPARE(w->viewTabs()->currentWidget(), static_cast<QWidget*>(w->panel(Panel::Steps)));
      QVERIFY(w->panels()->viewFocused());  // Teach mode: the tab has the whole height
      auto* counter = w->findChild<QLabel*>(QStringLiteral("stepCounter"));
      QVERIFY(counter);
      // The Xvfb screenshot pass (ATTNSCOPE_SCREENSHOT_DIR): the Teach tab as each lesson opens it.
      const QString shots = qEnvironmentVariable("ATTNSCOPE_SCREENSHOT_DIR");
      if (!shots.isEmpty()) w->grab().save(QStringLiteral("%1/teach-lesson%2.png").arg(shots).arg(i + 1));
      for (int mech = 0; mech < 3; ++mech) {
        const std::string id = w->controller()->session().view.stepMechanism;
        const int count = stepCount(*w->controller()->results(), w->controller()->session().view);
        QVERIFY2(count >= 4, id.c_str());
        // From wherever the lesson left it, back to the first stage.
        for (int k = 0; k < count; ++k) key(*w, Qt::Key_Left);
        for (int k = 0; k < count; ++k) {
          QCOMPARE(w->controller()->session().view.step, k);
          QCOMPARE(counter->text(), QStringLiteral("stage %1 / %2").arg(k + 1).arg(count));
          QVERIFY2(stepsTitle(*w).startsWith(QStringLiteral("Step %1 of %2").arg(k + 1).arg(count)),
                   qPrintable(stepsTitle(*w)));
          key(*w, Qt::Key_Right);
        }
        QCOMPARE(w->controller()->session().view.step, count - 1);  // → stops at the last stage
        key(*w, Qt::Key_Down);
        QVERIFY(w->controller()->session().view.stepMechanism != id);
        QCOMPARE(w->controller()->session().view.step, 0);
      }
      // Space plays (a timer steps on its own) and pauses.
      auto* timer = w->panel(Panel::Steps)->findChild<QTimer*>(QStringLiteral("stepTimer"));
      QVERIFY(timer);
      key(*w, Qt::Key_Space);
      QVERIFY(timer->isActive());
      QTRY_VERIFY_WITH_TIMEOUT(w->controller()->session().view.step >= 1, 5000);
      key(*w, Qt::Key_Space);
      QVERIFY(!timer->isActive());
    }
    // Ctrl+0 leaves the lessons, one at a time, back to the session from before.
    for (int i = 0; i < int(presets.size()) && caption->isVisible(); ++i) key(*w, Qt::Key_0, Qt::ControlModifier);
    QVERIFY(waitIdle(*w));
    QVERIFY(!caption->isVisible());
    QCOMPARE(w->controller()->session().toJson(), before);
    // Elsewhere than the Teach tab, ← → and space are not taken by the steps, and the bottom row
    // is back as it was.
    w->showView(QStringLiteral("maps"));
    QVERIFY(!w->panels()->viewFocused());
    const int step = w->controller()->session().view.step;
    key(*w, Qt::Key_Right);
    QCOMPARE(w->controller()->session().view.step, step);
  }

  // The M slider moves MHLA's M through the spin box's edit (the one path) and follows it.
  void mSliderSetsTheBlocks() {
    auto w = std::make_unique<MainWindow>();
    w->resize(1500, 950);
    w->show();
    Session s = startSession();
    s.input.imageTokenBudget = 256;
    w->start(s);
    QVERIFY(waitIdle(*w));
    auto* slider = w->controls()->findChild<QSlider*>(QStringLiteral("mhla.blocks.slider"));
    QVERIFY(slider);
    slider->setValue(9);
    QVERIFY(waitResultsIdle(*w));
    QCOMPARE(w->controller()->session().blocks, 9);
    QCOMPARE(w->controls()->blocksBox()->value(), 9);
    QCOMPARE(w->controller()->results()->layout->m(), 9);
    w->controls()->blocksBox()->setValue(4);
    QVERIFY(waitIdle(*w));
    QCOMPARE(slider->value(), 4);
  }

  // The steps panel as slides: one PDF page per stage (the export path render and the window
  // share), and a single page when a stage is asked for.
  void stepsPdfHasOnePagePerStage() {
    Session s = startSession();
    s.input.imageTokenBudget = 64;
    auto input = std::make_shared<const Input>(loadSessionInput(s));
    const auto res = analyse(s, input, AnalysisOptions{false, false, false});
    QTemporaryDir dir;
    for (const char* id : {"softmax", "linear", "mhla"}) {
      ViewSettings v = s.view;
      v.stepMechanism = id;
      const int stages = int(traceSteps(*res, id).stages.size());
      const QString path = dir.filePath(QStringLiteral("%1.pdf").arg(id));
      const FigureWritten wrote = exportFigureFile(res, v, {Panel::Steps}, path, 150, FigureStyle{}, 1500);
      QCOMPARE(wrote.pages, stages);
      QCOMPARE(pdfPages(path), stages);
      v.step = 1;
      exportFigureFile(res, v, {Panel::Steps}, path, 150, FigureStyle{}, 1500);
      QCOMPARE(pdfPages(path), 1);
    }
  }

  void renderDrawsAStageAndSlides() {
    const QString bin = qEnvironmentVariable("ATTNSCOPE_BIN");
    if (bin.isEmpty()) QSKIP("ATTNSCOPE_BIN is not set");
    QTemporaryDir dir;
    QProcess p;
    const QString png = dir.filePath("stage.png"), pdf = dir.filePath("slides.pdf");
    p.start(bin, {"render", "--tokens", "64", "--panels", "steps", "--step-mechanism", "mhla", "--step", "3",
                  "--out", png});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QVERIFY(!QImage(png).isNull());
    p.start(bin, {"render", "--tokens", "64", "--panels", "steps", "--step-mechanism", "linear", "--out", pdf});
    QVERIFY(p.waitForFinished(120000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(p.exitCode() == 0, qPrintable(err));
    QCOMPARE(pdfPages(pdf), 4);
    QVERIFY2(err.contains("4 pages"), qPrintable(err));
    // A bad stage or mechanism is a usage error with the range or the choices.
    p.start(bin, {"render", "--tokens", "64", "--panels", "steps", "--step", "100", "--out", png});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    p.start(bin, {"render", "--tokens", "64", "--panels", "steps", "--step-mechanism", "rnn", "--out", png});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("softmax"));
  }
};

QTEST_MAIN(TeachTests)
#include "test_teach.moc"
