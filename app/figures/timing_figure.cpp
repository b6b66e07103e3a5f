#include "figures/timing_figure.h"

#include <qcustomplot.h>

#include "model/timing_comparison.h"

namespace attnscope {

namespace {

/// The backends timed, in the order they first appear (CPU first, as compareTimings times them).
std::vector<const TimingResult*> backendsTimed(const Results& res) {
  std::vector<const TimingResult*> first;
  for (const MechanismResult& m : res.mechanisms)
    for (const TimingResult& t : m.timings) {
      bool seen = false;
      for (const TimingResult* f : first) seen = seen || f->backend == t.backend;
      if (!seen) first.push_back(&t);
    }
  return first;
}

/// Bars of backend `b` are solid (the first) or hatched (the rest), in the mechanism's colour, so
/// the mechanism colours stay the same as in every other panel.
QBrush barBrush(QColor c, int b) {
  if (b == 0) {
    c.setAlpha(190);
    return QBrush(c);
  }
  return QBrush(c.darker(115), Qt::BDiagPattern);
}

QString ms(double v) {
  return QString::number(v, 'g', 3);
}

}  // namespace

void buildTimingFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const std::vector<const TimingResult*> backends = backendsTimed(res);
  const int nb = static_cast<int>(backends.size());
  QString title = QStringLiteral("forward time");
  // One backend is named in the title; two get a legend row (the panel is short).
  if (nb == 1)
    title +=
        QStringLiteral(" on ") + QString::fromStdString(timingLabel(*backends[0], res.gpuName));
  if (nb > 0)
    title += QStringLiteral(" (%1 head%2, %3 run%4)")
                 .arg(backends[0]->heads)
                 .arg(backends[0]->heads == 1 ? "" : "s")
                 .arg(backends[0]->repeats)
                 .arg(backends[0]->repeats == 1 ? "" : "s");
  grid->addElement(0, 0, new FittedText(plot, title, style.font(1.05, true)));
  int row = 1;
  QCPLegend* legend = nullptr;
  // One entry per backend, in neutral grey: the bars' colours stand for the mechanisms.
  if (nb > 1) legend = addLegendRow(plot, grid, row++, style);
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  grid->addElement(row++, 0, rect);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->grid()->setVisible(false);
  // CPU and GPU times differ by orders of magnitude: side by side they need a log scale.
  const bool logScale = nb > 1;
  y->setLabel(logScale ? QStringLiteral("ms, log (median; whiskers min–max)")
                       : QStringLiteral("ms (median; whiskers min–max)"));
  if (logScale) {
    y->setScaleType(QCPAxis::stLogarithmic);
    y->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  }
  for (int b = 0; legend && b < nb; ++b) {
    auto* key = new QCPBars(x, y);  // no data: only the legend's swatch
    key->setName(QString::fromStdString(timingLabel(*backends[b], res.gpuName)));
    key->setPen(QPen(QColor(90, 90, 90), 1));
    key->setBrush(barBrush(QColor(120, 120, 120), b));
    legend->addItem(new QCPPlottableLegendItem(legend, key));
  }

  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  const double groupWidth = 0.7, barWidth = groupWidth / std::max(1, nb);
  double lo = 1e300, hi = 0;
  for (std::size_t k = 0; k < res.mechanisms.size(); ++k) {
    const MechanismResult& m = res.mechanisms[k];
    QString tick = QString::fromStdString(m.name);
    if (m.timings.empty()) tick += QStringLiteral("\nnot timed");
    for (int b = 0; b < nb; ++b) {
      const TimingResult* t = m.timingFor(backends[b]->backend);
      if (!t || t->backend != backends[b]->backend) continue;
      const double at = k + 1 - groupWidth / 2 + barWidth * (b + 0.5);
      auto* bars = new QCPBars(x, y);
      bars->setWidth(barWidth * 0.9);
      const QColor c = FigureStyle::colour(m.rgb);
      bars->setPen(QPen(c.darker(130), 1));
      bars->setBrush(barBrush(c, b));
      bars->addData(at, t->medianMs);
      auto* err = new QCPErrorBars(x, y);
      err->setDataPlottable(bars);
      err->setData(QVector<double>{t->medianMs - t->minMs},
                   QVector<double>{t->maxMs - t->medianMs});
      err->setPen(QPen(QColor(40, 40, 40), style.px(1.3)));
      err->setWhiskerWidth(style.px(nb > 1 ? 8 : 14));
      // One value per line: the panel is narrow.
      if (nb == 1)
        tick +=
            QStringLiteral("\n%1 ms\n%2 GFLOP/s").arg(ms(t->medianMs)).arg(t->gflops, 0, 'f', 1);
      else
        tick += QStringLiteral("\n%1 %2 ms")
                    .arg(QString::fromStdString(timingShortLabel(*t)), ms(t->medianMs));
      lo = std::min(lo, t->minMs);
      hi = std::max(hi, t->maxMs);
    }
    ticker->addTick(k + 1, tick);
  }
  x->setTicker(ticker);
  x->setRange(0.4, res.mechanisms.size() + 0.6);
  x->setTickLength(0, 0);
  x->setSubTicks(false);
  if (hi <= 0) {
    y->setRange(0, 1.0);
    rect->insetLayout()->addElement(
        new FittedText(plot, QStringLiteral("not timed"), style.font()), Qt::AlignCenter);
  } else if (logScale) {
    y->setRange(std::max(1e-6, lo / 2), hi * 2);
  } else {
    y->setRange(0, hi * 1.15);
  }
  // A run whose slowest repeat is far from its median was disturbed (other work on the machine):
  // say so, so nobody quotes it (issue 14).
  QStringList noisy;
  for (const MechanismResult& m : res.mechanisms)
    for (const TimingResult& t : m.timings)
      if (t.medianMs > 0 && t.maxMs - t.minMs > 0.5 * t.medianMs) noisy << QString::fromStdString(m.name);
  noisy.removeDuplicates();
  if (!noisy.isEmpty()) {
    auto* text = new FittedText(
        plot, QStringLiteral("noisy: %1 varied by over half its median; Re-time when the machine is idle").arg(noisy.join(QStringLiteral(", "))),
        style.font(0.75));
    text->setObjectName(QStringLiteral("attnscope-noisy"));
    text->setTextColor(QColor(150, 80, 0));
    grid->addElement(row++, 0, text);
  }
  // Say why the GPU is missing (short: the controls' tooltip has the whole reason).
  const bool gpuTimed = nb > 1 || (nb == 1 && backends[0]->backend == "cuda");
  if (nb > 0 && !gpuTimed && !res.timingNote.empty()) {
    QString note = QString::fromStdString(res.timingNote);
    if (note.size() > 90) note = note.left(89) + QChar(0x2026);
    auto* text = new FittedText(plot, note, style.font(0.75));
    text->setTextColor(QColor(110, 110, 110));
    grid->addElement(row++, 0, text);
  }
  for (int r = 0; r < grid->rowCount(); ++r)
    grid->setRowStretchFactor(r, grid->element(r, 0) == rect ? 1 : 0.001);
}

}  // namespace attnscope
