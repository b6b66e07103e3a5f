#include "gui/sweep_figure.h"

#include <cmath>
#include <qcustomplot.h>

namespace attnscope::gui {

void buildSweepFigure(QCustomPlot* plot, const SweepResult& sweep, const FigureStyle& style) {
  resetPlot(plot, style);
  auto* title = new QCPTextElement(plot, QStringLiteral("Scaling sweep (1 head, synthetic Q/K/V)"),
                                   style.font(1.05, true));
  plot->plotLayout()->addElement(0, 0, title);
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  plot->plotLayout()->addElement(1, 0, rect);
  plot->plotLayout()->setRowStretchFactor(0, 0.001);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  for (QCPAxis* ax : {x, y}) {
    ax->setScaleType(QCPAxis::stLogarithmic);
    ax->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  }
  x->setLabel(QStringLiteral("tokens N"));
  y->setLabel(QStringLiteral("median forward time (ms)"));
  auto* legend = new QCPLegend;
  rect->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignLeft);
  legend->setLayer(QStringLiteral("legend"));
  legend->setFont(style.font(0.85));
  if (sweep.points.empty()) return;

  const char* names[3] = {"softmax", "linear", "MHLA"};
  double lo = 1e300, hi = 0;
  for (int k = 0; k < 3; ++k) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(names[k]);
    const QColor c = FigureStyle::mechanismColor(k);
    g->setPen(QPen(c, style.px(2)));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style.px(6)));
    auto* bars = new QCPErrorBars(x, y);
    bars->removeFromLegend();
    bars->setDataPlottable(g);
    bars->setPen(QPen(c, style.px(1.2)));
    for (const SweepPoint& p : sweep.points) {
      const TimingResult& t = p.timing[k];
      g->addData(p.n, t.medianMs);
      bars->addData(t.medianMs - t.minMs, t.maxMs - t.medianMs);
      lo = std::min(lo, t.minMs);
      hi = std::max(hi, t.maxMs);
    }
    legend->addItem(new QCPPlottableLegendItem(legend, g));
  }
  // Guides through the first linear point (O(N)) and the first softmax point (O(N²)).
  const SweepPoint& first = sweep.points.front();
  const double n0 = first.n, n1 = sweep.points.back().n;
  auto guide = [&](double t0, double power, const QString& name) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    g->setPen(QPen(QColor(130, 130, 130), style.px(1.2), power > 1.5 ? Qt::DashLine : Qt::DotLine));
    g->addData(n0, t0);
    g->addData(n1, t0 * std::pow(n1 / n0, power));
    legend->addItem(new QCPPlottableLegendItem(legend, g));
  };
  guide(first.timing[1].medianMs, 1.0, QStringLiteral("O(N)"));
  guide(first.timing[0].medianMs, 2.0, QStringLiteral("O(N²)"));
  x->setRange(n0 / 1.4, n1 * 1.4);
  y->setRange(std::max(1e-4, lo / 2), hi * 2);
}

}  // namespace attnscope::gui
