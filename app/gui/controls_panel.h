// Every session parameter as a control. The controls of the settings table (session/settings.h)
// are generated (setting_controls.h), in its order, grouped by section (Input, Mechanisms, View,
// then any section a registered setting names); the source, the .npy grid, the seed, the head and
// the backend have their own. setSession() shows a session (emits nothing, changes nothing);
// editing a control emits `edited` with a function that sets only that control's field (through
// the Session rules where one applies, e.g. a new M clears the 2D windows). The window applies it
// to its current session, so fields without a control, the pinned query and values a control
// could not show are never written back.
#pragma once

#include <QWidget>
#include <functional>
#include <map>
#include <string>

#include "gui/setting_controls.h"
#include "session/session.h"

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QPushButton;
class QFormLayout;

namespace attnscope::gui {

class UInt64SpinBox;

class ControlsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ControlsPanel(QWidget* parent = nullptr);

  /// Shows `session`; emits nothing. Every control's range is the range Session::fromJson
  /// accepts, so whatever a session file holds is shown as it is.
  void setSession(const Session& session);
  /// Sets the number of heads the loaded input has (the head choice lists them).
  void setNumHeads(int heads);

  /// The generated control of a setting (nullptr: none).
  QWidget* control(const std::string& key) const;

  // Named controls (tests drive them).
  QSpinBox* blocksBox() const { return spin("mhla.blocks"); }
  QDoubleSpinBox* temperatureBox() const { return dspin("softmax.temperature"); }
  QComboBox* headBox() const { return head_; }
  QComboBox* sourceBox() const { return source_; }
  QComboBox* colormapBox() const { return combo("view.colormap"); }
  QSpinBox* imageBudgetBox() const { return spin("input.imageTokenBudget"); }
  QComboBox* backendBox() const { return backend_; }
  UInt64SpinBox* seedBox() const { return seed_; }
  QSpinBox* threadsBox() const { return spin("compute.threads"); }
  QSpinBox* maxDenseNBox() const { return spin("compute.maxDenseN"); }
  QDoubleSpinBox* positionWeightBox() const { return dspin("input.positionWeight"); }
  QDoubleSpinBox* opacityBox() const { return dspin("view.overlayOpacity"); }
  QCheckBox* logScaleBox() const { return check("view.logScale"); }
  QComboBox* featureMapBox() const { return combo("featureMap.kind"); }
  QComboBox* mapModeBox() const { return combo("view.mapMode"); }
  /// .npy sources: the token grid (0 × 0 = none), the first grid token (CLS before it), labels.
  QSpinBox* npyGridRowsBox() const { return npyGridRows_; }
  QSpinBox* npyGridColsBox() const { return npyGridCols_; }
  QSpinBox* npyFirstTokenBox() const { return npyFirst_; }
  QCheckBox* rangeWithoutQueryBox() const { return check("view.rangeWithoutQuery"); }

 signals:
  void edited(const attnscope::gui::SessionEdit& edit);
  /// The source was set to a file kind (image, text, npy): the window checks the loaded file is
  /// of that kind, or asks for one (never decodes a text as an image: issue 14 #15).
  void fileSourceChosen(attnscope::SourceKind kind);

 private:
  void emitEdit(const SessionEdit& edit);
  QSpinBox* spin(const std::string& key) const;
  QDoubleSpinBox* dspin(const std::string& key) const;
  QCheckBox* check(const std::string& key) const;
  QComboBox* combo(const std::string& key) const;

  Session shown_;  ///< the last session set, with the edits made here since
  bool updating_ = false;
  std::map<std::string, QWidget*> controls_;  ///< generated, by setting key
  QComboBox *source_, *head_, *backend_;
  QSpinBox *npyGridRows_, *npyGridCols_, *npyFirst_;
  QPushButton* npyLabels_;
  QFormLayout* inputForm_ = nullptr;
  /// Shows the .npy rows only for a .npy source.
  void showSourceRows(SourceKind kind);
  UInt64SpinBox* seed_;
};

}  // namespace attnscope::gui
