// The attention-maps panel: softmax | linear | MHLA side by side, each showing the query's row of
// its attention map — over the image's patch grid (dimmed image under a translucent heatmap, or
// the bare grid), as coloured words for text, or as a curve over token index otherwise. Only draws:
// every number comes from Results.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

/// How the maps of these tokens are drawn.
enum class MapDisplay { Grid, Text, Curve };
MapDisplay mapDisplayFor(const TokenSet& tokens);

/// Clears `plot` and draws the three maps with their titles and colour scale(s).
void buildMapsFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                     const FigureStyle& style);
/// Height (logical pixels) the panel wants at `width`.
int mapsFigureHeight(const Results& results, const ViewSettings& view, const FigureStyle& style,
                     int width);

}  // namespace attnscope
