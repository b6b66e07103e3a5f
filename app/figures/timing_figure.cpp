#include "figures/timing_figure.h"

#include <qcustomplot.h>

namespace attnscope {

void buildTimingFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  QString backend = QString::fromStdString(res.backend);
  const MechanismResult& first = res.mechanisms[0];
  if (first.timing)
    backend += QStringLiteral(", %1 head%2, %3 runs")
                   .arg(first.timing->heads)
                   .arg(first.timing->heads == 1 ? "" : "s")
                   .arg(first.timing->repeats);
  grid->addElement(0, 0, new QCPTextElement(plot, QStringLiteral("forward time (%1)").arg(backend),
                                            style.font(1.05, true)));
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  grid->addElement(1, 0, rect);
  grid->setRowStretchFactor(0, 0.001);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  y->setLabel(QStringLiteral("ms (median; whiskers min–max)"));
  x->grid()->setVisible(false);

  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  double top = 0;
  bool any = false;
  for (int k = 0; k < 3; ++k) {
    const MechanismResult& m = res.mechanisms[k];
    if (!m.timing) {
      ticker->addTick(k + 1, QString::fromStdString(m.name) + QStringLiteral("\nnot timed"));
      continue;
    }
    any = true;
    const TimingResult& t = *m.timing;
    auto* bars = new QCPBars(x, y);
    bars->setWidth(0.6);
    const QColor c = FigureStyle::mechanismColor(k);
    bars->setPen(QPen(c.darker(130), 1));
    QColor fill = c;
    fill.setAlpha(190);
    bars->setBrush(fill);
    bars->addData(k + 1, t.medianMs);
    auto* err = new QCPErrorBars(x, y);
    err->setDataPlottable(bars);
    err->setData(QVector<double>{t.medianMs - t.minMs}, QVector<double>{t.maxMs - t.medianMs});
    err->setPen(QPen(QColor(40, 40, 40), style.px(1.3)));
    err->setWhiskerWidth(style.px(14));
    ticker->addTick(k + 1, QStringLiteral("%1\n%2 ms\n%3 GFLOP/s")
                               .arg(QString::fromStdString(m.name))
                               .arg(t.medianMs, 0, 'g', 3)
                               .arg(t.gflops, 0, 'f', 1));
    top = std::max(top, t.maxMs);
  }
  x->setTicker(ticker);
  x->setRange(0.4, 3.6);
  x->setTickLength(0, 0);
  x->setSubTicks(false);
  y->setRange(0, any ? top * 1.15 : 1.0);
  if (!any)
    rect->insetLayout()->addElement(
        new QCPTextElement(plot, QStringLiteral("not timed"), style.font()), Qt::AlignCenter);
}

}  // namespace attnscope
