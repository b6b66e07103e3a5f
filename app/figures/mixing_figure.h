// The MHLA mixing panel: the M×M matrix 𝓜 as a heatmap, the query's block row outlined.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildMixingFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                       const FigureStyle& style);

}  // namespace attnscope
