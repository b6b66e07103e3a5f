// The model explorer's figures (issue 13), drawn from Results::modelViews, for the window's tabs and
// `attnscope render --panels model-view,layer-curves,rollout,cls-maps`:
// - model view: a layers × heads grid of one mechanism's maps (the query's row, or whole maps for
//   short texts), each cell scaled to its own maximum and annotated with one metric;
// - layer curves: normalised entropy, effective rank and KL to softmax per layer (mean, and the
//   range over heads as bars) for every mechanism;
// - rollout: each mechanism's attention rollout, the CLS row (ViTs) or the query's row, drawn as
//   the maps panel draws rows;
// - CLS maps: per head of the selected layer, the CLS row over the patch grid and the fewest
//   patches holding the chosen share of its mass.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildModelViewFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                          const FigureStyle& style);
void buildLayerCurvesFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);
void buildRolloutFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                        const FigureStyle& style);
void buildClsMapsFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                        const FigureStyle& style);

/// One cell of the model view in words: "layer 3 · head 7 · <metric> 0.53" (its hover text; the
/// corner number is drawn only where it fits the cell). Empty outside the grid.
QString modelViewCellText(const ModelViews& views, int layer, int head);

/// Heights (logical pixels) the panels want at `width`.
int modelViewFigureHeight(const Results& results, const FigureStyle& style, int width);
int clsMapsFigureHeight(const Results& results, const FigureStyle& style, int width);

/// The Results the rollout panel draws: `results` with each mechanism's shown row replaced by its
/// rollout row and its label by "rollout · <name>" (null without rollout rows).
std::shared_ptr<const Results> rolloutResults(const Results& results);

}  // namespace attnscope
