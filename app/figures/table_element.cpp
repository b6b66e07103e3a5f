#include "figures/table_element.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope {

namespace {
constexpr int kPad = 12;  ///< horizontal padding per cell (6 px each side)
constexpr double kMinScale = 0.7;

QFont scaled(QFont f, double s) {
  if (f.pointSizeF() > 0)
    f.setPointSizeF(f.pointSizeF() * s);
  else if (f.pixelSize() > 0)
    f.setPixelSize(std::max(1, int(std::lround(f.pixelSize() * s))));
  return f;
}
}  // namespace

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

std::vector<int> TableElement::columnWidths(double scale) const {
  const QFontMetricsF body(scaled(font_, scale)), head(scaled(headerFont_, scale));
  std::vector<int> w(static_cast<std::size_t>(header_.size()), 0);
  for (int c = 0; c < header_.size(); ++c) {
    double x = head.horizontalAdvance(header_[c]);
    for (const QStringList& row : rows_)
      if (c < row.size()) x = std::max(x, body.horizontalAdvance(row[c]));
    w[static_cast<std::size_t>(c)] = static_cast<int>(std::ceil(x)) + kPad;
  }
  return w;
}

int TableElement::naturalWidth() const {
  const std::vector<int> w = columnWidths(1.0);
  return std::accumulate(w.begin(), w.end(), 0) + 8;
}

void TableElement::draw(QCPPainter* painter) {
  const int cols = header_.size();
  if (cols == 0) return;
  painter->save();
  const int left = mRect.left() + 4, width = mRect.width() - 8;
  // The largest font scale (≤ 1, ≥ kMinScale) at which every column fits.
  scale_ = 1.0;
  std::vector<int> w = columnWidths(1.0);
  int need = std::accumulate(w.begin(), w.end(), 0);
  if (need > width) {
    scale_ = std::max(kMinScale, std::floor(100.0 * width / need) / 100.0);
    for (int k = 0; k < 4; ++k) {  // widths are not exactly linear in the point size
      w = columnWidths(scale_);
      need = std::accumulate(w.begin(), w.end(), 0);
      if (need <= width || scale_ <= kMinScale) break;
      scale_ = std::max(kMinScale, scale_ - 0.03);
    }
  }
  // Spare width goes to the gaps between columns; a shortfall comes off the first column
  // (the metric names), which elides.
  std::vector<int> colW = w;
  if (need <= width) {
    const int extra = (width - need) / cols;
    for (int& x : colW) x += extra;
  } else {
    const int others = need - w[0];
    colW[0] = std::max(kPad + 10, width - others);
    if (colW[0] + others > width)  // still too wide: every column shrinks alike
      for (int& x : colW) x = std::max(kPad + 4, x * width / need);
  }
  const QFont body = scaled(font_, scale_), head = scaled(headerFont_, scale_);
  const int lineH = QFontMetrics(font_).height() * 3 / 2;
  auto cellRect = [&](int row, int col) {
    int x = left;
    for (int c = 0; c < col; ++c) x += colW[static_cast<std::size_t>(c)];
    return QRect(x + kPad / 2, mRect.top() + row * lineH, colW[static_cast<std::size_t>(col)] - kPad, lineH);
  };
  elided_ = 0;
  auto drawCell = [&](const QRect& r, int col, const QString& text) {
    const QFontMetrics fm = painter->fontMetrics();
    QString shown = text;
    if (fm.horizontalAdvance(text) > r.width()) {
      shown = fm.elidedText(text, Qt::ElideRight, r.width());
      ++elided_;
    }
    painter->drawText(r, (col == 0 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter, shown);
  };
  for (int r = 1; r <= static_cast<int>(rows_.size()); r += 2)
    painter->fillRect(QRect(left, mRect.top() + r * lineH, width, lineH), QColor(244, 246, 249));
  painter->setPen(QPen(QColor(120, 120, 120), 1));
  painter->drawLine(QLineF(left, mRect.top() + lineH, left + width, mRect.top() + lineH));
  painter->setFont(head);
  for (int c = 0; c < cols; ++c) {
    painter->setPen(c < static_cast<int>(headerColors_.size()) ? headerColors_[c] : QColor(Qt::black));
    drawCell(cellRect(0, c), c, header_[c]);
  }
  painter->setFont(body);
  painter->setPen(Qt::black);
  for (size_t r = 0; r < rows_.size(); ++r)
    for (int c = 0; c < cols && c < rows_[r].size(); ++c)
      drawCell(cellRect(static_cast<int>(r) + 1, c), c, rows_[r][c]);
  painter->restore();
}

}  // namespace attnscope
