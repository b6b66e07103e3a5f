#include "figures/metrics_figure.h"

#include <cmath>
#include <qcustomplot.h>

#include "figures/table_element.h"

namespace attnscope {

namespace {

constexpr int kRows = 9;

QString num(double v, int digits = 3) {
  if (std::isnan(v)) return QStringLiteral("–");
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  if (v != 0 && (std::fabs(v) < 1e-3 || std::fabs(v) >= 1e5)) return QString::number(v, 'e', 2);
  return QString::number(v, 'f', digits);
}

template <class T, class F>
double meanOver(const std::vector<T>& v, F f) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (const T& x : v) s += f(x);
  return s / v.size();
}

}  // namespace

int metricsFigureHeight(const FigureStyle& style) {
  return TableElement::heightFor(kRows, style.font(0.9)) +
         QFontMetrics(style.font(1.05, true)).height() + style.px(10);
}

void buildMetricsFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const QString heads = QString::fromStdString(res.headLabel());
  grid->addElement(0, 0, new FittedText(plot, QStringLiteral("metrics (%1; N = %2, M = %3, r = %4)")
                                                      .arg(heads)
                                                      .arg(res.n)
                                                      .arg(res.layout->m())
                                                      .arg(res.featureDimension()),
                                            style.font(1.05, true)));
  QStringList header{QStringLiteral("metric")};
  std::vector<QColor> colours{Qt::black};
  for (const MechanismResult& m : res.mechanisms) {
    header << QString::fromStdString(m.label);
    colours.push_back(FigureStyle::colour(m.rgb).darker(120));
  }
  using Getter = std::function<QString(const MechanismResult&)>;
  const std::vector<std::pair<QString, Getter>> rows = {
      {QStringLiteral("row entropy (nats)"),
       [](const MechanismResult& m) { return num(meanOver(m.metrics, [](const MapMetrics& x) { return x.meanEntropy; })); }},
      {QStringLiteral("normalised entropy (1 = uniform)"),
       [](const MechanismResult& m) { return num(meanOver(m.metrics, [](const MapMetrics& x) { return x.meanNormalisedEntropy; })); }},
      {QStringLiteral("row diversity (mean cosine)"),
       [](const MechanismResult& m) { return num(meanOver(m.metrics, [](const MapMetrics& x) { return x.rowDiversity; })); }},
      {QStringLiteral("numerical rank"),
       [](const MechanismResult& m) { return num(meanOver(m.spectra, [](const Spectrum& s) { return double(s.numericalRank); }), 0); }},
      {QStringLiteral("effective rank"),
       [](const MechanismResult& m) { return num(meanOver(m.spectra, [](const Spectrum& s) { return s.effectiveRank; }), 1); }},
      {QStringLiteral("rank bound"), [](const MechanismResult& m) { return QString::number(m.rankBound); }},
      {QStringLiteral("KL(softmax ‖ map), row mean"),
       [](const MechanismResult& m) { return num(meanOver(m.klToSoftmax, [](double v) { return v; })); }},
      {QStringLiteral("output rel. error vs softmax"),
       [](const MechanismResult& m) { return num(meanOver(m.outputRelError, [](double v) { return v; })); }},
      {QStringLiteral("forward median (ms, %1)").arg(QString::fromStdString(res.backend)),
       [&res](const MechanismResult& m) {
         const TimingResult* t = m.timingFor(res.backend);
         return t ? num(t->medianMs) : QStringLiteral("–");
       }},
  };
  std::vector<QStringList> cells;
  for (const auto& [name, get] : rows) {
    QStringList line{name};
    for (const MechanismResult& m : res.mechanisms) line << get(m);
    cells.push_back(line);
  }
  grid->addElement(1, 0, new TableElement(plot, header, cells, style.font(0.9), style.font(0.9, true), colours));
  grid->setRowStretchFactor(0, 0.001);
}

}  // namespace attnscope
