// The metrics panel: a table of MATH.md metrics (entropy, row diversity, ranks, agreement with
// softmax) for the three mechanisms.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildMetricsFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);
/// Height (logical pixels) the table wants.
int metricsFigureHeight(const FigureStyle& style);

}  // namespace attnscope
