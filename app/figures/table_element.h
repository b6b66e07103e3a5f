// A layout element that draws a small table of text (the metrics panel).
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

 protected:
  void draw(QCPPainter* painter) override;

 private:
  QStringList header_;
  std::vector<QStringList> rows_;
  QFont font_, headerFont_;
  std::vector<QColor> headerColors_;
};

}  // namespace attnscope
