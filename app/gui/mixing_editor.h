// The MHLA mixing panel: the mixing figure (shared builder) plus its editing: choose an
// initialisation, paint cells by dragging (with the value in the spin box), double-click a cell to
// type a value, reset, load / save CSV or .npy.
#pragma once

#include <QWidget>
#include <functional>
#include <memory>
#include <optional>

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
  /// Sets the cells of `cells` to `value` in one edit (one mixingEdited).
  void editCells(const std::vector<std::pair<int, int>>& cells, double value);
  /// Asks for a cell's value on a double-click (default: a QInputDialog); nullopt = cancelled.
  using ValuePrompt = std::function<std::optional<double>(int a, int b, double current)>;
  void setValuePrompt(ValuePrompt prompt) { prompt_ = std::move(prompt); }
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
  std::pair<int, int> lastCell_{-1, -1};  ///< the cell the stroke last painted
  /// The matrix before the last single-cell press (a double-click's first press restores it).
  MatrixD beforePress_;
  std::pair<int, int> pressCell_{-1, -1};
  ValuePrompt prompt_;
};

}  // namespace attnscope::gui
