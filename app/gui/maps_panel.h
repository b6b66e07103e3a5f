// The attention maps of every mechanism drawn by the shared maps figure builder. A new Results
// rebuilds the figure; hovering a query only swaps the rows in (updateMapsRows in maps_figure.h).
// Hovering a map shows the token and weight under the cursor.
#pragma once

#include <QWidget>
#include <vector>
#include <optional>
#include <qcustomplot.h>
#include <memory>

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;
class QLabel;
namespace attnscope { class TokenTextElement; }

namespace attnscope::gui {

class MapsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit MapsPanel(QWidget* parent = nullptr);

  void setStyle(const FigureStyle& style) { style_ = style; }
  /// Rebuilds the figure from `results` (its shownRow and query).
  void setResults(std::shared_ptr<const Results> results, const ViewSettings& view);
  /// Shows these rows (averaged over the selected heads) for `query` without rebuilding.
  void showRows(const std::vector<VectorD>& rows, int query);
  QCustomPlot* plot() const { return plot_; }
  const std::vector<VectorD>& rows() const { return rows_; }
  /// The read-out line under the maps (the hovered token and weight).
  QString hoverText() const;
  int query() const { return query_; }
  /// Text maps: scroll all maps together by `px` (clamped), or so that `token` is in view.
  void scrollTextBy(int px);
  void scrollTextTo(int token);
  /// Text maps: true when token `token` is fully in view in every map.
  bool textTokenVisible(int token) const;
  /// Grid and whole maps zoom (wheel) and pan (drag) together; a double-click resets. The zoom
  /// of the first map (its x and y ranges), or empty ranges when not zoomed.
  std::pair<QCPRange, QCPRange> zoomRanges() const;

 signals:
  void tokenHovered(const QString& text);

 protected:
  void resizeEvent(QResizeEvent* e) override;
  bool eventFilter(QObject* obj, QEvent* e) override;

 private:
  void rebuild();
  /// The word maps of a text input (empty for grids and curves).
  std::vector<TokenTextElement*> textMaps() const;
  void applyTextScroll();
  QString describeAt(const QPoint& pos) const;

  QCustomPlot* plot_;
  QLabel* hoverLabel_;
  FigureStyle style_;
  ViewSettings view_;
  std::shared_ptr<const Results> results_;
  std::vector<VectorD> rows_;
  int query_ = -1;
  int textScroll_ = 0;
  /// Ranges the user zoomed to (kept across rebuilds of the same input and map mode).
  std::optional<std::pair<QCPRange, QCPRange>> zoom_;
  std::string zoomMode_;
  bool syncing_ = false;
  void enableZoom();
  const Input* scrolledInput_ = nullptr;  ///< the input textScroll_ belongs to
};

}  // namespace attnscope::gui
