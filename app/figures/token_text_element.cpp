#include "figures/token_text_element.h"

#include <QFontMetrics>

namespace attnscope {

namespace {
constexpr int kPadX = 3, kPadY = 2, kGap = 3;

/// Lays the words out left to right, wrapping at `width`; calls place(i, rect) for each.
template <class Place>
int layoutWords(const std::vector<QString>& labels, const QFontMetrics& fm, int width, Place place) {
  const int lineH = fm.height() + 2 * kPadY + kGap;
  int x = 0, y = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int w = fm.horizontalAdvance(labels[i]) + 2 * kPadX;
    if (x > 0 && x + w > width) {
      x = 0;
      y += lineH;
    }
    place(i, QRect(x, y, std::min(w, width), fm.height() + 2 * kPadY));
    x += w + kGap;
  }
  return labels.empty() ? 0 : y + lineH;
}
}  // namespace

QString displayLabel(const std::string& utf8) {
  QString s = QString::fromUtf8(utf8.data(), static_cast<int>(utf8.size()));
  s.replace(QLatin1Char('\n'), QStringLiteral("↵"));
  s.replace(QLatin1Char('\t'), QStringLiteral("→"));
  s.replace(QLatin1Char(' '), QStringLiteral("␣"));  // a BPE piece's spaces, visible
  return s.isEmpty() ? QStringLiteral("·") : s;
}

TokenTextElement::TokenTextElement(QCustomPlot* plot, std::vector<QString> labels,
                                   std::vector<double> weights, int query,
                                   QCPColorGradient gradient, QCPRange range, bool logScale,
                                   QFont font)
    : QCPLayoutElement(plot),
      labels_(std::move(labels)),
      weights_(std::move(weights)),
      query_(query),
      gradient_(std::move(gradient)),
      range_(range),
      log_(logScale),
      font_(std::move(font)) {}

int TokenTextElement::heightFor(const std::vector<QString>& labels, const QFont& font, int width) {
  return layoutWords(labels, QFontMetrics(font), width, [](size_t, const QRect&) {});
}

int TokenTextElement::contentHeight() const { return heightFor(labels_, font_, mRect.width() - 4) + 4; }

QRect TokenTextElement::tokenRect(int i) const {
  QRect out;
  if (i < 0 || i >= static_cast<int>(labels_.size())) return out;
  const QPoint origin = mRect.topLeft() + QPoint(2, 2 - scroll_);
  layoutWords(labels_, QFontMetrics(font_), mRect.width() - 4, [&](size_t k, const QRect& r) {
    if (static_cast<int>(k) == i) out = r.translated(origin);
  });
  return out;
}

int TokenTextElement::tokenAt(const QPoint& p) const {
  int out = -1;
  if (!mRect.contains(p)) return out;
  const QPoint origin = mRect.topLeft() + QPoint(2, 2 - scroll_);
  layoutWords(labels_, QFontMetrics(font_), mRect.width() - 4, [&](size_t k, const QRect& r) {
    if (out < 0 && r.translated(origin).contains(p)) out = static_cast<int>(k);
  });
  return out;
}

void TokenTextElement::draw(QCPPainter* painter) {
  painter->save();
  painter->setFont(font_);
  painter->setClipRect(mRect);
  const QFontMetrics fm = painter->fontMetrics();
  const QPoint origin = mRect.topLeft() + QPoint(2, 2 - scroll_);
  layoutWords(labels_, fm, mRect.width() - 4, [&](size_t i, const QRect& r0) {
    const QRect r = r0.translated(origin);
    if (r.top() > mRect.bottom() || r.bottom() < mRect.top()) return;
    const QRgb rgb = gradient_.color(weights_[i], range_, log_);
    const QColor bg(rgb);
    painter->setPen(Qt::NoPen);
    painter->setBrush(bg);
    painter->drawRoundedRect(r, 2, 2);
    const double lum = 0.299 * bg.redF() + 0.587 * bg.greenF() + 0.114 * bg.blueF();
    painter->setPen(lum > 0.55 ? Qt::black : Qt::white);
    painter->drawText(r, Qt::AlignCenter, labels_[i]);
    if (static_cast<int>(i) == query_) {
      painter->setBrush(Qt::NoBrush);
      painter->setPen(QPen(QColor(230, 30, 60), 2.5));
      painter->drawRoundedRect(r.adjusted(-1, -1, 1, 1), 2, 2);
    }
  });
  painter->restore();
}

}  // namespace attnscope
