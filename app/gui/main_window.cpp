#include "gui/main_window.h"

#include <algorithm>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMimeData>
#include <QScrollArea>
#include <QScrollBar>
#include <QShortcut>
#include <tuple>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "attnscope/error.h"
#include "gui/controls_panel.h"
#include "gui/figure_panel.h"
#include "gui/file_actions.h"
#include "gui/input_view.h"
#include "gui/maps_panel.h"
#include "gui/mixing_editor.h"
#include "gui/model_bar.h"
#include "gui/panel_extras.h"
#include "gui/panel_host.h"
#include "gui/presets.h"
#include "gui/setting_controls.h"
#include "gui/status_area.h"
#include "gui/window_menus.h"
#include "model/export.h"

namespace attnscope::gui {

namespace {
/// The controls' scroll area: at least as wide as the controls need beside the vertical scroll
/// bar, so the dock never cuts a control at its edge (issue 27: the combo boxes lost their arrows).
class FitWidthScrollArea : public QScrollArea {
 public:
  using QScrollArea::QScrollArea;
  QSize minimumSizeHint() const override {
    QSize s = QScrollArea::minimumSizeHint();
    const int need = widget() ? widget()->minimumSizeHint().width() + verticalScrollBar()->sizeHint().width() +
                                    2 * frameWidth()
                              : 0;
    s.setWidth(std::max({s.width(), 240, need}));
    return s;
  }
};
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("attnscope — softmax | linear | MHLA[*]"));
  setAcceptDrops(true);
  host_ = new PanelHost(controller_, this);
  controls_ = new ControlsPanel(this);
  modelBar_ = new ModelBar(this);
  modelBar_->hide();
  auto line = [this](const char* name, const char* style) {
    auto* l = new QLabel(this);
    l->setObjectName(QLatin1String(name));
    l->setWordWrap(true);
    l->setStyleSheet(QLatin1String(style));
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->hide();
    return l;
  };
  caption_ = line("caption", "background:#eef4ff; border:1px solid #b8c8e8; padding:4px;");
  caption_->setTextFormat(Qt::RichText);
  caption_->setTextInteractionFlags(Qt::LinksAccessibleByMouse);
  connect(caption_, &QLabel::linkActivated, this, [this](const QString& link) {
    if (link == QLatin1String("undo")) undoLesson();
  });
  error_ = line("error", "background:#fde8e8; color:#8a1010; border:1px solid #e0a0a0; padding:4px;");
  notice_ = line("notices", "background:#fff7e0; color:#5a4400; border:1px solid #e6cf8a; padding:3px;");
  auto* central = new QWidget(this);
  auto* lay = new QVBoxLayout(central);
  lay->setContentsMargins(4, 4, 4, 4);
  lay->setSpacing(3);
  for (QWidget* w : std::initializer_list<QWidget*>{caption_, error_, notice_, modelBar_}) lay->addWidget(w);
  lay->addWidget(host_, 1);
  setCentralWidget(central);

  auto* dock = new QDockWidget(tr("Controls"), this);
  dock->setObjectName("controlsDock");
  auto* scroll = new FitWidthScrollArea(dock);
  scroll->setObjectName("controlsScroll");
  scroll->setWidget(controls_);
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  dock->setWidget(scroll);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  resizeDocks({dock}, {250}, Qt::Horizontal);
  file_ = new SessionFile(this);
  buildWindowMenus(*this);
  status_ = new StatusArea(statusBar(), controller_.jobs());

  // Controller → window (the panels are the host's).
  connect(&controller_, &ExplorerController::analysisReady, this, [this](auto res) {
    refreshModelBar();
    showNotices(*res);
  });
  connect(&controller_, &ExplorerController::modelViewsReady, this, [this] { refreshModelBar(); });
  // A load may have reset a query or head the new input lacks (Session::fitToInput).
  connect(&controller_, &ExplorerController::inputLoaded, this, [this](int heads) {
    controls_->setSession(controller_.session());
    controls_->setNumHeads(heads);
    refreshModelBar();
    file_->loaded();
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
    file_->failed();
  });

  // Panels and controls → session. An edit (one control's field, a mixing change) applies to the
  // controller's session, which holds the pinned query and what the last load fitted to the
  // input; the controls then show the result.
  auto edit = [this](const SessionEdit& f) { applyEdit(f); };
  connect(host_->maps(), &MapsPanel::tokenHovered, this, [this](const QString& s) { showStatus(s, 3000); });
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
  connect(host_, &PanelHost::viewChosen, this, [this, edit](const std::string& id) {
    if (controller_.session().view.explorer.panel != id) edit([id](Session& s) { s.view.explorer.panel = id; });
  });
  addPanelExtras(*host_, controller_, edit);
  for (auto [key, layerStep, headStep] : {std::tuple{Qt::Key_BracketLeft, -1, 0}, std::tuple{Qt::Key_BracketRight, 1, 0},
                                          std::tuple{Qt::Key_Comma, 0, -1}, std::tuple{Qt::Key_Period, 0, 1}}) {
    auto* sc = new QShortcut(QKeySequence(key), this);
    connect(sc, &QShortcut::activated, this, [this, l = layerStep, h = headStep] {
      if (l) stepLayer(l);
      if (h) stepHead(h);
    });
  }
  MixingEditor* mixing = host_->mixing();
  connect(mixing, &MixingEditor::initChosen, this, [edit](const QString& name) {
    edit([&](Session& s) { s.setMixingInit(name.toStdString()); });
  });
  connect(mixing, &MixingEditor::mixingEdited, this, [edit](const MatrixD& m) { edit([&](Session& s) { s.setCustomMixing(m); }); });
  connect(mixing, &MixingEditor::resetRequested, this, [edit] { edit([](Session& s) { s.resetMixing(); }); });
  connect(mixing, &MixingEditor::mixingLoaded, this, [edit](const QString& path) {
    edit([&](Session& s) { s.setMixingFile(path.toStdString()); });
  });
  connect(mixing, &MixingEditor::errorOccurred, this, &MainWindow::showError);

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  for (QSplitter* s : findChildren<QSplitter*>())
    s->restoreState(settings.value("window/" + s->objectName()).toByteArray());
  if (!settings.contains("window/geometry")) resize(1580, 960);
}

MainWindow::~MainWindow() = default;

QString MainWindow::noticeText() const { return notice_->text(); }
InputView* MainWindow::inputView() const { return host_->inputView(); }
MapsPanel* MainWindow::mapsPanel() const { return host_->maps(); }
MixingEditor* MainWindow::mixingEditor() const { return host_->mixing(); }
QTabWidget* MainWindow::viewTabs() const { return host_->viewTabs(); }
FigurePanel* MainWindow::panel(const Panel& p) const { return host_->figure(p); }
void MainWindow::showStatus(const QString& message, int ms) { status_->show(message, ms); }
QString MainWindow::statusText() const { return status_->text(); }
void MainWindow::showView(const QString& panel) { host_->showView(panel.toStdString()); }
void MainWindow::loadSessionFrom(const QString& path) { openFile(path); }

void MainWindow::start(const Session& session) {
  setSession(session);
  file_->loaded();
  file_->setModified(false);
}

void MainWindow::setSession(const Session& s) {
  controls_->setSession(s);
  controller_.setSession(s);
  refreshModelBar();  // the model bar and the session's view tab (a session that changes only the view)
}

void MainWindow::applyEdit(const std::function<void(Session&)>& f) {
  Session s = controller_.session();
  f(s);
  error_->hide();
  file_->setModified(true);
  controller_.setSession(s);
  controls_->setSession(controller_.session());
  refreshModelBar();
}

void MainWindow::refreshModelBar() {
  const Session& s = controller_.session();
  modelBar_->setVisible(s.model.active());
  if (s.model.active()) modelBar_->setSession(s, controller_.modelLayers(), controller_.modelHeads());
  host_->showView(s.view.explorer.panel);
}

void MainWindow::showNotices(const Results& res) {
  // What the input load and the layout did without being asked (tokens.notices, layoutNote).
  QStringList notes;
  if (res.input)
    for (const std::string& n : res.input->tokens.notices)
      notes << QString::fromStdString(wordSettings(n, SettingWording::Control));
  if (!res.layoutNote.empty()) notes << QString::fromStdString(wordSettings(res.layoutNote, SettingWording::Control));
  notice_->setText(notes.isEmpty() ? QString() : tr("Note: ") + notes.join(QStringLiteral("\n")));
  notice_->setToolTip(notice_->text());
  notice_->setVisible(!notes.isEmpty());
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
  const int heads = controller_.modelHeads();
  if (heads <= 0) return;
  // −1 stands for the mean over heads, before head 0.
  const int cur = std::max(controller_.session().head, -1);
  const int next = std::clamp(cur + delta, -1, heads - 1);
  if (next != cur) applyEdit([next](Session& x) { x.head = next < 0 ? Session::kHeadMean : next; });
}

void MainWindow::showError(const QString& text) {
  // A setting the core or the model names ({compute.maxDenseN}) is worded as its control.
  const QString message = QString::fromStdString(wordSettings(text.toStdString(), SettingWording::Control));
  lastError_ = message;
  error_->setText(tr("⚠ %1").arg(message));
  error_->show();
  showStatus(message, 8000);
}

void MainWindow::openModel(const QString& path) {
  openModelSession([&] { return sessionForModel(path, controller_.session()); }, path);
}

void MainWindow::openSampleModel(SampleModel which) {
  openModelSession([&] { return sessionForSampleModel(which, controller_.session()); }, QString());
}

void MainWindow::openModelSession(const std::function<Session()>& make, const QString& recent) {
  caption_->hide();
  lessons_.clear();
  try {
    const Session s = make();
    error_->hide();
    file_->setModified(true);
    setSession(s);
    if (!recent.isEmpty()) file_->addRecent(recent);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::openFile(const QString& path) {
  if (isModelPath(path)) return openModel(path);
  caption_->hide();  // a lesson's caption belongs to the lesson's input, not to the next one
  lessons_.clear();
  try {
    QString k, v;
    const FileKind kind = classifyFile(path);  // by content; throws FileError naming a missing file
    if (kind == FileKind::Npy) {
      const QString name = QFileInfo(path).fileName(), dir = QFileInfo(path).path();
      k = QFileDialog::getOpenFileName(this, tr("K for %1").arg(name), dir, tr("NumPy (*.npy)"));
      if (k.isEmpty()) return;
      v = QFileDialog::getOpenFileName(this, tr("V for %1").arg(name), dir, tr("NumPy (*.npy)"));
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
      file_->opening(path);
    }
    setSession(s);
    file_->addRecent(path);
    if (!gone.isEmpty()) showError(gone);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

void MainWindow::saveSessionTo(const QString& path) {
  try {
    file_->save(controller_.session(), path);
    showStatus(tr("saved %1").arg(path), 4000);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
  }
}

bool MainWindow::exportFigureTo(const QString& path, std::vector<Panel> panels, int dpi) {
  if (panels.empty()) panels = allPanels();
  try {
    FigureStyle style;  // exports use the print style, not the presentation scale
    ViewSettings view = controller_.session().view;
    // The steps panel alone to a PDF: the slides, one page per stage of the mechanism shown.
    if (panels.size() == 1 && panels[0] == Panel::Steps && QFileInfo(path).suffix().toLower() == QLatin1String("pdf"))
      view.step = -1;
    exportFigure(controller_.results(), view, panels, path, dpi, style);
    showStatus(tr("exported %1").arg(path), 4000);
    return true;
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return false;
  }
}

QStringList MainWindow::exportDataTo(const QString& dir) {
  if (!controller_.results()) {
    showError(tr("nothing to export yet: the analysis has not finished"));
    return {};
  }
  try {
    // With a model: every layer and head and the rollout the window computed, as `compute --layer
    // all --rollout` writes them (issue 27: they were left out). Only what the results on screen
    // were drawn from: a survey or rollout of another session is never attached.
    const Results& res = *controller_.results();
    ExportOptions options = dataExportOptions(res);
    const auto survey = controller_.survey();
    const auto rollout = controller_.rollout();
    if (survey && res.modelViews) options.survey = survey.get();
    if (options.survey && rollout && !res.modelViews->rolloutRows.empty() && rollout->note.empty())
      options.rollout = rollout.get();
    options.kvSweep = res.kvSweep.get();
    options.sensitivity = res.sensitivity.get();
    const QStringList files = exportResults(res, dir, options);
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
  lessons_.push_back({controller_.session(), file_->modified(), index});
  showLessonCaption(index);
  error_->hide();
  file_->setModified(true);
  setSession(lessonSession(index, controller_.session()));
  if (presets[index].runSweep) controller_.startSweep(16384);
}

void MainWindow::showLessonCaption(int index) {
  const auto presets = lessonPresets();
  if (index < 0 || index >= int(presets.size())) return caption_->hide();
  caption_->setText(QStringLiteral("<b>%1.</b> %2 &nbsp;<a href=\"undo\">Undo lesson</a>")
                        .arg(presets[index].name, presets[index].caption));
  caption_->show();
}

void MainWindow::hideLesson() {
  caption_->hide();
  lessons_.clear();
}

void MainWindow::undoLesson() {
  if (lessons_.empty()) return;
  const LessonStep last = lessons_.back();
  lessons_.pop_back();
  if (lessons_.empty()) caption_->hide();
  else showLessonCaption(lessons_.back().index);
  setSession(last.before);
  file_->setModified(last.modified);
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
    if (on) dockWasVisible_ = dock->isVisible();
    dock->setVisible(!on && dockWasVisible_);
  }
  // The maps (or the model tab) take the whole height (issue 27 #4: at 1.5× fonts they shrank to
  // ~185×125 px under the bottom row); the bottom row is one toggle away (⤢, Ctrl+Shift+F).
  QAction* focus = host_->focusViewAction();
  if (on) focusWasOn_ = focus->isChecked();
  focus->setChecked(on || focusWasOn_);
  host_->setStyle(style_);
  on ? showFullScreen() : showNormal();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  const auto urls = e->mimeData()->urls();
  if (!urls.isEmpty() && urls[0].isLocalFile()) openFile(urls[0].toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!file_->confirmClose([this](const QString& path) { saveSessionTo(path); })) {
    e->ignore();
    return;
  }
  // The layout is saved as it is outside presentation mode and focus (a hidden bottom row would
  // otherwise come back collapsed at the next start).
  if (presentation_) setPresentationMode(false);
  host_->focusViewAction()->setChecked(false);
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  for (QSplitter* s : findChildren<QSplitter*>()) settings.setValue("window/" + s->objectName(), s->saveState());
  controller_.jobs()->cancel();
  QMainWindow::closeEvent(e);
}

}  // namespace attnscope::gui
