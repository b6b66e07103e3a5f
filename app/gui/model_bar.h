// The model explorer's bar above the views (shown while a model is open): which model, the layer
// (slider + spin box) and head (spin box; "mean" below head 0), and the views' settings — the
// mechanism of the model view and CLS maps, the cell metric, rollout fusion and discard ratio, the
// CLS mass. Like ControlsPanel, setSession() shows a session and an edit emits a SessionEdit that
// sets only its field.
#pragma once

#include <QWidget>
#include <vector>

#include "gui/controls_panel.h"
#include "session/session.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace attnscope::gui {

class ModelBar : public QWidget {
  Q_OBJECT
 public:
  explicit ModelBar(QWidget* parent = nullptr);

  /// Shows `session` with a model of `layers` layers and `heads` heads; emits nothing.
  void setSession(const Session& session, int layers, int heads);

  QSlider* layerSlider() const { return layerSlider_; }
  QSpinBox* layerBox() const { return layer_; }
  QSpinBox* headBox() const { return head_; }
  QComboBox* mechanismBox() const { return mechanism_; }
  QComboBox* metricBox() const { return metric_; }
  QComboBox* fusionBox() const { return fusion_; }

 signals:
  void edited(const attnscope::gui::SessionEdit& edit);
  void closeModel();

 private:
  void emitEdit(const SessionEdit& edit);

  bool updating_ = false;
  QLabel* name_;
  QSlider* layerSlider_;
  QSpinBox *layer_, *head_;
  QComboBox *mechanism_, *metric_, *fusion_, *thumbnails_;
  QDoubleSpinBox *discard_, *mass_;
  std::vector<QWidget*> settingControls_;  ///< generated (setting_controls.h), named by key
};

}  // namespace attnscope::gui
