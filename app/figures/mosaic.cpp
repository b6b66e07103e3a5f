#include "figures/mosaic.h"

#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace attnscope {

namespace {
const char* kMosaicName = "attnscope-mosaic";
}

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
    QSharedPointer<QCPAxisTickerText> t(new QCPAxisTickerText);
    // Thin the labels of a long axis to about 16.
    const int step = std::max<int>(1, static_cast<int>(labels.size() + 15) / 16);
    for (std::size_t i = 0; i < labels.size(); i += step) t->addTick(double(i) + 0.5, labels[i]);
    ax->setTicker(t);
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
    auto* text = new QCPItemText(plot);
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
