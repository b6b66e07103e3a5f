// The scaling-sweep figure: median forward time against N on log-log axes for softmax, linear and
// MHLA with min–max whiskers, per backend (CPU solid, GPU dashed), and O(N) and O(N²) guide lines;
// a note says why the GPU is missing when it is. (The shared figure builders have no sweep figure;
// this one follows their style.)
#pragma once

#include "figures/figure_style.h"
#include "gui/sweep.h"

class QCustomPlot;

namespace attnscope::gui {

void buildSweepFigure(QCustomPlot* plot, const SweepResult& sweep, const FigureStyle& style);

}  // namespace attnscope::gui
