// The hybrid panel (issue 26 #3): left, what replacing each layer alone by a mechanism costs the
// model (ΔNLL for text, 1 − CLS cosine for images); right, the greedy schedule — layers replaced
// least harmful first, the cost re-measured after each: the hybrid-ratio curve. The window's
// "Hybrid" tab (Run ▸ Layer sensitivity) and `render --panels hybrid` draw it from Results::sensitivity.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildHybridFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);

}  // namespace attnscope
