#include "figures/mixing_figure.h"

#include <qcustomplot.h>

#include "figures/colormaps.h"

namespace attnscope {

void buildMixingFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                       const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const int m = static_cast<int>(res.mixing.rows());
  auto* title = new QCPTextElement(
      plot, QStringLiteral("MHLA mixing matrix (M = %1, %2)").arg(m).arg(QString::fromStdString(res.mixingName)),
      style.font(1.05, true));
  grid->addElement(0, 0, title);

  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  grid->addElement(1, 0, rect);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QStringLiteral("key block b"));
  y->setLabel(QStringLiteral("query block a"));
  x->setRange(-0.5, m - 0.5);
  y->setRange(-0.5, m - 0.5);
  y->setRangeReversed(true);
  for (QCPAxis* ax : {x, y}) {
    ax->grid()->setVisible(false);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    ax->setTicker(ticker);
  }
  requestAspect(rect, 1.0, Qt::AlignRight);  // next to its colour scale

  auto* map = new QCPColorMap(x, y);
  map->data()->setSize(m, m);
  map->data()->setRange(QCPRange(0, m - 1), QCPRange(0, m - 1));
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) map->data()->setCell(b, a, res.mixing(a, b));
  map->setInterpolate(false);
  auto* box = new QCPItemRect(plot);
  box->setClipToAxisRect(false);
  box->topLeft->setAxes(x, y);
  box->bottomRight->setAxes(x, y);
  box->topLeft->setCoords(-0.5, res.queryBlock - 0.5);
  box->bottomRight->setCoords(m - 0.5, res.queryBlock + 0.5);
  box->setPen(QPen(FigureStyle::queryColor(), style.px(2.5)));

  auto* scale = new QCPColorScale(plot);
  grid->addElement(1, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setBarWidth(style.px(10));
  scale->axis()->setTickLabelFont(style.font(0.8));
  scale->setLabel(QStringLiteral("m_ab"));
  scale->axis()->setLabelFont(style.font(0.85));
  // The colour scale hands its gradient and range to the map: set them after linking.
  map->setColorScale(scale);
  scale->setGradient(makeGradient(view.colormap));
  const double hi = res.mixing.size() ? res.mixing.maxCoeff() : 1.0;
  scale->setDataRange(QCPRange(0.0, hi > 0 ? hi : 1.0));
  auto* group = new QCPMarginGroup(plot);
  rect->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  scale->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  grid->setColumnStretchFactor(0, 1.0);
  grid->setColumnStretchFactor(1, 0.01);
  grid->setRowStretchFactor(0, 0.001);

  auto* note = new QCPTextElement(
      plot, QStringLiteral("query block %1 outlined · %2").arg(res.queryBlock).arg(QString::fromStdString(res.layout->describe())),
      style.font(0.8));
  note->setTextColor(QColor(80, 80, 80));
  grid->addElement(2, 0, note);
  grid->setRowStretchFactor(2, 0.001);
}

}  // namespace attnscope
