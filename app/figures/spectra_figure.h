// The spectra panel: σ_k of the three maps on a log axis against k, dashed lines at the
// theoretical rank bounds, numerical and effective ranks in the legend.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildSpectraFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);

}  // namespace attnscope
