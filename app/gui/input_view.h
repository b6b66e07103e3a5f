// The input: the image with its patch grid and MHLA block boundaries (blocks tinted by the query
// block's mixing row), or the text as wrapped tokens, or (other sources) a square of token cells.
// Hover previews a query token, click pins it, arrow keys move the pinned token.
#pragma once

#include <QImage>
#include <QWidget>
#include <memory>
#include <vector>

#include "model/results.h"

class QScrollArea;

namespace attnscope::gui {

class InputView : public QWidget {
  Q_OBJECT
 public:
  explicit InputView(QWidget* parent = nullptr);

  void setResults(std::shared_ptr<const Results> results);
  void setPinned(int token);
  int pinned() const { return pinned_; }
  int hovered() const { return hovered_; }
  void setShowBlocks(bool on);
  bool showBlocks() const { return showBlocks_; }
  /// Tint each block by the query block's mixing weight (off: outlines only, the default).
  void setTintBlocks(bool on);
  bool tintBlocks() const { return tintBlocks_; }
  /// Token under a widget position, or -1.
  int tokenAt(const QPointF& pos) const;
  /// Centre of a token in widget coordinates (tests).
  QPointF tokenCentre(int token) const;

  QSize sizeHint() const override { return {420, 360}; }
  /// Scrolls the enclosing scroll area (the window's) so that `token` is in view.
  void ensureTokenVisible(int token);
  /// True when `token` is fully inside the visible part of the view.
  bool tokenInView(int token) const;
  /// Images: the zoom factor (1 = the whole image fits; the wheel zooms about the cursor up to
  /// 64×, a right- or middle-button drag pans, a double-click resets).
  double zoom() const { return zoom_; }
  void setZoom(double zoom, QPointF about);

 signals:
  void tokenHovered(int token);  ///< -1 when the mouse leaves
  void tokenPinned(int token);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  void leaveEvent(QEvent*) override;
  void keyPressEvent(QKeyEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseDoubleClickEvent(QMouseEvent* e) override;
  void resizeEvent(QResizeEvent*) override;

 private:
  void layoutTokens();
  QScrollArea* scrollArea() const;
  QRectF tokenRect(int token) const;

  std::shared_ptr<const Results> results_;
  QImage image_;
  QRectF target_;               ///< image/grid area in widget pixels
  double scale_ = 1.0;          ///< widget px per image px
  std::vector<QRectF> textRects_;  ///< text and cell layouts: one rect per token
  int pinned_ = -1, hovered_ = -1;
  bool showBlocks_ = true;
  bool tintBlocks_ = false;
  double zoom_ = 1.0;
  QPointF pan_;                 ///< offset of the zoomed image from its fitted place (widget px)
  QPoint dragFrom_;
  bool panning_ = false;
};

}  // namespace attnscope::gui
