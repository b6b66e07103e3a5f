#include "gui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QTimer>
#include <QPainter>
#include <QLabel>
#include <QMessageBox>
#include <QMenuBar>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <tuple>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "attnscope/error.h"
#include "figures/metrics_figure.h"
#include "figures/spectra_figure.h"
#include "figures/timing_figure.h"
#include "gui/controls_panel.h"
#include "gui/figure_panel.h"
#include "gui/file_actions.h"
#include "gui/input_view.h"
#include "gui/maps_panel.h"
#include "gui/metrics_help.h"
#include "gui/mixing_editor.h"
#include "gui/model_bar.h"
#include "figures/model_figures.h"
#include "figures/mosaic.h"
#include "gui/presets.h"
#include "figures/sweep_figure.h"
#include "model/export.h"

namespace attnscope::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("attnscope — softmax | linear | MHLA[*]"));
  setAcceptDrops(true);
  input_ = new InputView(this);
  maps_ = new MapsPanel(this);
  mixing_ = new MixingEditor(this);
  spectra_ = new FigurePanel([](QCustomPlot* p, const Results& r, const FigureStyle& s) {
    buildSpectraFigure(p, r, s);
  }, this);
  timing_ = new FigurePanel([](QCustomPlot* p, const Results& r, const FigureStyle& s) {
    buildTimingFigure(p, r, s);
  }, this);
  sweep_ = new FigurePanel({}, this);
  metrics_ = new FigurePanel([](QCustomPlot* p, const Results& r, const FigureStyle& s) {
    buildMetricsFigure(p, r, s);
  }, this);
  metrics_->plot()->setToolTip(metricsHelpHtml());
  controls_ = new ControlsPanel(this);

  auto* retime = new QPushButton(tr("Re-time"), timing_);
  retime->setToolTip(tr(
      "Time the three forwards again (median of 5 runs) on the CPU and, when available, the GPU"));
  timing_->toolbar()->addWidget(retime);
  timing_->toolbar()->addStretch(1);
  connect(retime, &QPushButton::clicked, &controller_, &ExplorerController::computeTiming);
  auto* runSweep = new QPushButton(tr("Run scaling sweep"), sweep_);
  runSweep->setToolTip(tr("N = 256, 512, … until softmax takes over 1.5 s; cancel from the status bar"));
  sweep_->toolbar()->addWidget(runSweep);
  sweep_->toolbar()->addStretch(1);
  sweep_->setNote(tr("Press 'Run scaling sweep' to time the three mechanisms as N grows."));
  connect(runSweep, &QPushButton::clicked, this, [this] { controller_.startSweep(); });
  auto viewBuilder = [this](auto build) {
    return [this, build](QCustomPlot* p, const Results& r, const FigureStyle& st) {
      build(p, r, controller_.session().view, st);
    };
  };
  modelView_ = new FigurePanel(viewBuilder([](QCustomPlot* p, const Results& r, const ViewSettings& v,
                                              const FigureStyle& st) { buildModelViewFigure(p, r, v, st); }),
                               this);
  modelView_->plot()->setToolTip(tr("Click a cell to select its layer and head"));
  layerCurves_ = new FigurePanel([](QCustomPlot* p, const Results& r, const FigureStyle& st) {
    buildLayerCurvesFigure(p, r, st);
  }, this);
  rollout_ = new FigurePanel(viewBuilder([](QCustomPlot* p, const Results& r, const ViewSettings& v,
                                            const FigureStyle& st) { buildRolloutFigure(p, r, v, st); }),
                             this);
  clsMaps_ = new FigurePanel(viewBuilder([](QCustomPlot* p, const Results& r, const ViewSettings& v,
                                            const FigureStyle& st) { buildClsMapsFigure(p, r, v, st); }),
                             this);
  viewTabs_ = new QTabWidget(this);
  viewTabs_->setObjectName("viewTabs");
  viewTabs_->addTab(maps_, tr("Maps"));
  viewTabs_->addTab(modelView_, tr("Model view"));
  viewTabs_->addTab(layerCurves_, tr("Layer curves"));
  viewTabs_->addTab(rollout_, tr("Rollout"));
  viewTabs_->addTab(clsMaps_, tr("CLS maps"));
  modelBar_ = new ModelBar(this);
  modelBar_->hide();
  timingTabs_ = new QTabWidget(this);
  timingTabs_->addTab(timing_, tr("Timing (current N)"));
  timingTabs_->addTab(sweep_, tr("Scaling sweep"));

  caption_ = new QLabel(this);
  caption_->setWordWrap(true);
  caption_->setStyleSheet("background:#eef4ff; border:1px solid #b8c8e8; padding:4px;");
  caption_->setTextFormat(Qt::RichText);
  connect(caption_, &QLabel::linkActivated, this, [this](const QString& link) {
    if (link == QLatin1String("undo")) undoLesson();
  });
  caption_->hide();
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setStyleSheet("background:#fde8e8; color:#8a1010; border:1px solid #e0a0a0; padding:4px;");
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_->hide();
  notice_ = new QLabel(this);
  notice_->setObjectName("notices");
  notice_->setWordWrap(true);
  notice_->setStyleSheet("background:#fff7e0; color:#5a4400; border:1px solid #e6cf8a; padding:3px;");
  notice_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  notice_->hide();

  auto* top = new QSplitter(Qt::Horizontal, this);
  top->setObjectName("topSplitter");
  auto* inputScroll = new QScrollArea(this);
  inputScroll->setObjectName("inputScroll");
  inputScroll->setWidget(input_);
  inputScroll->setWidgetResizable(true);
  inputScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  inputScroll->setFrameShape(QFrame::NoFrame);
  top->addWidget(inputScroll);
  top->addWidget(viewTabs_);
  top->setStretchFactor(0, 1);
  top->setStretchFactor(1, 3);
  top->setSizes({330, 980});
  auto* right = new QSplitter(Qt::Vertical, this);
  right->setObjectName("rightSplitter");
  right->addWidget(timingTabs_);
  right->addWidget(metrics_);
  right->setSizes({300, 280});
  auto* bottom = new QSplitter(Qt::Horizontal, this);
  bottom->setObjectName("bottomSplitter");
  bottom->addWidget(mixing_);
  bottom->addWidget(spectra_);
  bottom->addWidget(right);
  bottom->setSizes({330, 400, 590});
  auto* vertical = new QSplitter(Qt::Vertical, this);
  vertical->setObjectName("mainSplitter");
  vertical->addWidget(top);
  vertical->addWidget(bottom);
  vertical->setSizes({340, 560});
  auto* central = new QWidget(this);
  auto* lay = new QVBoxLayout(central);
  lay->setContentsMargins(4, 4, 4, 4);
  lay->setSpacing(3);
  lay->addWidget(caption_);
  lay->addWidget(error_);
  lay->addWidget(notice_);
  lay->addWidget(modelBar_);
  lay->addWidget(vertical, 1);
  setCentralWidget(central);

  auto* dock = new QDockWidget(tr("Controls"), this);
  dock->setObjectName("controlsDock");
  auto* scroll = new QScrollArea(dock);
  scroll->setWidget(controls_);
  scroll->setWidgetResizable(true);
  scroll->setMinimumWidth(240);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  dock->setWidget(scroll);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  resizeDocks({dock}, {250}, Qt::Horizontal);

  buildMenus();
  buildStatusBar();

  // Controller → panels.
  connect(&controller_, &ExplorerController::analysisReady, this, [this](auto res) {
    const ViewSettings& view = controller_.session().view;
    input_->setResults(res);
    maps_->setResults(res, view);
    mixing_->setResults(res, view);
    mixing_->setInit(QString::fromStdString(controller_.session().mixing));
    for (FigurePanel* p : {spectra_, timing_, metrics_}) p->setResults(res);
    if (!res->modelViews)
      for (FigurePanel* p : {modelView_, layerCurves_, rollout_, clsMaps_}) p->setResults(res);
    refreshModelBar();
    // What the input load and the layout did without being asked (tokens.notices, layoutNote).
    QStringList notes;
    if (res->input)
      for (const std::string& n : res->input->tokens.notices)
        notes << QString::fromStdString(wordSettings(n, SettingWording::Control));
    if (!res->layoutNote.empty())
      notes << QString::fromStdString(wordSettings(res->layoutNote, SettingWording::Control));
    notice_->setText(notes.isEmpty() ? QString() : tr("Note: ") + notes.join(QStringLiteral("\n")));
    notice_->setToolTip(notice_->text());
    notice_->setVisible(!notes.isEmpty());
  });
  connect(&controller_, &ExplorerController::modelViewsReady, this, [this](auto res) {
    for (FigurePanel* p : {modelView_, layerCurves_, rollout_, clsMaps_}) p->setResults(res);
    refreshModelBar();
  });
  connect(&controller_, &ExplorerController::queryChanged, this, [this](auto res) {
    input_->setResults(res);
    maps_->setResults(res, controller_.session().view);
    mixing_->setResults(res, controller_.session().view);
  });
  connect(&controller_, &ExplorerController::extrasReady, this, [this](auto res) {
    for (FigurePanel* p : {spectra_, timing_, metrics_}) p->setResults(res);
  });
  connect(&controller_, &ExplorerController::spectraNote, spectra_, &FigurePanel::setNote);
  connect(&controller_, &ExplorerController::rowsReady, maps_, &MapsPanel::showRows);
  connect(&controller_, &ExplorerController::viewChanged, this, [this](const ViewSettings& v) {
    if (!controller_.results()) return;
    maps_->setResults(controller_.results(), v);
    mixing_->setResults(controller_.results(), v);
  });
  // A load may have reset a query or head the new input lacks (Session::fitToInput).
  connect(&controller_, &ExplorerController::inputLoaded, this, [this](int heads) {
    controls_->setSession(controller_.session());
    controls_->setNumHeads(heads);
    refreshModelBar();
  });
  connect(&controller_, &ExplorerController::error, this, &MainWindow::showError);
  // The session asked for a backend that cannot run here (a session file from a GPU machine): the
  // controller computes on eigen; the controls show that, and the status bar says why.
  connect(&controller_, &ExplorerController::backendFellBack, this, [this](const QString& why) {
    controls_->setSession(controller_.session());
    showStatus(why, 20000);
  });
  // A failed (or cancelled) load: the controller kept the previous input and session; so do the
  // controls, the modified flag and the session file name.
  connect(&controller_, &ExplorerController::sessionReverted, this, [this](const Session& s) {
    controls_->setSession(s);
    refreshModelBar();
    if (beforeOpen_) {
      sessionPath_ = beforeOpen_->sessionPath;
      setModified(beforeOpen_->modified);
      beforeOpen_.reset();
    }
  });
  connect(&controller_, &ExplorerController::inputLoaded, this, [this] { beforeOpen_.reset(); });
  connect(&controller_, &ExplorerController::sweepReady, this, [this](auto sweep) {
    const SweepResult& sw = *sweep;
    sweep_->setBuilder([sweep](QCustomPlot* p, const Results&, const FigureStyle& s) {
      buildSweepFigure(p, *sweep, s);
    });
    QStringList stopped;
    for (const SweepSeries& ser : sw.series)
      if (ser.stoppedEarly) stopped << (ser.backend == "cuda" ? tr("the GPU") : tr("the CPU"));
    sweep_->setNote(stopped.isEmpty() ? QString()
                    : sw.series.size() == 1
                        ? tr("Stopped where one softmax forward took over 1.5 s.")
                        : tr("Stopped %1 where one softmax forward took over 1.5 s.")
                              .arg(stopped.join(tr(" and "))));
    if (controller_.results()) sweep_->setResults(controller_.results());
    timingTabs_->setCurrentWidget(sweep_);
  });

  // Panels → controller.
  connect(input_, &InputView::tokenHovered, &controller_, &ExplorerController::hover);
  connect(input_, &InputView::tokenPinned, &controller_, &ExplorerController::pin);
  connect(maps_, &MapsPanel::tokenHovered, this, [this](const QString& s) {
    showStatus(s, 3000);
  });
  // An edit (one control's field, a mixing change) applies to the controller's session, which
  // holds the pinned query and what the last load fitted to the input; the controls then show
  // the result.
  auto edit = [this](const SessionEdit& f) { applyEdit(f); };
  connect(controls_, &ControlsPanel::edited, this, edit);
  // Source "image", "text" or "npy": the loaded file if it is of that kind, else ask for one;
  // cancelled, the combo goes back to what is loaded.
  connect(controls_, &ControlsPanel::fileSourceChosen, this, [this, edit](SourceKind kind) {
    const Session cur = controller_.session();
    if (cur.source.kind == kind) return;
    if (fileIsKind(QString::fromStdString(cur.source.path), kind)) {
      edit([kind](Session& s) {
        SessionSource src = s.source;
        src.kind = kind;
        s.setSource(src);
      });
      return;
    }
    const QString path = openPathChooser_ ? openPathChooser_(kind)
                                          : QFileDialog::getOpenFileName(this, tr("Open"), QString(), openFileFilter(kind));
    controls_->setSession(controller_.session());
    if (!path.isEmpty()) openFile(path);
  });
  connect(modelBar_, &ModelBar::edited, this, edit);
  connect(modelBar_, &ModelBar::closeModel, this, [edit] { edit([](Session& s) { s.model = SessionModel{}; }); });
  connect(viewTabs_, &QTabWidget::currentChanged, this, [this, edit](int i) {
    static const char* names[] = {"maps", "model-view", "layer-curves", "rollout", "cls-maps"};
    if (i < 0 || i > 4 || controller_.session().view.explorer.panel == names[i]) return;
    const std::string name = names[i];
    edit([name](Session& s) { s.view.explorer.panel = name; });
  });
  // A click on a model-view cell selects its layer and head.
  connect(modelView_->plot(), &QCustomPlot::mousePress, this, [this, edit](QMouseEvent* e) {
    const auto [layer, head] = mosaicCellAt(modelView_->plot(), e->position());
    if (layer < 0 || head < 0 || !controller_.session().model.active()) return;
    edit([layer = layer, head = head](Session& s) {
      s.model.layer = layer;
      s.head = head;
    });
  });
  for (auto [key, layerStep, headStep] : {std::tuple{Qt::Key_BracketLeft, -1, 0}, std::tuple{Qt::Key_BracketRight, 1, 0},
                                          std::tuple{Qt::Key_Comma, 0, -1}, std::tuple{Qt::Key_Period, 0, 1}}) {
    auto* sc = new QShortcut(QKeySequence(key), this);
    connect(sc, &QShortcut::activated, this, [this, l = layerStep, h = headStep] {
      if (l) stepLayer(l);
      if (h) stepHead(h);
    });
  }
  connect(mixing_, &MixingEditor::initChosen, this, [edit](const QString& name) {
    edit([&](Session& s) { s.setMixingInit(name.toStdString()); });
  });
  connect(mixing_, &MixingEditor::mixingEdited, this, [edit](const MatrixD& m) {
    edit([&](Session& s) { s.setCustomMixing(m); });
  });
  connect(mixing_, &MixingEditor::resetRequested, this,
          [edit] { edit([](Session& s) { s.resetMixing(); }); });
  connect(mixing_, &MixingEditor::mixingLoaded, this, [edit](const QString& path) {
    edit([&](Session& s) { s.setMixingFile(path.toStdString()); });
  });
  connect(mixing_, &MixingEditor::errorOccurred, this, &MainWindow::showError);

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  for (QSplitter* s : findChildren<QSplitter*>())
    s->restoreState(settings.value("window/" + s->objectName()).toByteArray());
  if (!settings.contains("window/geometry")) resize(1580, 960);
}

MainWindow::~MainWindow() = default;

QString MainWindow::noticeText() const { return notice_->text(); }

void MainWindow::start(const Session& session) {
  controls_->setSession(session);
  controller_.setSession(session);
  beforeOpen_.reset();
  setModified(false);
}

void MainWindow::applyEdit(const std::function<void(Session&)>& f) {
  Session s = controller_.session();
  f(s);
  error_->hide();
  setModified(true);
  controller_.setSession(s);
  controls_->setSession(controller_.session());
  refreshModelBar();
}

void MainWindow::refreshModelBar() {
  const Session& s = controller_.session();
  modelBar_->setVisible(s.model.active());
  if (s.model.active()) modelBar_->setSession(s, controller_.modelLayers(), controller_.modelHeads());
  showView(QString::fromStdString(s.view.explorer.panel));
}

void MainWindow::showView(const QString& panel) {
  static const char* names[] = {"maps", "model-view", "layer-curves", "rollout", "cls-maps"};
  for (int i = 0; i < 5; ++i)
    if (panel == QLatin1String(names[i]) && viewTabs_->currentIndex() != i) viewTabs_->setCurrentIndex(i);
}

void MainWindow::stepLayer(int delta) {
  const Session& s = controller_.session();
  const int layers = controller_.modelLayers();
  if (!s.model.active() || layers <= 0) return;
  const int cur = s.model.layer < 0 ? layers - 1 : s.model.layer;
  const int next = std::clamp(cur + delta, 0, layers - 1);
  if (next != cur) applyEdit([next](Session& x) { x.model.layer = next; });
}

void MainWindow::stepHead(int delta) {
  const Session& s = controller_.session();
  const int heads = controller_.modelHeads();
  if (heads <= 0) return;
  // −1 stands for the mean over heads, before head 0.
  const int cur = s.head >= 0 ? s.head : -1;
  const int next = std::clamp(cur + delta, -1, heads - 1);
  if (next != cur) applyEdit([next](Session& x) { x.head = next < 0 ? Session::kHeadMean : next; });
}

void MainWindow::openModel(const QString& path) {
  caption_->hide();
  beforeLesson_.reset();
  try {
    const Session s = sessionForModel(path, controller_.session());
    error_->hide();
    setModified(true);
    controls_->setSession(s);
    controller_.setSession(s);
    addRecent(path);
    refreshModelBar();
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::setModified(bool on) {
  modified_ = on;
  setWindowModified(on);
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open…"), QKeySequence::Open, this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, tr("Open"), QString(), openFileFilter());
    if (!p.isEmpty()) openFile(p);
  });
  file->addAction(tr("Open &model…"), QKeySequence(tr("Ctrl+Shift+O")), this, [this] {
    const QString p = QFileDialog::getExistingDirectory(
        this, tr("Open model: a checkpoint folder (config.json + *.safetensors)"));
    if (!p.isEmpty()) openModel(p);
  });
  recentMenu_ = file->addMenu(tr("Open &recent"));
  refreshRecentMenu();
  file->addSeparator();
  file->addAction(tr("&Save session…"), QKeySequence::Save, this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, tr("Save session"), "session.json",
                                                   tr("Session (*.json)"));
    if (!p.isEmpty()) saveSessionTo(p);
  });
  file->addAction(tr("&Load session…"), this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, tr("Load session"), QString(),
                                                   tr("Session (*.json)"));
    if (!p.isEmpty()) loadSessionFrom(p);
  });
  file->addSeparator();
  QMenu* exp = file->addMenu(tr("&Export figure"));
  exp->addAction(tr("Whole view…"), QKeySequence(tr("Ctrl+E")), this, [this] { exportFigureDialog(allPanels()); });
  std::vector<Panel> exportable = allPanels();
  for (Panel p : {Panel::ModelView, Panel::LayerCurves, Panel::Rollout, Panel::ClsMaps}) exportable.push_back(p);
  for (Panel p : exportable)
    exp->addAction(tr("Panel: %1…").arg(QString::fromStdString(toString(p))), this,
                   [this, p] { exportFigureDialog({p}); });
  file->addAction(tr("Export &data…"), this, &MainWindow::exportDataDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* blocks = view->addAction(tr("Show MHLA &blocks on the input"));
  blocks->setCheckable(true);
  blocks->setChecked(true);
  connect(blocks, &QAction::toggled, input_, &InputView::setShowBlocks);
  QAction* tint = view->addAction(tr("&Tint blocks by the query's mixing weights"));
  tint->setObjectName("tintBlocks");
  tint->setCheckable(true);
  tint->setChecked(false);  // outlines only by default: a photo keeps its colours
  connect(tint, &QAction::toggled, input_, &InputView::setTintBlocks);
  QAction* pres = view->addAction(tr("&Presentation mode"));
  pres->setCheckable(true);
  pres->setShortcut(QKeySequence(Qt::Key_F11));
  connect(pres, &QAction::toggled, this, &MainWindow::setPresentationMode);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(tr("Recompute &spectra"), &controller_, &ExplorerController::computeSpectra);
  run->addAction(tr("Re-&time"), &controller_, &ExplorerController::computeTiming);
  run->addAction(tr("Scaling s&weep"), this, [this] { controller_.startSweep(); });
  run->addAction(tr("&Cancel all jobs"), QKeySequence(Qt::Key_Escape), this,
                 [this] { controller_.jobs()->cancel(); });

  QMenu* lessons = menuBar()->addMenu(tr("&Lessons"));
  const auto presets = lessonPresets();
  for (int i = 0; i < int(presets.size()); ++i)
    lessons->addAction(presets[i].name, this, [this, i] { applyPreset(i); });
  lessons->addSeparator();
  lessons->addAction(tr("Hide caption"), this, [this] {
    caption_->hide();
    beforeLesson_.reset();
  });
}

namespace {
/// A label that draws its text elided to its width (a long message never runs under the
/// status bar's permanent widgets); the full text is its tooltip.
class ElidedLabel : public QLabel {
 public:
  using QLabel::QLabel;
  QSize minimumSizeHint() const override { return QSize(10, QLabel::minimumSizeHint().height()); }
  QSize sizeHint() const override { return QSize(10, QLabel::sizeHint().height()); }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    const QRect r = contentsRect();
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
  }
};
}  // namespace

void MainWindow::showStatus(const QString& message, int ms) {
  status_->setText(message);
  status_->setToolTip(message);
  status_->update();
  statusTimer_->start(ms);
}

QString MainWindow::statusText() const { return status_->text(); }

void MainWindow::buildStatusBar() {
  status_ = new ElidedLabel(this);
  status_->setObjectName("statusMessage");
  status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  statusBar()->addWidget(status_, 1);
  statusTimer_ = new QTimer(this);
  statusTimer_->setSingleShot(true);
  connect(statusTimer_, &QTimer::timeout, this, [this] {
    status_->clear();
    status_->setToolTip(QString());
  });
  jobLabel_ = new QLabel(tr("ready"), this);
  jobLabel_->setObjectName("jobStatus");
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setMaximumWidth(220);
  progress_->hide();
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->hide();
  statusBar()->addPermanentWidget(jobLabel_);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, [this] { controller_.jobs()->cancel(); });
  JobRunner* jobs = controller_.jobs();
  connect(jobs, &JobRunner::started, this, [this](const QString&, const QString& title) {
    jobLabel_->setText(title + "…");
    progress_->setValue(0);
    progress_->show();
    cancel_->show();
  });
  connect(jobs, &JobRunner::progress, this, [this](const QString&, const QString& title, double f) {
    jobLabel_->setText(title + "…");
    progress_->setValue(static_cast<int>(f * 1000));
  });
  connect(jobs, &JobRunner::finished, this,
          [this, jobs](const QString&, const QString& title, JobOutcome outcome, const QString& msg) {
            if (jobs->busy()) return;
            progress_->hide();
            cancel_->hide();
            const QString what = outcome == JobOutcome::Cancelled ? tr("cancelled") : msg;
            jobLabel_->setText(outcome == JobOutcome::Done ? tr("ready")
                                                           : (title.isEmpty() ? what : title + ": " + what));
          });
}

void MainWindow::showError(const QString& text) {
  // A setting the core or the model names ({compute.maxDenseN}) is worded as its control.
  const QString message = QString::fromStdString(wordSettings(text.toStdString(), SettingWording::Control));
  lastError_ = message;
  error_->setText(tr("⚠ %1").arg(message));
  error_->show();
  showStatus(message, 8000);
}

void MainWindow::openFile(const QString& path) {
  if (isModelPath(path)) {
    openModel(path);
    return;
  }
  caption_->hide();  // a lesson's caption belongs to the lesson's input, not to the next one
  beforeLesson_.reset();
  try {
    QString k, v;
    const FileKind kind = classifyFile(path);  // by content; throws FileError naming a missing file
    if (kind == FileKind::Npy) {
      k = QFileDialog::getOpenFileName(this, tr("K for %1").arg(QFileInfo(path).fileName()),
                                       QFileInfo(path).path(), tr("NumPy (*.npy)"));
      if (k.isEmpty()) return;
      v = QFileDialog::getOpenFileName(this, tr("V for %1").arg(QFileInfo(path).fileName()),
                                       QFileInfo(path).path(), tr("NumPy (*.npy)"));
      if (v.isEmpty()) return;
    }
    Session s = sessionForFile(path, controller_.session(), k, v);
    error_->hide();
    // A session whose model is gone opens without it, keeping everything else, and says so.
    QString gone;
    if (kind == FileKind::Session && s.model.active() && !QFileInfo::exists(QString::fromStdString(s.model.path))) {
      gone = tr("%1: the model %2 is gone; opened the session without it (the rest is as saved)")
                 .arg(path, QString::fromStdString(s.model.path));
      s.model = SessionModel{};
    }
    if (kind == FileKind::Session) {
      // Opening a session file makes it the clean state; an image or text keeps the settings
      // (and whether they were saved).
      if (!beforeOpen_) beforeOpen_ = BeforeOpen{modified_, sessionPath_};
      sessionPath_ = path;
      setModified(false);
    }
    controls_->setSession(s);
    controller_.setSession(s);
    addRecent(path);
    if (!gone.isEmpty()) showError(gone);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::saveSessionTo(const QString& path) {
  try {
    saveSession(controller_.session(), path);
    sessionPath_ = path;
    setModified(false);
    addRecent(path);
    showStatus(tr("saved %1").arg(path), 4000);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::loadSessionFrom(const QString& path) { openFile(path); }

bool MainWindow::exportFigureTo(const QString& path, std::vector<Panel> panels, int dpi) {
  if (panels.empty()) panels = allPanels();
  try {
    FigureStyle style;  // exports use the print style, not the presentation scale
    exportFigure(controller_.results(), controller_.session().view, panels, path, dpi, style);
    showStatus(tr("exported %1").arg(path), 4000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
}

void MainWindow::exportFigureDialog(std::vector<Panel> panels) {
  QString selected;
  const QString p = QFileDialog::getSaveFileName(this, tr("Export figure"), "attnscope.png",
                                                 tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"),
                                                 &selected);
  if (p.isEmpty()) return;
  int dpi = 150;
  if (p.endsWith(".png", Qt::CaseInsensitive)) {
    bool ok = false;
    dpi = QInputDialog::getInt(this, tr("PNG resolution"), tr("DPI:"), 150, 48, 600, 1, &ok);
    if (!ok) return;
  }
  exportFigureTo(p, panels, dpi);
}

void MainWindow::exportDataDialog() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Export data into folder"));
  if (!dir.isEmpty()) exportDataTo(dir);
}

QStringList MainWindow::exportDataTo(const QString& dir) {
  if (!controller_.results()) {
    showError(tr("nothing to export yet: the analysis has not finished"));
    return {};
  }
  try {
    const QStringList files = exportResults(*controller_.results(), dir,
                                            dataExportOptions(*controller_.results()));
    showStatus(tr("wrote %1 files into %2").arg(files.size()).arg(dir), 5000);
    return files;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return {};
  }
}

void MainWindow::applyPreset(int index) {
  const auto presets = lessonPresets();
  if (index < 0 || index >= int(presets.size())) return;
  // A complete, known state (presets.h), so the lesson shows what its caption says whatever
  // was on screen; the state before is kept for Undo.
  if (!beforeLesson_) beforeLesson_ = std::make_pair(controller_.session(), modified_);
  const Session s = lessonSession(index, controller_.session());
  caption_->setText(QStringLiteral("<b>%1.</b> %2 &nbsp;<a href=\"undo\">Undo lesson</a>")
                        .arg(presets[index].name, presets[index].caption));
  caption_->show();
  error_->hide();
  setModified(true);
  controls_->setSession(s);
  controller_.setSession(s);
  if (presets[index].runSweep) controller_.startSweep(16384);
}

void MainWindow::undoLesson() {
  if (!beforeLesson_) return;
  const auto [s, modified] = *beforeLesson_;
  beforeLesson_.reset();
  caption_->hide();
  controls_->setSession(s);
  controller_.setSession(s);
  setModified(modified);
}

void MainWindow::applyStyle() {
  for (MapsPanel* m : {maps_}) m->setStyle(style_);
  mixing_->setStyle(style_);
  for (FigurePanel* p : {spectra_, timing_, sweep_, metrics_}) {
    p->setStyle(style_);
    p->redraw();
  }
  if (auto res = controller_.results()) {
    maps_->setResults(res, controller_.session().view);
    mixing_->setResults(res, controller_.session().view);
  }
}

void MainWindow::setPresentationMode(bool on) {
  if (on == presentation_) return;
  presentation_ = on;
  QFont f = QApplication::font();
  f.setPointSizeF(on ? f.pointSizeF() * 1.5 : f.pointSizeF() / 1.5);
  QApplication::setFont(f);
  style_.scale = on ? 1.5 : 1.0;
  // The figures get the room: the controls dock steps aside (1.5× fonts would make the window
  // wider than a projector's screen) and comes back as it was.
  if (auto* dock = findChild<QDockWidget*>("controlsDock")) {
    if (on) {
      dockWasVisible_ = dock->isVisible();
      dock->hide();
    } else if (dockWasVisible_) {
      dock->show();
    }
  }
  applyStyle();
  if (on)
    showFullScreen();
  else
    showNormal();
}

void MainWindow::addRecent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("recentFiles").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > 10) recent.removeLast();
  settings.setValue("recentFiles", recent);
  refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
  if (!recentMenu_) return;
  recentMenu_->clear();
  const QStringList recent = QSettings().value("recentFiles").toStringList();
  for (const QString& p : recent) recentMenu_->addAction(p, this, [this, p] { openFile(p); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  const auto urls = e->mimeData()->urls();
  if (!urls.isEmpty() && urls[0].isLocalFile()) openFile(urls[0].toLocalFile());
}

bool MainWindow::saveBeforeClose() {
  QString path = sessionPath_;
  if (path.isEmpty()) {
    path = savePathChooser_ ? savePathChooser_()
                            : QFileDialog::getSaveFileName(this, tr("Save session"), "session.json",
                                                           tr("Session (*.json)"));
    if (path.isEmpty()) return false;
  }
  saveSessionTo(path);
  return !modified_;  // saveSessionTo clears it only when the file was written
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (modified_) {
    UnsavedChoice choice = UnsavedChoice::Cancel;
    if (unsavedPrompt_) {
      choice = unsavedPrompt_();
    } else {
      const auto b = QMessageBox::warning(
          this, tr("Unsaved session"),
          tr("The session has changes that are not saved. Save them before closing?"),
          QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
      choice = b == QMessageBox::Save      ? UnsavedChoice::Save
               : b == QMessageBox::Discard ? UnsavedChoice::Discard
                                           : UnsavedChoice::Cancel;
    }
    if (choice == UnsavedChoice::Cancel || (choice == UnsavedChoice::Save && !saveBeforeClose())) {
      e->ignore();
      return;
    }
  }
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  for (QSplitter* s : findChildren<QSplitter*>())
    settings.setValue("window/" + s->objectName(), s->saveState());
  controller_.jobs()->cancel();
  QMainWindow::closeEvent(e);
}

}  // namespace attnscope::gui
