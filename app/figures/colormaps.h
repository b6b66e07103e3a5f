// The colour maps of the figures. QCustomPlot has no viridis / magma / cividis presets, so their
// gradient stops are defined here (sampled from the matplotlib definitions at equal steps).
#pragma once

#include <QColor>
#include <string>
#include <vector>

#include <qcustomplot.h>

namespace attnscope {

/// "viridis", "magma", "cividis", "greyscale" (throws InvalidArgument otherwise).
QCPColorGradient makeGradient(const std::string& name);
std::vector<std::string> colormapNames();
/// Blue – white – red for signed values (white at the middle of the range): difference maps.
QCPColorGradient divergingGradient();

}  // namespace attnscope
