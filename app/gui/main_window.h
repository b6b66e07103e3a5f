// The explorer window, a host: the work area of panels made from the panel table (PanelHost), the
// controls dock and model bar (made from the settings table), the status bar (StatusArea), menus,
// the session file (open, save, modified, close), lessons, and a non-modal error line. It wires
// these to the controller; what each panel draws and needs is the table's.
#pragma once

#include <QMainWindow>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "figures/figure_composer.h"
#include "figures/figure_style.h"
#include "gui/explorer_controller.h"
#include "gui/session_file.h"
#include "model/sample_models.h"

class QLabel;
class QMenu;
class QTabWidget;

namespace attnscope::gui {

class InputView;
class MapsPanel;
class MixingEditor;
class FigurePanel;
class ControlsPanel;
class ModelBar;
class PanelHost;
class StatusArea;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  /// Asks what to do with unsaved changes (default: a Save / Discard / Cancel message box).
  using UnsavedPrompt = std::function<UnsavedChoice()>;
  /// Chooses where to save a session that has no file yet ("" = the user cancelled).
  using SavePathChooser = std::function<QString()>;
  /// Chooses a file of `kind` to open ("" = cancelled); default: a file dialog.
  using OpenPathChooser = std::function<QString(SourceKind kind)>;

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Starts on `session` (what runGui and the tests call).
  void start(const Session& session);
  /// Opens an image, text, .npy (asks for K and V) or session file; errors go to the error line.
  void openFile(const QString& path);
  /// Opens a checkpoint (folder or .safetensors) on the current input, or on the built-in sample
  /// of the model's kind; errors go to the error line and leave the session as it was.
  void openModel(const QString& path);
  /// File ▸ Open sample model: a trained sample model on its own input (sessionForSampleModel in
  /// model/sample_models.h); errors (not installed) go to the error line and leave the session.
  void openSampleModel(SampleModel which);
  /// Selects a view tab by its panel name (maps, model-view, layer-curves, rollout, cls-maps).
  void showView(const QString& panel);
  void saveSessionTo(const QString& path);
  void loadSessionFrom(const QString& path);
  /// Exports the whole view (empty `panels`) or the given panels. Errors go to the error line.
  bool exportFigureTo(const QString& path, std::vector<Panel> panels = {}, int dpi = 150);
  /// File ▸ Export data into `dir`: the files of `attnscope compute` (model/export.h) for the
  /// results on screen. Errors go to the error line. @return the files written (empty on error)
  QStringList exportDataTo(const QString& dir);
  void applyPreset(int index);
  /// Puts back the session from before the last lesson (nothing when no lesson is on screen); the
  /// lesson before it, if lessons were chained, is on screen again with its caption.
  void undoLesson();
  void setPresentationMode(bool on);

  ExplorerController* controller() { return &controller_; }
  PanelHost* panels() const { return host_; }
  InputView* inputView() const;
  MapsPanel* mapsPanel() const;
  MixingEditor* mixingEditor() const;
  FigurePanel* spectraPanel() const { return panel(Panel::Spectra); }
  FigurePanel* timingPanel() const { return panel(Panel::Timing); }
  FigurePanel* metricsPanel() const { return panel(Panel::Metrics); }
  ControlsPanel* controls() const { return controls_; }
  ModelBar* modelBar() const { return modelBar_; }
  QTabWidget* viewTabs() const;
  FigurePanel* modelViewPanel() const { return panel(Panel::ModelView); }
  FigurePanel* layerCurvesPanel() const { return panel(Panel::LayerCurves); }
  FigurePanel* rolloutPanel() const { return panel(Panel::Rollout); }
  FigurePanel* clsMapsPanel() const { return panel(Panel::ClsMaps); }
  FigurePanel* kvRankPanel() const { return panel(Panel::KvRank); }
  FigurePanel* hybridPanel() const { return panel(Panel::Hybrid); }
  /// The FigurePanel of a panel of the table (null for the maps and the mixing editor).
  FigurePanel* panel(const Panel& p) const;
  QString lastError() const { return lastError_; }
  /// A message on the left of the status bar for `ms` milliseconds (elided to the room left by
  /// the job read-out on the right; never drawn over it), and the message shown now.
  void showStatus(const QString& message, int ms);
  QString statusText() const;
  /// The notices about the input and layout on screen (a text cut to the token budget, an image
  /// scaled down, undecodable bytes, blocks left empty, a custom 𝓜 dropped); "" = none.
  QString noticeText() const;
  /// True when the session changed (controls, mixing edits, lessons) since it was last started,
  /// opened, loaded or saved; closing then asks first.
  bool isSessionModified() const { return file_->modified(); }
  /// The session file last saved or loaded ("" if none).
  QString sessionPath() const { return file_->path(); }
  SessionFile* sessionFile() const { return file_; }
  /// Replace the dialogs used when closing with unsaved changes (tests).
  void setUnsavedPrompt(UnsavedPrompt prompt) { file_->prompt = std::move(prompt); }
  void setSavePathChooser(SavePathChooser chooser) { file_->chooseSavePath = std::move(chooser); }
  /// Hides the lesson caption (Lessons ▸ Hide caption); the lesson's settings stay.
  void hideLesson();
  void setOpenPathChooser(OpenPathChooser chooser) { openPathChooser_ = std::move(chooser); }

 protected:
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;
  void closeEvent(QCloseEvent* e) override;

 private:
  void showError(const QString& message);
  /// Applies the session `make` gives for a model (lesson caption hidden; errors to the error
  /// line); `recent` (when not empty) joins File ▸ Open recent.
  void openModelSession(const std::function<Session()>& make, const QString& recent);
  /// Applies an edit to the controller's session (the one path of every control).
  void applyEdit(const std::function<void(Session&)>& edit);
  /// Shows the model bar for the session (hidden without a model) and the session's view tab.
  void refreshModelBar();
  /// Steps the layer or head by `delta` (keys [ ] , .).
  void stepLayer(int delta);
  void stepHead(int delta);
  /// Puts `s` in the controls and the controller (opening a file or model, a lesson, an undo).
  void setSession(const Session& s);
  /// The input's and layout's notices of `res` in the notice line.
  void showNotices(const Results& res);

  ExplorerController controller_;
  FigureStyle style_;
  PanelHost* host_;
  ModelBar* modelBar_;
  ControlsPanel* controls_;
  QLabel *caption_, *error_, *notice_;
  StatusArea* status_;
  SessionFile* file_;
  QString lastError_;
  bool presentation_ = false;
  bool dockWasVisible_ = true;
  bool focusWasOn_ = false;  ///< "Focus on the view" before presentation mode turned it on
  /// The lessons on screen, chained: each with the session before it, its modified flag and the
  /// lesson's index; undoLesson takes back the last one only (issue 27: it jumped past them all).
  struct LessonStep {
    Session before;
    bool modified = false;
    int index = -1;
  };
  std::vector<LessonStep> lessons_;
  /// Shows the caption of lesson `index` (with its Undo link).
  void showLessonCaption(int index);
  OpenPathChooser openPathChooser_;
};

}  // namespace attnscope::gui
