#include "figures/hybrid_figure.h"

#include <algorithm>
#include <qcustomplot.h>

namespace attnscope {

namespace {

double cost(const HybridReport& r) { return r.text ? r.nll - r.nllOriginal : 1.0 - r.clsCosine; }

}  // namespace

void buildHybridFigure(QCustomPlot* plot, const Results& res, const FigureStyle& style) {
  resetPlot(plot, style);
  QCPLayoutGrid* grid = plot->plotLayout();
  const LayerSensitivity* sens = res.sensitivity.get();
  const QString mech = sens ? QString::fromStdString(sens->mechanism) : QString();
  auto* title = new FittedText(
      plot,
      sens ? QStringLiteral("Hybrid: what replacing softmax by %1 costs the model, layer by layer").arg(mech)
           : QStringLiteral("Hybrid: layer sensitivity"),
      style.font(1.05, true));
  grid->addElement(0, 0, title);
  if (!sens || sens->alone.empty()) {
    addNoteRow(plot, grid, 1,
               res.session.model.active()
                   ? QStringLiteral("Run ▸ Layer sensitivity (or compute --layer-sensitivity MECH) fills this panel")
                   : QStringLiteral("needs a model (File ▸ Open model…, --model)"),
               style, 0.9);
    return;
  }
  auto* row = new QCPLayoutGrid;
  grid->addElement(1, 0, row);
  grid->setRowStretchFactor(0, 0.001);
  grid->setRowStretchFactor(1, 1);
  auto* left = new QCPAxisRect(plot);
  auto* right = new QCPAxisRect(plot);
  styleAxes(left, style);
  styleAxes(right, style);
  row->addElement(0, 0, left);
  row->addElement(0, 1, right);
  const QString what = sens->text ? QStringLiteral("ΔNLL (nats/token)") : QStringLiteral("1 − CLS cosine");
  const QColor colour(200, 80, 40);

  // Left: each layer alone.
  QCPAxis* lx = left->axis(QCPAxis::atBottom);
  QCPAxis* ly = left->axis(QCPAxis::atLeft);
  lx->setLabel(QStringLiteral("layer replaced alone"));
  ly->setLabel(what);
  auto* bars = new QCPBars(lx, ly);
  bars->setPen(Qt::NoPen);
  bars->setBrush(colour);
  bars->setWidth(0.7);
  double lo = 0, hi = 0;
  for (std::size_t l = 0; l < sens->alone.size(); ++l) {
    const double c = cost(sens->alone[l]);
    bars->addData(double(l), c);
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  lx->setRange(-0.7, double(sens->alone.size()) - 0.3);
  ly->setRange(lo - 0.05 * (hi - lo + 1e-12), hi + 0.1 * (hi - lo) + 1e-12);

  // Right: the schedule.
  QCPAxis* rx = right->axis(QCPAxis::atBottom);
  QCPAxis* ry = right->axis(QCPAxis::atLeft);
  rx->setLabel(QStringLiteral("layers replaced (least harmful first)"));
  ry->setLabel(what);
  QCPGraph* g = plot->addGraph(rx, ry);
  g->setPen(QPen(colour, style.px(2)));
  g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style.px(6)));
  g->addData(0, 0);
  double shi = 0, slo = 0;
  for (std::size_t k = 0; k < sens->schedule.size(); ++k) {
    const double c = cost(sens->schedule[k]);
    g->addData(double(k + 1), c);
    shi = std::max(shi, c);
    slo = std::min(slo, c);
    auto* label = new QCPItemText(plot);
    label->setClipAxisRect(right);
    label->position->setAxes(rx, ry);
    label->position->setCoords(double(k + 1), c);
    label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
    label->setFont(style.font(0.62));
    label->setText(QStringLiteral("+L%1").arg(sens->order[k]));
  }
  rx->setRange(-0.3, double(sens->schedule.size()) + 0.5);
  ry->setRange(slo - 0.05 * (shi - slo + 1e-12), shi * 1.15 + 1e-12);
  addNoteRow(plot, grid, 2,
             QStringLiteral("%1 on the session's input; each point re-measured with every layer to its left replaced "
                            "(sensitivity.csv, schedule.csv)")
                 .arg(mech),
             style);
}

}  // namespace attnscope
