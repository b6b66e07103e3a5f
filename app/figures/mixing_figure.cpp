#include "figures/mixing_figure.h"

#include <cmath>
#include <qcustomplot.h>

#include "figures/colormaps.h"

namespace attnscope {

double mixingTickStep(int m) {
  // At most about eight labelled blocks per axis, on a 1-2-5 step.
  for (double s : {1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0})
    if (m / s <= 8.0) return s;
  return std::ceil(m / 8.0);
}

namespace {
/// The layout in a few words for the note under the matrix (the figure header has it in full).
QString compactLayout(const BlockLayout& L) {
  if (L.kind() == BlockLayout::Kind::OneD)
    return QStringLiteral("blocks of %1 tokens").arg(L.blockSize(0));
  return QStringLiteral("windows of %1").arg(QString::fromStdString(L.windowSides()));
}
}  // namespace

void buildMixingFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                       const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const int m = static_cast<int>(res.mixing.rows());
  auto* title = new FittedText(
      plot, QStringLiteral("MHLA mixing matrix (M = %1, %2)").arg(m).arg(QString::fromStdString(res.mixingName)),
      style.font(1.05, true));
  grid->addElement(0, 0, title);

  // The matrix and its colour scale share a nested row, so the title and the note above and
  // below span the whole figure (never cut at the colour scale's column).
  auto* body = new QCPLayoutGrid;
  grid->addElement(1, 0, body);
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  body->addElement(0, 0, rect);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QStringLiteral("key block b"));
  y->setLabel(QStringLiteral("query block a"));
  // One tick step on both axes, ticks only on block indices inside 0 … M−1.
  const double step = mixingTickStep(m);
  for (QCPAxis* ax : {x, y}) {
    ax->setRange(-0.5, m - 0.5);
    ax->grid()->setVisible(false);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(step);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
    ax->setTicker(ticker);
    ax->setSubTicks(false);
  }
  y->setRangeReversed(true);
  requestAspect(rect, 1.0, Qt::AlignRight);  // next to its colour scale

  auto* map = new CellMap(x, y);
  map->data()->setSize(m, m);
  map->data()->setRange(QCPRange(0, m - 1), QCPRange(0, m - 1));
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) map->data()->setCell(b, a, res.mixing(a, b));
  map->setInterpolate(false);
  const bool query = res.layout && res.queryBlock >= 0 && res.queryBlock < m;
  if (query) {
    auto* box = new QCPItemRect(plot);
    box->setClipToAxisRect(false);
    box->topLeft->setAxes(x, y);
    box->bottomRight->setAxes(x, y);
    box->topLeft->setCoords(-0.5, res.queryBlock - 0.5);
    box->bottomRight->setCoords(m - 0.5, res.queryBlock + 0.5);
    box->setPen(QPen(FigureStyle::queryColor(), style.px(2.5)));
  }

  auto* scale = new QCPColorScale(plot);
  body->addElement(0, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setBarWidth(style.px(10));
  scale->axis()->setTickLabelFont(style.font(0.8));
  scale->setLabel(QStringLiteral("m_ab"));
  scale->axis()->setLabelFont(style.font(0.85));
  // The colour scale hands its gradient and range to the map: set them after linking.
  map->setColorScale(scale);
  const double lo = res.mixing.size() ? res.mixing.minCoeff() : 0.0;
  if (lo < 0) {
    // A learned matrix with negative entries (MODELS.md "MHLA weights"): diverging colours around 0.
    const double a = res.mixing.cwiseAbs().maxCoeff();
    scale->setGradient(divergingGradient());
    scale->setDataRange(QCPRange(-a, a));
  } else {
    scale->setGradient(makeGradient(view.colormap));
    const double hi = res.mixing.size() ? res.mixing.maxCoeff() : 1.0;
    scale->setDataRange(QCPRange(0.0, hi > 0 ? hi : 1.0));
  }
  auto* group = new QCPMarginGroup(plot);
  rect->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  scale->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  body->setColumnStretchFactor(0, 1.0);
  body->setColumnStretchFactor(1, 0.01);
  grid->setRowStretchFactor(0, 0.001);

  // Without a layout (a matrix read from a checkpoint) the note is the results' layoutNote.
  auto* note = new FittedText(
      plot,
      query ? QStringLiteral("query block %1 outlined · %2").arg(res.queryBlock).arg(compactLayout(*res.layout))
            : QString::fromStdString(res.layoutNote),
      style.font(0.8));
  note->setTextColor(QColor(80, 80, 80));
  grid->addElement(2, 0, note);
  grid->setRowStretchFactor(2, 0.001);
}

}  // namespace attnscope
