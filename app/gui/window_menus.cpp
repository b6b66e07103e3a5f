#include "gui/window_menus.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QInputDialog>
#include <QMenu>
#include <QMenuBar>

#include "gui/figure_panel.h"
#include "gui/file_actions.h"
#include "gui/help_menu.h"
#include "gui/input_view.h"
#include "gui/main_window.h"
#include "gui/panel_host.h"
#include "gui/presets.h"

namespace attnscope::gui {

namespace {
/// Asks where (and for a PNG at what DPI) and exports `panels` of what is on screen.
void exportFigureDialog(MainWindow* w, std::vector<Panel> panels) {
  const QString p = QFileDialog::getSaveFileName(w, QObject::tr("Export figure"), "attnscope.png",
                                                 QObject::tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
  if (p.isEmpty()) return;
  int dpi = 150;
  if (p.endsWith(".png", Qt::CaseInsensitive)) {
    bool ok = false;
    dpi = QInputDialog::getInt(w, QObject::tr("PNG resolution"), QObject::tr("DPI:"), 150, 48, 600, 1, &ok);
    if (!ok) return;
  }
  w->exportFigureTo(p, panels, dpi);
}
}  // namespace

void buildWindowMenus(MainWindow& w) {
  ExplorerController& controller = *w.controller();
  MainWindow* self = &w;
  QMenu* file = w.menuBar()->addMenu(QObject::tr("&File"));
  file->addAction(QObject::tr("&Open…"), QKeySequence::Open, self, [self] {
    const QString p = QFileDialog::getOpenFileName(self, QObject::tr("Open"), QString(), openFileFilter());
    if (!p.isEmpty()) self->openFile(p);
  });
  file->addAction(QObject::tr("Open &model…"), QKeySequence(QObject::tr("Ctrl+Shift+O")), self, [self] {
    const QString p = QFileDialog::getExistingDirectory(self, QObject::tr("Open model: a checkpoint folder (config.json + *.safetensors)"));
    if (!p.isEmpty()) self->openModel(p);
  });
  QMenu* sampleModels = file->addMenu(QObject::tr("Open sample mo&del"));
  sampleModels->setObjectName(QStringLiteral("sampleModelMenu"));
  sampleModels->addAction(QObject::tr("&Text model (GPT-2 layout, on the sample text)"), self,
                          [self] { self->openSampleModel(SampleModel::Text); })
      ->setObjectName(QStringLiteral("openSampleModelText"));
  sampleModels->addAction(QObject::tr("&Image model (ViT layout, on a held-out shapes image)"), self,
                          [self] { self->openSampleModel(SampleModel::Image); })
      ->setObjectName(QStringLiteral("openSampleModelImage"));
  w.sessionFile()->setRecentMenu(file->addMenu(QObject::tr("Open &recent")), [self](const QString& p) { self->openFile(p); });
  file->addSeparator();
  file->addAction(QObject::tr("&Save session…"), QKeySequence::Save, self, [self] {
    const QString p = QFileDialog::getSaveFileName(self, QObject::tr("Save session"), "session.json", QObject::tr("Session (*.json)"));
    if (!p.isEmpty()) self->saveSessionTo(p);
  });
  file->addAction(QObject::tr("&Load session…"), self, [self] {
    const QString p = QFileDialog::getOpenFileName(self, QObject::tr("Load session"), QString(), QObject::tr("Session (*.json)"));
    if (!p.isEmpty()) self->loadSessionFrom(p);
  });
  file->addSeparator();
  QMenu* exp = file->addMenu(QObject::tr("&Export figure"));
  exp->addAction(QObject::tr("Whole view…"), QKeySequence(QObject::tr("Ctrl+E")), self, [self] { exportFigureDialog(self, allPanels()); });
  for (const PanelDescriptor& d : attnscope::panels())  // every panel but the sweep (it needs a run first)
    if (!(d.needs & (panel_needs::Sweep | panel_needs::KvSweep | panel_needs::Sensitivity)))
      exp->addAction(QObject::tr("Panel: %1…").arg(QString::fromStdString(d.id())), self, [self, p = d.panel] { exportFigureDialog(self, {p}); });
  file->addAction(QObject::tr("Export &data…"), self, [self] {
    const QString dir = QFileDialog::getExistingDirectory(self, QObject::tr("Export data into folder"));
    if (!dir.isEmpty()) self->exportDataTo(dir);
  });
  file->addSeparator();
  // Ctrl+Q as well as the platform's Quit keys: some key schemes bind none (Windows', and the one
  // of a platform without a desktop theme: offscreen, a bare X server), so Ctrl+Q did nothing there.
  QAction* quit = file->addAction(QObject::tr("&Quit"), self, &QWidget::close);
  QList<QKeySequence> quitKeys = QKeySequence::keyBindings(QKeySequence::Quit);
  if (!quitKeys.contains(QKeySequence(Qt::CTRL | Qt::Key_Q))) quitKeys << QKeySequence(Qt::CTRL | Qt::Key_Q);
  quit->setShortcuts(quitKeys);
  quit->setObjectName(QStringLiteral("quit"));

  QMenu* view = w.menuBar()->addMenu(QObject::tr("&View"));
  auto toggle = [&](const QString& text, const char* name, bool on, auto slot) {
    QAction* a = view->addAction(text);
    a->setObjectName(QLatin1String(name));
    a->setCheckable(true);
    a->setChecked(on);
    QObject::connect(a, &QAction::toggled, self, slot);
    return a;
  };
  toggle(QObject::tr("Show MHLA &blocks on the input"), "showBlocks", true, [self](bool on) { self->inputView()->setShowBlocks(on); });
  // Outlines only by default: a photo keeps its colours.
  toggle(QObject::tr("&Tint blocks by the query's mixing weights"), "tintBlocks", false, [self](bool on) { self->inputView()->setTintBlocks(on); });
  // The controls dock, closed by its × or hidden by presentation mode, comes back from here.
  if (auto* dock = w.findChild<QDockWidget*>(QStringLiteral("controlsDock"))) view->addAction(dock->toggleViewAction());
  view->addAction(w.panels()->focusViewAction());
  // The Teach tab from the keyboard (issue 28 #2): ← → step, space plays there.
  QAction* teach = view->addAction(QObject::tr("&Teach: step through the formulas"), self, [self] {
    self->showView(QStringLiteral("steps"));
    if (FigurePanel* steps = self->panel(Panel::Steps)) steps->setFocus(Qt::ShortcutFocusReason);
  });
  teach->setObjectName(QStringLiteral("teach"));
  teach->setShortcut(QKeySequence(QObject::tr("Ctrl+T")));
  toggle(QObject::tr("&Presentation mode"), "presentation", false, [self](bool on) { self->setPresentationMode(on); })
      ->setShortcut(QKeySequence(Qt::Key_F11));

  QMenu* run = w.menuBar()->addMenu(QObject::tr("&Run"));
  run->addAction(QObject::tr("Recompute &spectra"), &controller, &ExplorerController::computeSpectra);
  run->addAction(QObject::tr("Re-&time"), &controller, &ExplorerController::computeTiming);
  run->addAction(QObject::tr("Survey every &layer"), &controller, &ExplorerController::surveyNow);
  run->addAction(QObject::tr("Scaling s&weep"), self, [&controller] { controller.startSweep(); });
  run->addAction(QObject::tr("Low-rank &K/V sweep"), self, [&controller] { controller.startKvSweep(); });
  run->addAction(QObject::tr("Layer sensitivity (&linear)"), self, [&controller] { controller.startSensitivity("linear"); });
  run->addAction(QObject::tr("Layer sensitivity (&MHLA)"), self, [&controller] { controller.startSensitivity("mhla"); });
  run->addAction(QObject::tr("Layer sensitivity (MHLA, &fitted 𝓜)"), self,
                 [&controller] { controller.startSensitivity("mhla-fitted"); });
  run->addAction(QObject::tr("&Cancel all jobs"), QKeySequence(Qt::Key_Escape), self, [&controller] { controller.jobs()->cancel(); });

  QMenu* lessons = w.menuBar()->addMenu(QObject::tr("&Lessons"));
  const auto presets = lessonPresets();
  for (int i = 0; i < int(presets.size()); ++i) {
    QAction* a = lessons->addAction(presets[i].name, self, [self, i] { self->applyPreset(i); });
    a->setObjectName(QStringLiteral("lesson%1").arg(i));
    if (i < 9) a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));  // Ctrl+1 … Ctrl+9
  }
  QAction* undo = lessons->addAction(QObject::tr("&Leave lesson (restore my session)"), self, [self] { self->undoLesson(); });
  undo->setObjectName(QStringLiteral("leaveLesson"));
  undo->setShortcut(QKeySequence(QObject::tr("Ctrl+0")));
  lessons->addSeparator();
  lessons->addAction(QObject::tr("Hide caption"), self, [self] { self->hideLesson(); });
  addHelpMenu(w);
}

}  // namespace attnscope::gui
