// A grid of small pictures in one axis rect (the model view's layers × heads cells, the CLS maps'
// heads): one colour map holds every cell, so a 12 × 12 grid of 1024-token thumbnails draws in a
// few milliseconds. Cell (r, c) covers x ∈ [c, c + 1), y ∈ [r, r + 1) in axis coordinates (row 0 on
// top), so a click maps to its cell with mosaicCellAt().
#pragma once

#include <QString>
#include <QStringList>
#include <vector>

#include "figures/figure_style.h"
#include "model/model_views.h"

class QCustomPlot;
class QCPAxisRect;
class QCPColorGradient;
class QCPLayoutGrid;

namespace attnscope {

struct MosaicSpec {
  int rows = 0, cols = 0;
  std::vector<const Thumbnail*> cells;  ///< rows·cols, row-major (null: left empty)
  std::vector<QString> rowLabels, colLabels;
  QString rowTitle, colTitle;
  std::vector<QString> annotations;  ///< per cell, drawn in its top-left corner (may be empty)
  int selectedRow = -1, selectedCol = -1;  ///< outlined cell (−1: none; a column −1 outlines the row)
  /// Columns in groups of this many (grouped-query heads: one per KV head), separated by a line
  /// and named by `colGroupLabels` above the grid; 0 or 1: no groups.
  int colGroup = 0;
  std::vector<QString> colGroupLabels;
};

/// Adds the mosaic's axis rect at (row, col) of `grid`; its aspect follows the cells' shapes.
QCPAxisRect* addMosaic(QCustomPlot* plot, QCPLayoutGrid* grid, int row, int col, const MosaicSpec& spec,
                       const QCPColorGradient& gradient, const FigureStyle& style);
/// What the last layout of a mosaic in `plot` drew (zeros without one): a cell's size in pixels,
/// the row and column labels shown (thinned to what the axes hold), whether neighbouring labels
/// overlap, and how many corner notes there are and how many fit their cells (the rest are shown
/// on hover).
struct MosaicDrawn {
  double cellWidth = 0, cellHeight = 0;
  QStringList rowLabels, colLabels;
  bool labelsOverlap = false;
  int notes = 0, notesShown = 0;
};
MosaicDrawn mosaicDrawn(QCustomPlot* plot);
/// The cell under a pixel of `plot` (drawn by a builder using addMosaic): {row, col}, or {−1, −1}.
std::pair<int, int> mosaicCellAt(QCustomPlot* plot, const QPointF& pixel);

}  // namespace attnscope
