// Adapter over the maps figure (figures/maps_figure.h) for the hover path: after
// buildMapsFigure() has drawn a plot, replaces the three maps' data, colour ranges and query
// markers in place (no rebuild), so hovering repaints in a few milliseconds at N = 16384.
#pragma once

#include <array>

#include "attnscope/types.h"
#include "model/results.h"

class QCustomPlot;
class QCPRange;

namespace attnscope::gui {

/// Updates a grid-display maps figure in place. @return false when the plot is not a grid display
/// (text / curve), in which case the caller rebuilds the figure.
bool updateGridMaps(QCustomPlot* plot, const Results& results, const std::array<VectorD, 3>& rows,
                    int query, const ViewSettings& view);

/// The colour range the maps figure uses for a row maximum.
QCPRange mapColourRange(double hi, bool log);

}  // namespace attnscope::gui
