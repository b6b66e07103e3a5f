// The attention-maps panel: every mechanism side by side (softmax | linear | MHLA | …), each
// showing the query's row of its attention map — over the image's patch grid (dimmed image under a translucent heatmap, or
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

/// Clears `plot` and draws one map per mechanism with its title and colour scale(s).
void buildMapsFigure(QCustomPlot* plot, const Results& results, const ViewSettings& view,
                     const FigureStyle& style);
/// The hover path: after buildMapsFigure(plot, results, …) has drawn a grid display, shows
/// `rows` (one per mechanism, in results order) for `query` in place — cell colours and their
/// transparency over the image, colour ranges, subtitles and query markers, exactly as a fresh
/// build with those rows would — in a few milliseconds at N = 16384. @return false when the plot
/// shows no grid (text, curves) or was not built from these results' layout: rebuild instead.
bool updateMapsRows(QCustomPlot* plot, const Results& results, const std::vector<VectorD>& rows,
                    int query, const ViewSettings& view);
/// Height (logical pixels) the panel wants at `width`.
int mapsFigureHeight(const Results& results, const ViewSettings& view, const FigureStyle& style,
                     int width);

}  // namespace attnscope
