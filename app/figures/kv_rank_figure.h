// The low-rank K/V panel (issue 25 #5, MATH.md "Low-rank K/V"): left, the energy of each layer's
// [K/α | V] held by its top r singular values (one curve per layer, the 90/95/99 % lines); right,
// what every layer at rank r costs the model: ΔNLL (text models) and the mean KL of the heads' maps
// to the model's own, with the KV cache each rank needs. The window's "Low-rank K/V" tab and
// `render --panels kv-rank` draw it from Results::kvSweep.
#pragma once

#include "figures/figure_style.h"
#include "model/results.h"

class QCustomPlot;

namespace attnscope {

void buildKvRankFigure(QCustomPlot* plot, const Results& results, const FigureStyle& style);

}  // namespace attnscope
