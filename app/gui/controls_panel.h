// Every session parameter as a control. setSession() shows a session (emits nothing, changes
// nothing); editing a control emits `edited` with a function that sets only that control's field
// (through the Session rules where one applies, e.g. a new M clears the 2D windows). The window
// applies it to its current session, so fields without a control, the pinned query and values a
// control could not show are never written back.
#pragma once

#include <QWidget>
#include <functional>

#include "session/session.h"

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QPushButton;
class QFormLayout;

namespace attnscope::gui {

class UInt64SpinBox;

/// One control's edit of a session.
using SessionEdit = std::function<void(attnscope::Session&)>;

class ControlsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ControlsPanel(QWidget* parent = nullptr);

  /// Shows `session`; emits nothing. Every control's range is the range Session::fromJson
  /// accepts, so whatever a session file holds is shown as it is.
  void setSession(const Session& session);
  /// Sets the number of heads the loaded input has (the head choice lists them).
  void setNumHeads(int heads);

  // Named controls (tests drive them).
  QSpinBox* blocksBox() const { return blocks_; }
  QDoubleSpinBox* temperatureBox() const { return temperature_; }
  QComboBox* headBox() const { return head_; }
  QComboBox* sourceBox() const { return source_; }
  QComboBox* colormapBox() const { return colormap_; }
  QSpinBox* imageBudgetBox() const { return imageBudget_; }
  QComboBox* backendBox() const { return backend_; }
  UInt64SpinBox* seedBox() const { return seed_; }
  QSpinBox* threadsBox() const { return threads_; }
  QSpinBox* maxDenseNBox() const { return maxDenseN_; }
  QDoubleSpinBox* positionWeightBox() const { return positionWeight_; }
  QDoubleSpinBox* opacityBox() const { return opacity_; }
  QCheckBox* logScaleBox() const { return logScale_; }
  QComboBox* featureMapBox() const { return featureMap_; }
  QComboBox* mapModeBox() const { return mapMode_; }
  /// .npy sources: the token grid (0 × 0 = none), the first grid token (CLS before it), labels.
  QSpinBox* npyGridRowsBox() const { return npyGridRows_; }
  QSpinBox* npyGridColsBox() const { return npyGridCols_; }
  QSpinBox* npyFirstTokenBox() const { return npyFirst_; }
  QCheckBox* rangeWithoutQueryBox() const { return rangeWithoutQuery_; }

 signals:
  void edited(const attnscope::gui::SessionEdit& edit);
  /// The source was set to a file kind (image, text, npy): the window checks the loaded file is
  /// of that kind, or asks for one (never decodes a text as an image: issue 14 #15).
  void fileSourceChosen(attnscope::SourceKind kind);

 private:
  /// Connects `signal` of `control` so that its new value is written by `set` (and only there).
  template <class Control, class Signal, class Set>
  void onEdit(Control* control, Signal signal, Set set);
  void emitEdit(const SessionEdit& edit);

  Session shown_;  ///< the last session set, with the edits made here since
  bool updating_ = false;
  QComboBox *source_, *head_, *featureMap_, *normaliser_, *backend_, *colormap_, *mapMode_;
  QSpinBox *imageBudget_, *textBudget_, *syntheticN_, *heads_, *dHead_, *blocks_, *threads_, *maxDenseN_;
  QSpinBox *npyGridRows_, *npyGridCols_, *npyFirst_;
  QPushButton* npyLabels_;
  QFormLayout* inputForm_ = nullptr;
  /// Shows the .npy rows only for a .npy source.
  void showSourceRows(SourceKind kind);
  UInt64SpinBox* seed_;
  QDoubleSpinBox *positionWeight_, *temperature_, *opacity_;
  QCheckBox *tieQK_, *causal_, *logScale_, *sharedScale_, *showImage_, *rangeWithoutQuery_;
};

}  // namespace attnscope::gui
