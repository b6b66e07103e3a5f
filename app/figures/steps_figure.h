// The steps panel (issue 28 #2): one stage of the pinned query's walk through a mechanism
// (model/step_trace.h) — its title, formula, matrices and vectors as heatmaps with their shapes
// (small ones with their numbers, large ones averaged down to at most 64×64 cells, token vectors on
// the patch grid) and the stage's one-line explanation. The window's Teach tab, `render --panels
// steps --step K` and the one-page-per-stage PDF all draw through buildStepsFigure.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

/// Draws stage view.step (−1: the first; past the last: the last) of view.stepMechanism.
void buildStepsFigure(QCustomPlot* plot, const Results& res, const ViewSettings& view, const FigureStyle& style);
/// The height the steps panel wants at `width`.
int stepsFigureHeight(const Results& res, const ViewSettings& view, const FigureStyle& style, int width);
/// How many stages view.stepMechanism has on these results (1 when it cannot be traced: the panel
/// then shows why).
int stepCount(const Results& res, const ViewSettings& view);

}  // namespace attnscope
