#include "figures/spectra_figure.h"

#include <algorithm>
#include <qcustomplot.h>

namespace attnscope {

void buildSpectraFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const QString head = res.heads.empty() ? QString() : QStringLiteral(", head %1").arg(res.heads[0]);
  grid->addElement(0, 0, new QCPTextElement(plot, QStringLiteral("singular values of A%1").arg(head),
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

  auto* legend = new QCPLegend;
  rect->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
  legend->setLayer(QStringLiteral("legend"));
  legend->setFont(style.font(0.8));
  legend->setBrush(QColor(255, 255, 255, 220));
  legend->setBorderPen(QPen(QColor(180, 180, 180)));

  double lo = 1e300, hi = 0;
  int kMax = 1;
  bool any = false;
  for (std::size_t k = 0; k < res.mechanisms.size(); ++k) {
    const MechanismResult& m = res.mechanisms[k];
    if (m.spectra.empty()) continue;
    const Spectrum& s = m.spectra[0];
    if (s.sigma.size() == 0) continue;
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
    g->setPen(QPen(FigureStyle::colour(m.rgb), style.px(1.8)));
    g->setData(keys, vals, true);
    g->setName(QStringLiteral("%1: rank %2, eff. %3, bound %4")
                   .arg(QString::fromStdString(m.name))
                   .arg(s.numericalRank)
                   .arg(s.effectiveRank, 0, 'f', 1)
                   .arg(m.rankBound));
    legend->addItem(new QCPPlottableLegendItem(legend, g));
    lo = std::min(lo, *std::min_element(vals.begin(), vals.end()));
    hi = std::max(hi, *std::max_element(vals.begin(), vals.end()));
    kMax = std::max(kMax, static_cast<int>(keys.back()));
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
        new QCPTextElement(plot, QStringLiteral("spectra not computed"), style.font()),
        Qt::AlignCenter);
  }
  x->setRange(0, xMax * 1.04 + 1);
  y->setRange(std::max(lo * 0.5, hi * 1e-14), hi * 2.0);
}

}  // namespace attnscope
