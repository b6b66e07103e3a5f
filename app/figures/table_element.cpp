#include "figures/table_element.h"

#include <QFontMetrics>

namespace attnscope {

TableElement::TableElement(QCustomPlot* plot, QStringList header, std::vector<QStringList> rows,
                           QFont font, QFont headerFont, std::vector<QColor> headerColors)
    : QCPLayoutElement(plot),
      header_(std::move(header)),
      rows_(std::move(rows)),
      font_(std::move(font)),
      headerFont_(std::move(headerFont)),
      headerColors_(std::move(headerColors)) {}

int TableElement::heightFor(int rows, const QFont& font) {
  const int lineH = QFontMetrics(font).height() * 3 / 2;
  return (rows + 1) * lineH + 8;
}

void TableElement::draw(QCPPainter* painter) {
  painter->save();
  const int lineH = QFontMetrics(font_).height() * 3 / 2;
  const int cols = header_.size();
  if (cols == 0) return painter->restore();
  // Column 0 gets 40 % of the width, the others share the rest.
  const int left = mRect.left() + 4, width = mRect.width() - 8;
  const int firstW = width * 2 / 5;
  const int otherW = cols > 1 ? (width - firstW) / (cols - 1) : 0;
  auto cellRect = [&](int row, int col) {
    const int x = col == 0 ? left : left + firstW + (col - 1) * otherW;
    return QRect(x + 6, mRect.top() + row * lineH, (col == 0 ? firstW : otherW) - 12, lineH);
  };
  for (int r = 1; r <= static_cast<int>(rows_.size()); r += 2)
    painter->fillRect(QRect(left, mRect.top() + r * lineH, width, lineH), QColor(244, 246, 249));
  painter->setPen(QPen(QColor(120, 120, 120), 1));
  painter->drawLine(QLineF(left, mRect.top() + lineH, left + width, mRect.top() + lineH));
  painter->setFont(headerFont_);
  for (int c = 0; c < cols; ++c) {
    painter->setPen(c < static_cast<int>(headerColors_.size()) ? headerColors_[c] : QColor(Qt::black));
    painter->drawText(cellRect(0, c), (c == 0 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter,
                      header_[c]);
  }
  painter->setFont(font_);
  painter->setPen(Qt::black);
  for (size_t r = 0; r < rows_.size(); ++r)
    for (int c = 0; c < cols && c < rows_[r].size(); ++c)
      painter->drawText(cellRect(static_cast<int>(r) + 1, c),
                        (c == 0 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter, rows_[r][c]);
  painter->restore();
}

}  // namespace attnscope
