// The MHLA mixing panel: the mixing figure (shared builder) plus its editing: choose an
// initialisation, paint cells by dragging (with the value in the spin box), double-click a cell to
// type a value, reset, load / save CSV or .npy.
#pragma once

#include <QWidget>
#include <memory>

#include "attnscope/types.h"
#include "figures/figure_style.h"
#include "model/results.h"

class QComboBox;
class QDoubleSpinBox;
class QCustomPlot;

namespace attnscope::gui {

class MixingEditor : public QWidget {
  Q_OBJECT
 public:
  explicit MixingEditor(QWidget* parent = nullptr);

  void setStyle(const FigureStyle& style) { style_ = style; }
  void setResults(std::shared_ptr<const Results> results, const ViewSettings& view);
  void setInit(const QString& init);
  QString init() const;
  QCustomPlot* plot() const { return plot_; }
  /// The matrix shown (edits included).
  const MatrixD& matrix() const { return matrix_; }
  /// Sets one cell (as a paint stroke would) and emits mixingEdited.
  void editCell(int a, int b, double value);
  /// Cell under a plot position, or (-1, -1).
  std::pair<int, int> cellAt(const QPoint& plotPos) const;

 signals:
  void initChosen(const QString& init);
  void mixingEdited(const attnscope::MatrixD& matrix);
  void resetRequested();
  void mixingLoaded(const QString& path);
  void errorOccurred(const QString& message);

 protected:
  bool eventFilter(QObject* obj, QEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;

 private:
  void redraw();
  void load();
  void save();

  QComboBox* init_;
  QDoubleSpinBox* brush_;
  QCustomPlot* plot_;
  FigureStyle style_;
  ViewSettings view_;
  std::shared_ptr<const Results> results_;
  MatrixD matrix_;
  bool painting_ = false;
};

}  // namespace attnscope::gui
