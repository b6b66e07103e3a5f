// A layout element that draws text tokens as wrapped words, each on a background coloured by its
// weight (the query token outlined). Used by the maps figure for text inputs.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <qcustomplot.h>

namespace attnscope {

class TokenTextElement : public QCPLayoutElement {
 public:
  /// @param labels  token labels in order
  /// @param weights one weight per label (the query's attention row)
  /// @param query   index of the query token (outlined), -1 for none
  TokenTextElement(QCustomPlot* plot, std::vector<QString> labels, std::vector<double> weights,
                   int query, QCPColorGradient gradient, QCPRange range, bool logScale, QFont font);

  /// Height (pixels) the tokens need when wrapped into `width` pixels.
  static int heightFor(const std::vector<QString>& labels, const QFont& font, int width);

  /// Scrolls the words up by `px` pixels (the window scrolls long texts; figures keep 0).
  void setScroll(int px) { scroll_ = std::max(0, px); }
  int scroll() const { return scroll_; }
  /// Height the words need at the element's current width (pixels).
  int contentHeight() const;
  /// Where token `i` is drawn (plot pixels, scroll included); empty for no such token.
  QRect tokenRect(int i) const;
  /// The token drawn at plot pixel `p`, or -1.
  int tokenAt(const QPoint& p) const;

 protected:
  void draw(QCPPainter* painter) override;

 private:
  std::vector<QString> labels_;
  std::vector<double> weights_;
  int query_;
  QCPColorGradient gradient_;
  QCPRange range_;
  bool log_;
  QFont font_;
  int scroll_ = 0;
};

/// Token labels of a TokenSet-like list, with whitespace and control characters made visible.
QString displayLabel(const std::string& utf8);

}  // namespace attnscope
