// The timing panel: median forward time per mechanism (bars) with min–max whiskers and GFLOP/s.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildTimingFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);

}  // namespace attnscope
