// Issue 22 #4: a panel is one registerPanel() call. This file adds "query-profile" (each
// mechanism's row for the pinned query, one line per mechanism, as a tab of the view area) and
// nothing else in the project knows it; it must show up everywhere a panel does: render's
// --panels (help, errors, PNG and SVG, laid out with the built-in panels), the window (a view tab
// fed the results, chosen tabs kept in the session file, the export menu, a figure export).
#include <QAction>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <iostream>
#include <qcustomplot.h>
#include <sstream>

#include "attnscope/error.h"
#include "cli_in_process.h"
#include "figures/figure_composer.h"
#include "figures/panels.h"
#include "gui/figure_panel.h"
#include "gui/main_window.h"
#include "model/analysis.h"
#include "model/pipeline.h"
#include "window_waits.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {

const Panel kProfile{"query-profile"};
std::atomic<int> builds{0};

/// The builder: one graph per mechanism, x = token, y = the shown row of the query.
void buildProfile(QCustomPlot* plot, const Results& r, const ViewSettings&, const FigureStyle& style) {
  ++builds;
  plot->clearGraphs();
  plot->plotLayout()->clear();
  auto* rect = new QCPAxisRect(plot);
  plot->plotLayout()->addElement(0, 0, rect);
  for (const MechanismResult& m : r.mechanisms) {
    QCPGraph* g = plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    g->setName(QString::fromStdString(m.name));
    g->setPen(QPen(QColor::fromRgb(m.rgb), style.px(1.5)));
    for (Eigen::Index i = 0; i < m.shownRow.size(); ++i) g->addData(double(i), m.shownRow(i));
  }
  rect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("key token"));
  rect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("weight of the query's row"));
  plot->rescaleAxes();
}

using attnscope::testing::CliRun;
CliRun runCli(const QStringList& args) { return attnscope::testing::runCliInProcess(args); }

}  // namespace

class NewPanelTest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    PanelDescriptor d;
    d.panel = kProfile;
    d.title = QStringLiteral("Query profile");
    d.help = "each mechanism's row of the query as a curve";
    d.place = PanelPlace::Below;
    d.dock = PanelDock::ViewTab;
    d.build = buildProfile;
    registerPanel(std::move(d));
  }

  void cleanupTestCase() {
    unregisterPanel(kProfile.id());
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, panelDescriptor(kProfile));
  }

  void registrationIsChecked() {
    PanelDescriptor again;
    again.panel = kProfile;
    again.build = buildProfile;
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerPanel(again));
    PanelDescriptor noBuilder;
    noBuilder.panel = Panel("other");
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerPanel(noBuilder));
    PanelDescriptor badId;
    badId.panel = Panel("Query Profile");
    badId.build = buildProfile;
    QVERIFY_THROWS_EXCEPTION(InvalidArgument, registerPanel(badId));
    QVERIFY(parsePanels("maps,query-profile") == (std::vector<Panel>{Panel::Maps, kProfile}));
    QVERIFY(!isModelPanel(kProfile));
    const WorkPlan plan = planForPanels({kProfile});  // it needs no spectra, timing or survey
    QVERIFY(!plan.analysis.spectra && !plan.analysis.timing && !plan.survey && !plan.sweep);
  }

  void renderDrawsItWithTheOthers() {
    const CliRun help = runCli({"render", "--help"});
    QCOMPARE(help.code, 0);
    QVERIFY2(help.out.contains("query-profile (each mechanism's row of the query as a curve)"), qPrintable(help.out));
    const CliRun bad = runCli({"render", "--sample", "text", "--panels", "maps,profile", "--out", dir_.filePath("x.png")});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("unknown panel 'profile'") && bad.err.contains("query-profile"), qPrintable(bad.err));

    QSize withSize, withoutSize;
    for (const QString& ext : {QStringLiteral("png"), QStringLiteral("svg")}) {
      const QString out = dir_.filePath("fig." + ext);
      const int before = builds;
      const CliRun r = runCli({"render", "--sample", "text", "--tokens", "48", "--panels", "maps,query-profile",
                               "--dpi", "60", "--out", out});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      QVERIFY(builds > before);
      QVERIFY(QFile(out).size() > 1000);
      if (ext == "svg") QVERIFY(QFile(out).open(QIODevice::ReadOnly));
    }
    // The composer places it under the maps: the figure is taller with it than without.
    Session s;
    s.source.kind = SourceKind::SampleText;
    s.input.textTokenBudget = 48;
    auto input = std::make_shared<const Input>(loadSessionInput(s));
    const auto res = analyse(s, input, planForPanels({Panel::Maps}).analysis);
    const FigureComposer with(res, s.view, {Panel::Maps, kProfile}, FigureStyle{}, 1000);
    const FigureComposer without(res, s.view, {Panel::Maps}, FigureStyle{}, 1000);
    QCOMPARE(with.size().width(), without.size().width());
    QVERIFY(with.size().height() > without.size().height() + 300);
  }

  void theWindowShowsItAsAViewTab() {
    MainWindow w;
    w.resize(1500, 950);
    w.show();
    int tab = -1;
    for (int i = 0; i < w.viewTabs()->count(); ++i)
      if (w.viewTabs()->tabText(i) == QLatin1String("Query profile")) tab = i;
    QVERIFY(tab > 0);
    FigurePanel* panel = w.panel(kProfile);
    QVERIFY(panel != nullptr);
    QCOMPARE(w.viewTabs()->widget(tab), static_cast<QWidget*>(panel));

    Session s;
    s.source.kind = SourceKind::SampleText;
    s.input.textTokenBudget = 64;
    w.start(s);
    QVERIFY(waits::waitResultsIdle(w));
    QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
    // Fed the analysis: a curve per mechanism over the 64 tokens, the query's row.
    const auto res = w.controller()->results();
    QCOMPARE(panel->plot()->graphCount(), static_cast<int>(res->mechanisms.size()));
    QCOMPARE(panel->plot()->graph(0)->data()->size(), 64);
    QCOMPARE(panel->plot()->graph(0)->data()->at(res->query)->value, res->mechanisms[0].shownRow(res->query));
    // A new query pinned: the curve follows.
    const int q = res->query == 3 ? 4 : 3;
    w.controller()->pin(q);
    QVERIFY(waits::waitIdle(w));
    QCOMPARE(panel->plot()->graph(0)->data()->at(q)->value, w.controller()->results()->mechanisms[0].shownRow(q));

    // Choosing its tab is the session's view; a saved session opens on it.
    w.viewTabs()->setCurrentIndex(tab);
    QCOMPARE(w.controller()->session().view.explorer.panel, kProfile.id());
    const QString saved = dir_.filePath("profile-session.json");
    w.saveSessionTo(saved);
    QCOMPARE(loadSession(saved).view.explorer.panel, kProfile.id());
    w.viewTabs()->setCurrentIndex(0);
    w.loadSessionFrom(saved);
    QVERIFY(waits::waitResultsIdle(w));
    QCOMPARE(w.viewTabs()->currentIndex(), tab);

    // File ▸ Export figure lists it, and exports it alone.
    bool listed = false;
    for (QAction* a : w.menuBar()->findChildren<QAction*>())
      if (a->text() == QString::fromUtf8("Panel: query-profile…")) listed = true;
    QVERIFY(listed);
    const QString png = dir_.filePath("profile.png");
    QVERIFY2(w.exportFigureTo(png, {kProfile}, 96), qPrintable(w.lastError()));
    QVERIFY(QFile(png).size() > 1000);
    w.controller()->jobs()->cancel();
    QVERIFY(waits::waitIdle(w));
  }
};

QTEST_MAIN(NewPanelTest)
#include "test_new_panel.moc"
