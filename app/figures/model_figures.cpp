#include "figures/model_figures.h"

#include <cmath>
#include <qcustomplot.h>

#include "figures/colormaps.h"
#include "figures/maps_figure.h"
#include "figures/mosaic.h"

namespace attnscope {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

void noteOnly(QCustomPlot* plot, const QString& text, const FigureStyle& style) {
  auto* note = new FittedText(plot, text, style.font());
  note->setTextColor(QColor(90, 90, 90));
  plot->plotLayout()->addElement(0, 0, note);
}

/// What a model panel says before it has views: the survey is running (a model is open), or how to
/// open a model (issue 27 #7: "open a model" while one was open and surveyed).
QString waitingNote(const Results& res, const QString& panel, const QString& needs = QStringLiteral("a model")) {
  if (res.session.model.active())
    return QStringLiteral("%1: computing every layer and head of the model…").arg(panel);
  return QStringLiteral("%1: open %2 (File ▸ Open model…, --model PATH)").arg(panel, needs);
}

QString formatMetric(double v, SurveyMetric m) {
  if (std::isnan(v)) return QStringLiteral("–");
  if (std::isinf(v)) return QStringLiteral("∞");
  switch (m) {
    case SurveyMetric::Entropy: return QString::number(v, 'f', 2);
    case SurveyMetric::EffectiveRank: return QString::number(v, 'f', v < 100 ? 1 : 0);
    case SurveyMetric::Kl: return QString::number(v, 'g', 2);
    case SurveyMetric::PreviousToken:
    case SurveyMetric::Sink: return QString::number(v, 'f', 2);
    case SurveyMetric::Distance: return QString::number(v, 'f', 1);
  }
  return QString();
}

std::vector<QString> labels(const char* prefix, int n) {
  std::vector<QString> out;
  for (int i = 0; i < n; ++i) out.push_back(QStringLiteral("%1%2").arg(QLatin1String(prefix)).arg(i));
  return out;
}

void addTitle(QCustomPlot* plot, int row, const QString& title, const QString& sub, const FigureStyle& style) {
  auto* t = new FittedText(plot, title, style.font(1.05, true));
  plot->plotLayout()->addElement(row, 0, t);
  if (!sub.isEmpty()) {
    auto* s = new FittedText(plot, sub, style.font(0.8));
    s->setTextColor(QColor(80, 80, 80));
    plot->plotLayout()->addElement(row + 1, 0, s);
  }
}

/// Height of a mosaic of `rows` × `cols` cells of `cell` shape at `width`.
int mosaicHeight(int rows, int cols, const Thumbnail* cell, int width, const FigureStyle& style) {
  const double tw = cell ? cell->cols : 1, th = cell ? cell->rows : 1;
  const double gx = std::max(1.0, std::floor(tw / 12)), gy = std::max(1.0, std::floor(th / 12));
  const double cellW = (width - style.px(70)) / double(std::max(1, cols));
  const double h = rows * cellW * (th + gy) / (tw + gx);
  return static_cast<int>(std::min<double>(h, style.px(900)));
}

}  // namespace

QString modelViewCellText(const ModelViews& v, int layer, int head) {
  if (layer < 0 || head < 0 || layer >= v.layers || head >= v.heads) return QString();
  const std::size_t at = static_cast<std::size_t>(layer) * v.heads + head;
  const double m = at < v.cellMetric.size() ? v.cellMetric[at] : std::nan("");
  return QStringLiteral("layer %1 · head %2 · %3 %4").arg(layer).arg(head).arg(qs(metricTitle(v.metric)), formatMetric(m, v.metric));
}

int modelViewFigureHeight(const Results& res, const FigureStyle& style, int width) {
  const int titles = QFontMetrics(style.font(1.05, true)).height() + QFontMetrics(style.font(0.8)).height() +
                     style.px(60);
  if (!res.modelViews || res.modelViews->cells.empty()) return style.px(120);
  const ModelViews& v = *res.modelViews;
  return titles + std::max(style.px(160), mosaicHeight(v.layers, v.heads, &v.cells[0], width, style));
}

int clsMapsFigureHeight(const Results& res, const FigureStyle& style, int width) {
  const int titles = QFontMetrics(style.font(1.05, true)).height() + QFontMetrics(style.font(0.8)).height() +
                     style.px(60);
  if (!res.modelViews || res.modelViews->clsMaps.empty()) return style.px(120);
  const ModelViews& v = *res.modelViews;
  return titles + std::max(style.px(120), mosaicHeight(2, v.heads, &v.clsMaps[0], width, style));
}

void buildModelViewFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                          const FigureStyle& style) {
  resetPlot(plot, style);
  if (!res.modelViews || res.modelViews->cells.empty()) {
    noteOnly(plot, waitingNote(res, QStringLiteral("model view")), style);
    return;
  }
  const ModelViews& v = *res.modelViews;
  addTitle(plot, 0,
           QStringLiteral("model view · %1 · %2").arg(qs(v.mechanismName), qs(v.queryLabel)),
           QStringLiteral("%1 layers × %2 heads%6, each cell scaled to its own maximum; %3; outlined: layer %4%5")
               .arg(v.layers)
               .arg(v.heads)
               .arg(v.metricNote.empty() ? QStringLiteral("corner: ") + qs(metricTitle(v.metric)) : qs(v.metricNote))
               .arg(v.layer)
               .arg(v.head >= 0 ? QStringLiteral(", head %1").arg(v.head) : QStringLiteral(" (mean over heads)"))
               .arg(v.kvGroup > 1 ? QStringLiteral(" in %1 groups sharing a K/V head (above: group, mean row cosine of its heads)")
                                         .arg(v.kvHeads)
                                  : QString()),
           style);
  MosaicSpec spec;
  spec.rows = v.layers;
  spec.cols = v.heads;
  for (const Thumbnail& t : v.cells) spec.cells.push_back(&t);
  spec.rowLabels = labels("L", v.layers);
  spec.colLabels = labels("H", v.heads);
  spec.rowTitle = QStringLiteral("layer");
  spec.colTitle = QStringLiteral("head");
  if (v.metricNote.empty())
    for (double m : v.cellMetric) spec.annotations.push_back(formatMetric(m, v.metric));
  spec.selectedRow = v.layer;
  spec.selectedCol = v.head;
  if (v.kvGroup > 1) {
    // Grouped-query heads: one block of columns per KV head, named with how alike its query heads
    // attend at the outlined layer.
    spec.colGroup = v.kvGroup;
    for (int g = 0; g < v.kvHeads; ++g) {
      const std::size_t at = static_cast<std::size_t>(v.layer) * v.kvHeads + g;
      spec.colGroupLabels.push_back(at < v.groupAgreement.size()
                                        ? QStringLiteral("KV %1 · %2").arg(g).arg(v.groupAgreement[at], 0, 'f', 2)
                                        : QStringLiteral("KV %1").arg(g));
    }
  }
  addMosaic(plot, plot->plotLayout(), 2, 0, spec, makeGradient(view.colormap), style);
  plot->plotLayout()->setRowStretchFactor(0, 0.001);
  plot->plotLayout()->setRowStretchFactor(1, 0.001);
}

void buildClsMapsFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                        const FigureStyle& style) {
  resetPlot(plot, style);
  if (!res.modelViews) {
    noteOnly(plot, waitingNote(res, QStringLiteral("CLS maps"), QStringLiteral("an image model")), style);
    return;
  }
  const ModelViews& v = *res.modelViews;
  if (v.clsMaps.empty()) {
    noteOnly(plot, QStringLiteral("CLS maps: %1").arg(qs(v.clsNote)), style);
    return;
  }
  addTitle(plot, 0,
           QStringLiteral("CLS maps · %1 · layer %2").arg(qs(v.mechanismName)).arg(v.layer),
           QStringLiteral("top: the CLS token's attention over the %1×%2 patches per head (own maximum); "
                          "bottom: the fewest patches holding %3 % of it")
               .arg(v.gridRows)
               .arg(v.gridCols)
               .arg(v.clsMass * 100, 0, 'g', 3),
           style);
  std::vector<Thumbnail> masked = v.clsMaps;
  MosaicSpec spec;
  spec.rows = 2;
  spec.cols = v.heads;
  for (const Thumbnail& t : v.clsMaps) spec.cells.push_back(&t);
  for (std::size_t h = 0; h < masked.size(); ++h) {
    int kept = 0;
    for (std::size_t c = 0; c < masked[h].values.size(); ++c) {
      if (!v.clsMasks[h][c]) masked[h].values[c] = std::nanf("");
      kept += v.clsMasks[h][c] ? 1 : 0;
    }
    spec.annotations.resize(static_cast<std::size_t>(v.heads) + h + 1);
    spec.annotations[v.heads + h] = kept == 1 ? QStringLiteral("1 patch") : QStringLiteral("%1 patches").arg(kept);
  }
  for (const Thumbnail& t : masked) spec.cells.push_back(&t);
  spec.rowLabels = {QStringLiteral("attention"), QStringLiteral("%1 % mass").arg(v.clsMass * 100, 0, 'g', 3)};
  spec.colLabels = labels("H", v.heads);
  spec.colTitle = QStringLiteral("head");
  if (v.head >= 0) {
    spec.selectedRow = 0;
    spec.selectedCol = v.head;
  }
  addMosaic(plot, plot->plotLayout(), 2, 0, spec, makeGradient(view.colormap), style);
  plot->plotLayout()->setRowStretchFactor(0, 0.001);
  plot->plotLayout()->setRowStretchFactor(1, 0.001);
}

void buildLayerCurvesFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  if (!res.modelViews || res.modelViews->curves.empty()) {
    noteOnly(plot, waitingNote(res, QStringLiteral("layer curves")), style);
    return;
  }
  const ModelViews& v = *res.modelViews;
  auto* top = new FittedText(plot, QStringLiteral("per layer: mean over %1 heads (bars: min … max)").arg(v.heads),
                                 style.font(1.05, true));
  plot->plotLayout()->addElement(0, 0, top);
  auto* row = new QCPLayoutGrid;
  plot->plotLayout()->addElement(1, 0, row);
  QCPLegend* legend = addLegendRow(plot, plot->plotLayout(), 2, style);
  plot->plotLayout()->setRowStretchFactor(0, 0.001);
  plot->plotLayout()->setRowStretchFactor(2, 0.001);
  const double width = 0.12;
  for (int m = 0; m < 3; ++m) {
    auto* rect = new QCPAxisRect(plot);
    styleAxes(rect, style);
    row->addElement(0, m, rect);
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    x->setLabel(QStringLiteral("layer"));
    y->setLabel(qs(metricTitle(static_cast<SurveyMetric>(m))));
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    x->setTicker(ticker);
    x->setRange(-0.5, v.layers - 0.5);
    double lo = 1e300, hi = -1e300;
    const int nc = static_cast<int>(v.curves.size());
    for (int k = 0; k < nc; ++k) {
      const ModelViews::Curve& c = v.curves[k];
      QVector<double> keys, vals, minus, plus;
      for (int l = 0; l < v.layers; ++l) {
        const double mean = c.mean[m][l];
        if (!std::isfinite(mean)) continue;
        keys.push_back(l + (k - (nc - 1) / 2.0) * width);
        vals.push_back(mean);
        minus.push_back(mean - c.lo[m][l]);
        plus.push_back(c.hi[m][l] - mean);
        lo = std::min(lo, c.lo[m][l]);
        hi = std::max(hi, c.hi[m][l]);
      }
      QCPGraph* g = plot->addGraph(x, y);
      g->setPen(QPen(FigureStyle::colour(c.rgb), style.px(1.8)));
      g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style.px(5)));
      g->setData(keys, vals, true);
      g->setName(qs(c.name));
      auto* bars = new QCPErrorBars(x, y);
      bars->setDataPlottable(g);
      bars->setData(minus, plus);
      bars->setPen(QPen(FigureStyle::colour(c.rgb).lighter(130), style.px(1.2)));
      if (m == 0) legend->addItem(new QCPPlottableLegendItem(legend, g));
    }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    }
    const double pad = std::max(1e-6, (hi - lo) * 0.08);
    y->setRange(m == 1 ? std::max(0.0, lo - pad) : lo - pad, hi + pad);
    auto* sel = new QCPItemStraightLine(plot);
    sel->setClipAxisRect(rect);
    sel->point1->setAxes(x, y);
    sel->point2->setAxes(x, y);
    sel->point1->setCoords(v.layer, 0);
    sel->point2->setCoords(v.layer, 1);
    sel->setPen(QPen(FigureStyle::queryColor(), style.px(1.2), Qt::DashLine));
  }
}

std::shared_ptr<const Results> rolloutResults(const Results& res) {
  if (!res.modelViews || res.modelViews->rolloutRows.empty()) return nullptr;
  const ModelViews& v = *res.modelViews;
  auto out = std::make_shared<Results>(res);
  out->query = v.rolloutQuery;
  for (MechanismResult& m : out->mechanisms) {
    m.metrics.clear();
    m.spectra.clear();
    for (std::size_t k = 0; k < v.rolloutMechanisms.size(); ++k)
      if (v.rolloutMechanisms[k] == m.name) {
        m.shownRow = v.rolloutRows[k];
        m.rows = {m.shownRow};
        m.label = "rollout · " + v.rolloutNames[k] + " (" + toString(v.fusion) + ", discard " +
                  QString::number(v.discardRatio, 'g', 3).toStdString() + ")";
      }
  }
  return out;
}

void buildRolloutFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view,
                        const FigureStyle& style) {
  const std::shared_ptr<const Results> r = rolloutResults(res);
  if (!r) {
    resetPlot(plot, style);
    noteOnly(plot,
             res.modelViews ? QStringLiteral("rollout: %1").arg(qs(res.modelViews->rolloutNote))
                            : waitingNote(res, QStringLiteral("rollout")),
             style);
    return;
  }
  buildMapsFigure(plot, *r, view, style);
}

}  // namespace attnscope
