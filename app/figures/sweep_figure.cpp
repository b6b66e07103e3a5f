#include "figures/sweep_figure.h"

#include <cmath>
#include <qcustomplot.h>

#include "model/timing_comparison.h"

namespace attnscope {

namespace {

/// The CPU's curves are solid with discs, the GPU's dashed with triangles; the colour stays the
/// mechanism's, as in every other panel.
Qt::PenStyle lineStyle(int backend) {
  return backend == 0 ? Qt::SolidLine : Qt::DashLine;
}
QCPScatterStyle::ScatterShape marker(int backend) {
  return backend == 0 ? QCPScatterStyle::ssDisc : QCPScatterStyle::ssTriangle;
}

}  // namespace

void buildSweepFigure(QCustomPlot* plot, const SweepResult& sweep, const FigureStyle& style) {
  resetPlot(plot, style);
  auto* title = new FittedText(plot, QStringLiteral("Scaling sweep (1 head, synthetic Q/K/V)"),
                                   style.font(1.05, true));
  QCPLayoutGrid* grid = plot->plotLayout();
  grid->addElement(0, 0, title);
  // Backends in a row under the title, mechanisms and guides inside the plot (as before).
  int row = 1;
  QCPLegend* backendKeys = sweep.empty() ? nullptr : addLegendRow(plot, grid, row++, style);
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  grid->addElement(row++, 0, rect);
  // Mechanisms and guides in a row under the plot, never over the data (issue 14).
  QCPLegend* legend = addLegendRow(plot, grid, row++, style);
  legend->setWrap(3);
  for (int r = 0; r < row; ++r)
    grid->setRowStretchFactor(r, grid->element(r, 0) == rect ? 1 : 0.001);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  for (QCPAxis* ax : {x, y}) {
    ax->setScaleType(QCPAxis::stLogarithmic);
    ax->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  }
  x->setLabel(QStringLiteral("tokens N"));
  y->setLabel(QStringLiteral("median forward time (ms)"));
  if (sweep.empty()) return;

  const int nb = static_cast<int>(sweep.series.size());
  const int nm = static_cast<int>(sweep.mechanisms.size());
  double lo = 1e300, hi = 0, n0 = 1e300, n1 = 0;
  std::vector<QCPGraph*> first(nm, nullptr);
  for (int b = 0; b < nb; ++b) {
    const SweepSeries& ser = sweep.series[b];
    for (int k = 0; k < nm; ++k) {
      QCPGraph* g = plot->addGraph(x, y);
      g->setName(QString::fromStdString(sweep.displayNames[k]));
      const QColor c = FigureStyle::colour(sweep.colours[k]);
      g->setPen(QPen(c, style.px(2), lineStyle(b)));
      g->setScatterStyle(QCPScatterStyle(marker(b), style.px(6)));
      auto* bars = new QCPErrorBars(x, y);
      bars->removeFromLegend();
      bars->setDataPlottable(g);
      bars->setPen(QPen(c, style.px(1.2)));
      for (const SweepPoint& p : ser.points) {
        const TimingResult& t = p.timing[k];
        g->addData(p.n, t.medianMs);
        bars->addData(t.medianMs - t.minMs, t.maxMs - t.medianMs);
        lo = std::min(lo, t.minMs);
        hi = std::max(hi, t.maxMs);
        n0 = std::min(n0, double(p.n));
        n1 = std::max(n1, double(p.n));
      }
      if (!first[k] && !ser.points.empty()) first[k] = g;
    }
  }
  for (QCPGraph* g : first)
    if (g) legend->addItem(new QCPPlottableLegendItem(legend, g));
  // Which line style is which backend (grey: the colours stand for the mechanisms).
  for (int b = 0; b < nb; ++b) {
    const SweepSeries& ser = sweep.series[b];
    if (ser.points.empty()) continue;
    QCPGraph* key = plot->addGraph(x, y);  // no data: only the legend's swatch
    key->setName(QString::fromStdString(timingLabel(ser.points[0].timing[0], sweep.gpuName)));
    key->setPen(QPen(QColor(90, 90, 90), style.px(2), lineStyle(b)));
    key->setScatterStyle(QCPScatterStyle(marker(b), style.px(6)));
    backendKeys->addItem(new QCPPlottableLegendItem(backendKeys, key));
  }
  // Guides through the CPU's first linear point (O(N)) and first softmax point (O(N²)).
  const SweepSeries& base =
      sweep.series.front().points.empty() ? sweep.series.back() : sweep.series.front();
  const SweepPoint& p0 = base.points.front();
  auto guide = [&](double t0, double power, const QString& name) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    g->setPen(
        QPen(QColor(130, 130, 130), style.px(1.2), power > 1.5 ? Qt::DashDotLine : Qt::DotLine));
    g->addData(p0.n, t0);
    g->addData(n1, t0 * std::pow(n1 / p0.n, power));
    legend->addItem(new QCPPlottableLegendItem(legend, g));
  };
  const int linear = std::max(0, sweep.indexOf("linear"));
  guide(p0.timing[linear].medianMs, 1.0, QStringLiteral("O(N)"));
  guide(p0.timing[0].medianMs, 2.0, QStringLiteral("O(N²)"));
  x->setRange(n0 / 1.4, n1 * 1.4);
  y->setRange(std::max(1e-4, lo / 2), hi * 2);
  if (nb == 1 && !sweep.note.empty()) {
    auto* note = new FittedText(plot, QString::fromStdString(sweep.note), style.font(0.75));
    note->setTextColor(QColor(110, 110, 110));
    grid->addElement(row, 0, note);
    grid->setRowStretchFactor(row, 0.001);
  }
}

}  // namespace attnscope
