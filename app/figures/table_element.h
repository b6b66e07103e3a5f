// A layout element that draws a small table of text (the metrics panel). Columns take the width
// their text needs; when the element is narrower, the fonts shrink (down to 70 %) and only then
// is text elided, with "…" (never cut mid-glyph at a column edge).
#pragma once

#include <vector>

#include <qcustomplot.h>

namespace attnscope {

class TableElement : public QCPLayoutElement {
 public:
  /// @param header  column titles
  /// @param rows    cells, each row as long as the header; column 0 is left-aligned, the rest
  ///                right-aligned
  /// @param headerColors  text colour per column of the header (may be empty)
  TableElement(QCustomPlot* plot, QStringList header, std::vector<QStringList> rows, QFont font,
               QFont headerFont, std::vector<QColor> headerColors = {});

  /// Height the table needs.
  static int heightFor(int rows, const QFont& font);
  /// Width the table needs to show every cell whole at full font size.
  int naturalWidth() const;
  /// Cells (header included) the last draw had to elide.
  int elidedCells() const { return elided_; }
  /// The font scale the last draw used (1 = full size).
  double fontScale() const { return scale_; }

 protected:
  void draw(QCPPainter* painter) override;

 private:
  /// Natural width of each column at `scale` (text plus padding).
  std::vector<int> columnWidths(double scale) const;

  QStringList header_;
  std::vector<QStringList> rows_;
  QFont font_, headerFont_;
  std::vector<QColor> headerColors_;
  int elided_ = 0;
  double scale_ = 1.0;
};

}  // namespace attnscope
