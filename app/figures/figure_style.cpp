#include "figures/figure_style.h"

#include <qcustomplot.h>

namespace attnscope {

QFont FigureStyle::font(double rel, bool bold) const {
  QFont f(family);
  f.setPixelSize(std::max(1, px(fontPx * rel)));
  f.setBold(bold);
  return f;
}

QColor FigureStyle::mechanismColor(int kind) {
  switch (kind) {
    case 0: return QColor(214, 96, 40);   // softmax: orange
    case 1: return QColor(60, 110, 200);  // linear: blue
    default: return QColor(40, 150, 80);  // MHLA: green
  }
}

void resetPlot(QCustomPlot* plot, const FigureStyle& style) {
  plot->clearItems();
  plot->clearPlottables();
  plot->plotLayout()->clear();
  plot->setAutoAddPlottableToLegend(false);
  plot->setBackground(Qt::white);
  plot->setFont(style.font());
  plot->setAntialiasedElements(QCP::aeAll);
  plot->plotLayout()->setRowSpacing(style.px(4));
  plot->plotLayout()->setColumnSpacing(style.px(6));
}

void styleAxes(QCPAxisRect* rect, const FigureStyle& style) {
  for (QCPAxis* ax : rect->axes()) {
    ax->setTickLabelFont(style.font(0.85));
    ax->setLabelFont(style.font(0.95));
    ax->setBasePen(QPen(QColor(90, 90, 90), 1));
    ax->setTickPen(QPen(QColor(90, 90, 90), 1));
    ax->setSubTickPen(QPen(QColor(140, 140, 140), 1));
    ax->grid()->setPen(QPen(QColor(225, 225, 225), 1, Qt::SolidLine));
    ax->grid()->setSubGridVisible(false);
  }
}

QCPLegend* addLegendRow(QCustomPlot* plot, QCPLayoutGrid* grid, int row, const FigureStyle& style) {
  auto* line = new QCPLayoutGrid;
  grid->addElement(row, 0, line);
  auto* legend = new QCPLegend;
  line->addElement(0, 0, new QCPLayoutElement(plot));
  line->addElement(0, 1, legend);
  line->addElement(0, 2, new QCPLayoutElement(plot));
  line->setColumnStretchFactor(1, 0.001);
  legend->setLayer(QStringLiteral("legend"));
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setFont(style.font(0.85));
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setMargins(QMargins(0, 0, 0, 0));  // a row of keys, not a box: keep it low
  return legend;
}

void requestAspect(QCPAxisRect* rect, double ratio) {
  rect->setProperty("attnscopeAspect", ratio);
}

void fitAspect(QCustomPlot* plot) {
  for (QCPAxisRect* rect : plot->axisRects()) {
    const QVariant v = rect->property("attnscopeAspect");
    if (!v.isValid()) continue;
    const double ratio = v.toDouble();
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    if (rect->width() <= 0 || rect->height() <= 0) continue;
    const double xPerUnit = rect->width() / x->range().size();
    const double yPerUnit = rect->height() / y->range().size();
    // Widen the axis whose units are drawn too large (never crop the data).
    if (xPerUnit > yPerUnit * ratio)
      x->setScaleRatio(y, ratio);
    else
      y->setScaleRatio(x, 1.0 / ratio);
  }
}

}  // namespace attnscope
