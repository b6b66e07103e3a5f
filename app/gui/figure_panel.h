// A panel that hosts one shared figure builder (spectra, timing, metrics, ...) in a QCustomPlot
// and redraws it when new Results arrive or the panel is resized. A note line shows why a panel
// is empty or still computing.
#pragma once

#include <QWidget>
#include <functional>
#include <memory>

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;
class QLabel;
class QHBoxLayout;

namespace attnscope::gui {

class FigurePanel : public QWidget {
  Q_OBJECT
 public:
  using Builder = std::function<void(QCustomPlot*, const Results&, const FigureStyle&)>;
  FigurePanel(Builder builder, QWidget* parent = nullptr);

  void setStyle(const FigureStyle& style) { style_ = style; }
  void setResults(std::shared_ptr<const Results> results);
  std::shared_ptr<const Results> results() const { return results_; }
  void setNote(const QString& note);
  /// The note line's text ("" when none).
  QString noteText() const;
  QCustomPlot* plot() const { return plot_; }
  /// Row above the plot where owners put their buttons.
  QHBoxLayout* toolbar() const { return toolbar_; }
  /// Replaces the builder (e.g. timing ↔ sweep) and redraws.
  void setBuilder(Builder builder);
  void redraw();

 protected:
  void resizeEvent(QResizeEvent* e) override;

 private:
  Builder builder_;
  QCustomPlot* plot_;
  QLabel* note_;
  QHBoxLayout* toolbar_;
  FigureStyle style_;
  std::shared_ptr<const Results> results_;
};

}  // namespace attnscope::gui
