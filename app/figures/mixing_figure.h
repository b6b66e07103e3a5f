// The MHLA mixing panel: the M×M matrix 𝓜 as a heatmap, the query's block row outlined.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

/// The tick step of the mixing axes for M blocks (the same on both axes: 1, 2, 5, 10, …).
double mixingTickStep(int m);

void buildMixingFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                       const FigureStyle& style);

}  // namespace attnscope
