#include "figures/kv_rank_figure.h"

#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace attnscope {

namespace {

/// Deep layers dark blue, early ones light: one hue along the depth.
QColor layerColour(int layer, int layers) {
  const double t = layers > 1 ? double(layer) / (layers - 1) : 0.0;
  return QColor::fromHsvF(0.58, 0.35 + 0.6 * t, 0.95 - 0.55 * t);
}

QString bytesText(std::int64_t b) {
  if (b >= (1 << 20)) return QString::number(b / double(1 << 20), 'f', 2) + QStringLiteral(" MiB");
  if (b >= 1024) return QString::number(b / 1024.0, 'f', 1) + QStringLiteral(" KiB");
  return QString::number(b) + QStringLiteral(" B");
}

}  // namespace

void buildKvRankFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const KvSweep* sw = res.kvSweep.get();
  QString titleText = QStringLiteral("Low-rank K/V: what a rank-r latent of [K/α | V] keeps (RoPE after the low-rank step)");
  auto* title = new FittedText(plot, titleText, style.font(1.05, true));
  grid->addElement(0, 0, title);
  if (!sw) {
    addNoteRow(plot, grid, 1,
               res.session.model.active()
                   ? QStringLiteral("Run ▸ Low-rank K/V sweep (or compute --kv-rank-sweep) fills this panel")
                   : QStringLiteral("needs a model (File ▸ Open model…, --model)"),
               style, 0.9);
    return;
  }
  auto* row = new QCPLayoutGrid;
  grid->addElement(1, 0, row);
  auto* energy = new QCPAxisRect(plot);
  auto* cost = new QCPAxisRect(plot);
  styleAxes(energy, style);
  styleAxes(cost, style);
  row->addElement(0, 0, energy);
  row->addElement(0, 1, cost);
  QCPLegend* legend = addLegendRow(plot, grid, 2, style);
  legend->setWrap(4);
  grid->setRowStretchFactor(0, 0.001);
  grid->setRowStretchFactor(1, 1);
  grid->setRowStretchFactor(2, 0.001);

  // Left: cumulative energy per layer.
  QCPAxis* ex = energy->axis(QCPAxis::atBottom);
  QCPAxis* ey = energy->axis(QCPAxis::atLeft);
  ex->setLabel(QStringLiteral("rank r"));
  ey->setLabel(QStringLiteral("energy held (Σσ² of the top r)"));
  const int layers = static_cast<int>(sw->spectra.size());
  int maxRank = 1;
  for (int l = 0; l < layers; ++l) {
    const std::vector<double>& sv = sw->spectra[static_cast<std::size_t>(l)];
    double total = 0;
    for (double s : sv) total += s * s;
    if (!(total > 0)) continue;
    QCPGraph* g = plot->addGraph(ex, ey);
    g->setPen(QPen(layerColour(l, layers), style.px(1.6)));
    double acc = 0;
    g->addData(0, 0);
    for (std::size_t i = 0; i < sv.size(); ++i) {
      acc += sv[i] * sv[i];
      g->addData(double(i + 1), acc / total);
    }
    maxRank = std::max(maxRank, static_cast<int>(sv.size()));
    g->removeFromLegend();
  }
  for (double e : KvSweep::kEnergy) {
    auto* line = new QCPItemStraightLine(plot);
    line->setClipAxisRect(energy);
    line->point1->setAxes(ex, ey);
    line->point2->setAxes(ex, ey);
    line->point1->setCoords(0, e);
    line->point2->setCoords(1, e);
    line->setPen(QPen(QColor(150, 150, 150), style.px(1), Qt::DotLine));
  }
  ex->setRange(0, maxRank);
  ey->setRange(0, 1.02);
  if (layers > 0) {
    // The layers' colours, first and last, in the legend.
    for (int l : {0, layers - 1}) {
      QCPGraph* key = plot->addGraph(ex, ey);
      key->setPen(QPen(layerColour(l, layers), style.px(2)));
      key->setName(QStringLiteral("layer %1").arg(l));
      legend->addItem(new QCPPlottableLegendItem(legend, key));
      if (layers == 1) break;
    }
  }

  // Right: ΔNLL and the mean KL per rank, x in log₂.
  QCPAxis* cx = cost->axis(QCPAxis::atBottom);
  QCPAxis* cy = cost->axis(QCPAxis::atLeft);
  QCPAxis* ky = cost->axis(QCPAxis::atRight);
  ky->setVisible(true);
  cx->setScaleType(QCPAxis::stLogarithmic);
  QSharedPointer<QCPAxisTickerLog> log2(new QCPAxisTickerLog);
  log2->setLogBase(2);
  cx->setTicker(log2);
  cx->setLabel(QStringLiteral("rank r, every layer (KV cache: r of %1 numbers per token and layer)").arg(sw->cache.gqa));
  cy->setLabel(sw->text ? QStringLiteral("ΔNLL (nats/token)") : QStringLiteral("—"));
  ky->setLabel(QStringLiteral("mean KL of the maps (nats)"));
  QCPGraph* nll = nullptr;
  if (sw->text) {
    nll = plot->addGraph(cx, cy);
    nll->setName(QStringLiteral("ΔNLL"));
    nll->setPen(QPen(QColor(200, 60, 40), style.px(2)));
    nll->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style.px(6)));
    legend->addItem(new QCPPlottableLegendItem(legend, nll));
  }
  QCPGraph* kl = plot->addGraph(cx, ky);
  kl->setName(QStringLiteral("mean KL"));
  kl->setPen(QPen(QColor(40, 90, 180), style.px(2), Qt::DashLine));
  kl->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, style.px(6)));
  legend->addItem(new QCPPlottableLegendItem(legend, kl));
  double nlo = 0, nhi = 0, khi = 0;
  for (std::size_t i = 0; i < sw->ranks.size(); ++i) {
    if (nll) nll->addData(sw->ranks[i], sw->deltaNll[i]);
    kl->addData(sw->ranks[i], sw->meanKl[i]);
    if (sw->text) {
      nlo = std::min(nlo, sw->deltaNll[i]);
      nhi = std::max(nhi, sw->deltaNll[i]);
    }
    khi = std::max(khi, sw->meanKl[i]);
  }
  const double r1 = sw->ranks.empty() ? 2 : sw->ranks.back();
  cx->setRange(0.8, std::max(2.0, r1 * 1.25));
  cy->setRange(nlo - 0.05 * (nhi - nlo + 1e-9), nhi + 0.1 * (nhi - nlo) + 1e-9);
  ky->setRange(-0.03 * khi, khi * 1.1 + 1e-9);
  addNoteRow(plot, grid, 3,
             QStringLiteral("KV cache per token: multi-head %1, this model %2 (bf16); rank r: r × 2 B × %3 layers. "
                            "Ranks for 90/95/99 % energy: kv_energy.csv")
                 .arg(bytesText(KvCacheSize::bytes(sw->cache.mha, sw->cache.layers)),
                      bytesText(KvCacheSize::bytes(sw->cache.gqa, sw->cache.layers)))
                 .arg(sw->cache.layers),
             style);
}

}  // namespace attnscope
