#include "figures/spectra_figure.h"

#include <algorithm>
#include <qcustomplot.h>

namespace attnscope {

void buildSpectraFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  // One head: its spectrum. Mean over heads: every head's spectrum (the first drawn boldest) and
  // the legend's ranks are means over the heads, as in the metrics table (issue 14 #14).
  const int heads = static_cast<int>(res.heads.size());
  const QString head = heads == 0   ? QString()
                       : heads == 1 ? QStringLiteral(", head %1").arg(res.heads[0])
                                    : QStringLiteral(", each of %1 heads (legend: means)").arg(heads);
  grid->addElement(0, 0, new FittedText(plot, QStringLiteral("singular values of A%1").arg(head),
                                            style.font(1.05, true)));
  auto* rect = new QCPAxisRect(plot);
  styleAxes(rect, style);
  grid->addElement(1, 0, rect);
  grid->setRowStretchFactor(0, 0.001);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QStringLiteral("index k"));
  y->setLabel(QStringLiteral("σ_k"));
  y->setScaleType(QCPAxis::stLogarithmic);
  y->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  y->setNumberFormat(QStringLiteral("eb"));
  y->setNumberPrecision(0);

  // The keys under the plot, one per line (they are long), never over the curves.
  QCPLegend* legend = addLegendRow(plot, grid, 2, style);
  legend->setFillOrder(QCPLayoutGrid::foRowsFirst);
  legend->setFont(style.font(0.8));
  grid->setRowStretchFactor(2, 0.001);

  double lo = 1e300, hi = 0;
  int kMax = 1;
  bool any = false;
  for (std::size_t k = 0; k < res.mechanisms.size(); ++k) {
    const MechanismResult& m = res.mechanisms[k];
    QCPGraph* first = nullptr;
    double rank = 0, eff = 0;
    int counted = 0;
    for (std::size_t h = 0; h < m.spectra.size(); ++h) {
      const Spectrum& s = m.spectra[h];
      if (s.sigma.size() == 0) continue;
      rank += s.numericalRank;
      eff += s.effectiveRank;
      ++counted;
      const double floor = s.sigma[0] * 1e-12;
      QVector<double> keys, vals;
      for (Eigen::Index i = 0; i < s.sigma.size(); ++i)
        if (s.sigma[i] > floor) {
          keys.push_back(i + 1);
          vals.push_back(s.sigma[i]);
        }
      if (vals.isEmpty()) continue;
      any = true;
      QCPGraph* g = plot->addGraph(x, y);
      QColor c = FigureStyle::colour(m.rgb);
      if (first) c.setAlphaF(0.35);
      g->setPen(QPen(c, style.px(first ? 1.0 : 1.8)));
      g->setData(keys, vals, true);
      if (!first) first = g;
      lo = std::min(lo, *std::min_element(vals.begin(), vals.end()));
      hi = std::max(hi, *std::max_element(vals.begin(), vals.end()));
      kMax = std::max(kMax, static_cast<int>(keys.back()));
    }
    if (!first || counted == 0) continue;
    first->setName(QStringLiteral("%1: rank %2, eff. %3, bound %4")
                       .arg(QString::fromStdString(m.name))
                       .arg(rank / counted, 0, 'f', 0)
                       .arg(eff / counted, 0, 'f', 1)
                       .arg(m.rankBound));
    legend->addItem(new QCPPlottableLegendItem(legend, first));
  }
  int xMax = kMax;
  for (std::size_t k = 0; k < res.mechanisms.size(); ++k) {
    const MechanismResult& m = res.mechanisms[k];
    if (m.spectra.empty()) continue;
    xMax = std::max(xMax, std::min(m.rankBound, res.n));
    auto* line = new QCPItemStraightLine(plot);
    line->setClipAxisRect(rect);
    line->point1->setAxes(x, y);
    line->point2->setAxes(x, y);
    line->point1->setCoords(m.rankBound, 1);
    line->point2->setCoords(m.rankBound, 2);
    line->setPen(QPen(FigureStyle::colour(m.rgb), style.px(1.3), Qt::DashLine));
  }
  if (!any) {
    lo = 0.1;
    hi = 1;
    rect->insetLayout()->addElement(
        new FittedText(plot, QStringLiteral("spectra not computed"), style.font()),
        Qt::AlignCenter);
  }
  x->setRange(0, xMax * 1.04 + 1);
  y->setRange(std::max(lo * 0.5, hi * 1e-14), hi * 2.0);
}

}  // namespace attnscope
