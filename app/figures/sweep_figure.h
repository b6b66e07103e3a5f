// The scaling-sweep figure: median forward time against N on log-log axes for every mechanism of
// the sweep with min–max whiskers, per backend (CPU solid, GPU dashed), and O(N) and O(N²) guide
// lines; a note says why the GPU is missing when it is. The window's sweep panel and `attnscope
// render --panels …,sweep` both draw it.
#pragma once

#include "figures/figure_style.h"
#include "model/sweep.h"

class QCustomPlot;

namespace attnscope {

void buildSweepFigure(QCustomPlot* plot, const SweepResult& sweep, const FigureStyle& style);

}  // namespace attnscope
