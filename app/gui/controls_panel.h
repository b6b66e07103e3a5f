// Every session parameter as a control. setSession() shows a session; editing a control emits
// sessionEdited with the edited copy (fields without a control — file paths, hand-edited
// mixing — are carried over unchanged).
#pragma once

#include <QWidget>

#include "session/session.h"

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QFormLayout;

namespace attnscope::gui {

class ControlsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ControlsPanel(QWidget* parent = nullptr);

  void setSession(const Session& session);
  /// The shown session with the controls' values.
  Session session() const;
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

 signals:
  void sessionEdited(const attnscope::Session& session);

 private:
  void emitEdited();

  Session base_;
  bool updating_ = false;
  QComboBox *source_, *head_, *featureMap_, *normaliser_, *backend_, *colormap_;
  QSpinBox *imageBudget_, *textBudget_, *syntheticN_, *heads_, *dHead_, *seed_, *blocks_,
      *threads_;
  QDoubleSpinBox *positionWeight_, *temperature_, *opacity_;
  QCheckBox *tieQK_, *causal_, *logScale_, *sharedScale_, *showImage_;
};

}  // namespace attnscope::gui
