#include "figures/mosaic.h"

#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace attnscope {

namespace {
const char* kMosaicName = "attnscope-mosaic";

/// A cell's size in pixels on the axes of `rect` (the last layout's).
QSizeF cellPixels(const QCPAxisRect* rect) {
  const QCPAxis* x = rect->axis(QCPAxis::atBottom);
  const QCPAxis* y = rect->axis(QCPAxis::atLeft);
  return {std::abs(x->coordToPixel(1) - x->coordToPixel(0)), std::abs(y->coordToPixel(1) - y->coordToPixel(0))};
}

/// Row or column labels thinned to what the axis holds at its current pixel size: every label when
/// a cell is wider (taller) than its label, else every 2nd, 4th, 8th … (issue 27 #6: "H10H11"
/// collided at 14 px cells).
class CellTicker : public QCPAxisTicker {
 public:
  CellTicker(QCPAxis* axis, std::vector<QString> labels) : axis_(axis), labels_(std::move(labels)) {}

 protected:
  QVector<double> createTickVector(double, const QCPRange& range) override {
    const int n = static_cast<int>(labels_.size());
    const int step = stepFor(n);
    QVector<double> ticks;
    for (int i = 0; i < n; i += step)
      if (i + 0.5 >= range.lower && i + 0.5 <= range.upper) ticks << i + 0.5;
    return ticks;
  }
  QVector<QString> createLabelVector(const QVector<double>& ticks, const QLocale&, QChar, int) override {
    QVector<QString> out;
    for (double t : ticks) {
      const auto i = static_cast<std::size_t>(std::floor(t));
      out << (i < labels_.size() ? labels_[i] : QString());
    }
    return out;
  }

 private:
  int stepFor(int n) const {
    if (n <= 1 || !axis_ || !axis_->axisRect()) return 1;
    const QFontMetrics fm(axis_->tickLabelFont());
    const bool horizontal = axis_->orientation() == Qt::Horizontal;
    int need = 0;  // pixels one label takes along the axis, with a gap
    for (const QString& l : labels_) need = std::max(need, horizontal ? fm.horizontalAdvance(l) : fm.height());
    need += fm.averageCharWidth();
    const QSizeF cell = cellPixels(axis_->axisRect());
    const double per = horizontal ? cell.width() : cell.height();
    if (per <= 0) return std::max(1, (n + 15) / 16);
    int step = 1;
    while (step < n && step * per < need) step *= 2;
    return step;
  }
  QCPAxis* axis_;
  std::vector<QString> labels_;
};

/// A cell's corner number, drawn only when it fits inside its cell (a smaller cell shows its
/// number on hover instead, issue 27 #6).
class CellNote : public QCPItemText {
 public:
  CellNote(QCustomPlot* plot, QCPAxisRect* rect) : QCPItemText(plot), rect_(rect) {}
  bool fits() const {
    const QSizeF cell = cellPixels(rect_);
    const QFontMetrics fm(font());
    // At most about half the cell: the picture under it stays visible.
    return fm.horizontalAdvance(text()) + padding().left() + padding().right() <= 0.6 * cell.width() &&
           fm.height() <= 0.4 * cell.height();
  }

 protected:
  void draw(QCPPainter* painter) override {
    if (fits()) QCPItemText::draw(painter);
  }

 private:
  QCPAxisRect* rect_;
};
}  // namespace

QCPAxisRect* addMosaic(QCustomPlot* plot, QCPLayoutGrid* grid, int row, int col, const MosaicSpec& spec,
                       const QCPColorGradient& gradient, const FigureStyle& style) {
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  rect->setObjectName(QString::fromLatin1(kMosaicName));
  grid->addElement(row, col, rect);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(spec.colTitle);
  y->setLabel(spec.rowTitle);
  // Every cell gets the largest thumbnail's shape, plus a one-value gap after it.
  int th = 1, tw = 1;
  for (const Thumbnail* t : spec.cells)
    if (t) {
      th = std::max(th, t->rows);
      tw = std::max(tw, t->cols);
    }
  const int gapX = std::max(1, tw / 12), gapY = std::max(1, th / 12);
  const int nx = spec.cols * (tw + gapX), ny = spec.rows * (th + gapY);
  x->setRange(0, spec.cols);
  y->setRange(0, spec.rows);
  y->setRangeReversed(true);
  for (QCPAxis* ax : {x, y}) ax->grid()->setVisible(false);
  auto ticks = [](QCPAxis* ax, const std::vector<QString>& labels) {
    ax->setTicker(QSharedPointer<QCPAxisTicker>(new CellTicker(ax, labels)));
    ax->setSubTicks(false);
    ax->setTickLength(0, 3);
  };
  ticks(x, spec.colLabels);
  ticks(y, spec.rowLabels);
  const double ux = double(spec.cols) / nx, uy = double(spec.rows) / ny;
  // Cells keep the thumbnails' aspect (each value square).
  requestAspect(rect, double(tw + gapX) / double(th + gapY), Qt::AlignHCenter);

  auto* map = new CellMap(x, y);
  map->data()->setSize(nx, ny);
  map->data()->setRange(QCPRange(0.5 * ux, (nx - 0.5) * ux), QCPRange(0.5 * uy, (ny - 0.5) * uy));
  map->data()->fill(std::nan(""));
  for (int r = 0; r < spec.rows; ++r)
    for (int c = 0; c < spec.cols; ++c) {
      const std::size_t at = static_cast<std::size_t>(r) * spec.cols + c;
      const Thumbnail* t = at < spec.cells.size() ? spec.cells[at] : nullptr;
      if (!t) continue;
      for (int i = 0; i < t->rows; ++i)
        for (int j = 0; j < t->cols; ++j) {
          const float v = t->values[static_cast<std::size_t>(i) * t->cols + j];
          if (std::isfinite(v)) map->data()->setCell(c * (tw + gapX) + j, r * (th + gapY) + i, v);
        }
    }
  QCPColorGradient g = gradient;
  g.setNanHandling(QCPColorGradient::nhTransparent);
  map->setGradient(g);
  map->setDataRange(QCPRange(0, 1));
  map->setInterpolate(false);
  map->setTightBoundary(true);

  const QFont small = style.font(0.62);
  for (std::size_t at = 0; at < spec.annotations.size(); ++at) {
    if (spec.annotations[at].isEmpty()) continue;
    const int r = static_cast<int>(at) / std::max(1, spec.cols), c = static_cast<int>(at) % std::max(1, spec.cols);
    auto* text = new CellNote(plot, rect);
    text->setClipToAxisRect(true);
    text->setClipAxisRect(rect);
    text->position->setAxes(x, y);
    text->position->setCoords(c + 0.03, r + 0.03);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setFont(small);
    text->setColor(Qt::white);
    text->setBrush(QColor(0, 0, 0, 140));
    text->setPadding(QMargins(1, 0, 1, 0));
    text->setText(spec.annotations[at]);
  }
  if (spec.colGroup > 1 && spec.cols % spec.colGroup == 0) {
    const int groups = spec.cols / spec.colGroup;
    for (int g = 1; g < groups; ++g) {
      // In the gap before the group's first column.
      const double at = g * spec.colGroup - 0.5 * double(gapX) / (tw + gapX);
      auto* line = new QCPItemLine(plot);
      line->setClipAxisRect(rect);
      line->start->setAxes(x, y);
      line->end->setAxes(x, y);
      line->start->setCoords(at, 0);
      line->end->setCoords(at, spec.rows);
      line->setPen(QPen(QColor(40, 40, 40), style.px(2)));
    }
    if (!spec.colGroupLabels.empty()) {
      QCPAxis* top = rect->axis(QCPAxis::atTop);
      top->setVisible(true);
      top->setRange(x->range());
      QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
      for (int g = 0; g < groups && g < static_cast<int>(spec.colGroupLabels.size()); ++g)
        ticker->addTick(g * spec.colGroup + 0.5 * spec.colGroup, spec.colGroupLabels[static_cast<std::size_t>(g)]);
      top->setTicker(ticker);
      top->setTickLabels(true);
      top->setTickLabelFont(style.font(0.7));
      top->setTickLength(0, 0);
      top->setSubTicks(false);
      top->setBasePen(Qt::NoPen);
    }
  }
  if (spec.selectedRow >= 0) {
    auto* box = new QCPItemRect(plot);
    box->setClipAxisRect(rect);
    box->topLeft->setAxes(x, y);
    box->bottomRight->setAxes(x, y);
    const double c0 = spec.selectedCol >= 0 ? spec.selectedCol : 0;
    const double c1 = spec.selectedCol >= 0 ? spec.selectedCol + double(tw) / (tw + gapX) : spec.cols;
    box->topLeft->setCoords(c0, spec.selectedRow);
    box->bottomRight->setCoords(c1, spec.selectedRow + double(th) / (th + gapY));
    box->setPen(QPen(FigureStyle::queryColor(), style.px(2.2)));
  }
  return rect;
}

MosaicDrawn mosaicDrawn(QCustomPlot* plot) {
  MosaicDrawn out;
  for (QCPAxisRect* rect : plot->axisRects())
    if (rect->objectName() == QLatin1String(kMosaicName)) {
      const QSizeF cell = cellPixels(rect);
      out.cellWidth = cell.width();
      out.cellHeight = cell.height();
      const QCPAxis* x = rect->axis(QCPAxis::atBottom);
      const QCPAxis* y = rect->axis(QCPAxis::atLeft);
      out.colLabels = x->tickVectorLabels().toList();
      out.rowLabels = y->tickVectorLabels().toList();
      const QFontMetrics fx(x->tickLabelFont()), fy(y->tickLabelFont());
      out.labelsOverlap = false;
      const QVector<double> tx = x->tickVector(), ty = y->tickVector();
      for (int i = 1; i < tx.size(); ++i) {
        const double gap = std::abs(x->coordToPixel(tx[i]) - x->coordToPixel(tx[i - 1]));
        if (gap < 0.5 * (fx.horizontalAdvance(out.colLabels[i - 1]) + fx.horizontalAdvance(out.colLabels[i])))
          out.labelsOverlap = true;
      }
      for (int i = 1; i < ty.size(); ++i)
        if (std::abs(y->coordToPixel(ty[i]) - y->coordToPixel(ty[i - 1])) < fy.height()) out.labelsOverlap = true;
      break;
    }
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* note = dynamic_cast<CellNote*>(plot->item(i))) {
      ++out.notes;
      out.notesShown += note->fits() ? 1 : 0;
    }
  return out;
}

std::pair<int, int> mosaicCellAt(QCustomPlot* plot, const QPointF& pixel) {
  for (QCPAxisRect* rect : plot->axisRects()) {
    if (rect->objectName() != QLatin1String(kMosaicName) || !rect->rect().contains(pixel.toPoint())) continue;
    const double cx = rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x());
    const double cy = rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y());
    const QCPRange xr = rect->axis(QCPAxis::atBottom)->range(), yr = rect->axis(QCPAxis::atLeft)->range();
    if (cx < xr.lower || cx >= xr.upper || cy < yr.lower || cy >= yr.upper) return {-1, -1};
    return {static_cast<int>(std::floor(cy)), static_cast<int>(std::floor(cx))};
  }
  return {-1, -1};
}

}  // namespace attnscope
