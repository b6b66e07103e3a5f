#include "gui/input_view.h"

#include <QFontMetricsF>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <algorithm>
#include <cmath>

#include "figures/figure_style.h"
#include "figures/token_text_element.h"

namespace attnscope::gui {

namespace {
QImage toQImage(const RgbImage& img) {
  QImage out(img.width, img.height, QImage::Format_RGB32);
  for (int y = 0; y < img.height; ++y) {
    QRgb* line = reinterpret_cast<QRgb*>(out.scanLine(y));
    for (int x = 0; x < img.width; ++x) {
      auto ch = [&](int c) { return std::clamp(int(img.at(x, y, c) * 255.f + 0.5f), 0, 255); };
      line[x] = qRgb(ch(0), ch(1), ch(2));
    }
  }
  return out;
}
}  // namespace

InputView::InputView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(240, 200);
}

void InputView::setResults(std::shared_ptr<const Results> results) {
  const bool newInput = !results_ || !results || results_->input != results->input;
  results_ = std::move(results);
  if (newInput) {
    image_ = (results_ && !results_->input->image.empty()) ? toQImage(results_->input->image)
                                                            : QImage();
    pinned_ = results_ ? results_->query : -1;
    hovered_ = -1;
    zoom_ = 1.0;
    pan_ = QPointF();
  }
  layoutTokens();
  update();
  // After the scroll area has taken the new height.
  if (newInput && pinned_ >= 0)
    QMetaObject::invokeMethod(this, [this] { ensureTokenVisible(pinned_); }, Qt::QueuedConnection);
}

void InputView::setPinned(int token) {
  pinned_ = token;
  update();
  ensureTokenVisible(token);
}

QScrollArea* InputView::scrollArea() const {
  // The scroll area's viewport is the parent; the area is the viewport's parent.
  QWidget* viewport = parentWidget();
  return viewport ? qobject_cast<QScrollArea*>(viewport->parentWidget()) : nullptr;
}

void InputView::ensureTokenVisible(int token) {
  QScrollArea* area = scrollArea();
  const QRectF r = tokenRect(token);
  if (!area || r.isEmpty()) return;
  area->ensureVisible(int(r.center().x()), int(r.center().y()), int(r.width() / 2) + 8,
                      int(r.height() / 2) + 30);
}

bool InputView::tokenInView(int token) const {
  const QRectF r = tokenRect(token);
  if (r.isEmpty()) return false;
  QRect shown = rect();
  if (QScrollArea* area = scrollArea())
    shown &= QRect(mapFrom(area->viewport(), QPoint(0, 0)), area->viewport()->size());
  return shown.contains(r.toAlignedRect());
}

void InputView::setTintBlocks(bool on) {
  tintBlocks_ = on;
  update();
}

void InputView::setShowBlocks(bool on) {
  showBlocks_ = on;
  update();
}

void InputView::resizeEvent(QResizeEvent*) { layoutTokens(); }

void InputView::layoutTokens() {
  textRects_.clear();
  if (!results_) return;
  // Long texts grow the view beyond its scroll area's height (wheel, PageDown, End scroll it).
  const auto needHeight = [this](int h) {
    if (minimumHeight() != h) setMinimumHeight(h);
  };
  const TokenSet& t = results_->input->tokens;
  const QRectF area = QRectF(rect()).adjusted(6, 6, -6, -6);
  if (t.hasGrid() && t.imageWidth > 0) {
    needHeight(200);
    scale_ = std::min(area.width() / t.imageWidth, area.height() / t.imageHeight);
    const QSizeF fit(t.imageWidth * scale_, t.imageHeight * scale_);
    const QPointF fitTopLeft = area.center() - QPointF(fit.width() / 2, fit.height() / 2);
    // Zoomed: the image grows about its fitted place and moves by pan_, never leaving a gap on a
    // side it could cover.
    scale_ *= zoom_;
    const QSizeF s(t.imageWidth * scale_, t.imageHeight * scale_);
    QPointF tl = fitTopLeft - QPointF((s.width() - fit.width()) / 2, (s.height() - fit.height()) / 2) + pan_;
    auto clampAxis = [](double pos, double size, double lo, double hi) {
      if (size <= hi - lo) return lo + (hi - lo - size) / 2;
      return std::clamp(pos, hi - size, lo);
    };
    tl.setX(clampAxis(tl.x(), s.width(), area.left(), area.right()));
    tl.setY(clampAxis(tl.y(), s.height(), area.top(), area.bottom()));
    target_ = QRectF(tl, s);
    return;
  }
  if (t.kind == InputKind::Text) {
    const QFontMetricsF fm(font());
    double x = area.left(), y = area.top();
    const double h = fm.height() + 6;
    for (const Token& tok : t.tokens) {
      const double w = fm.horizontalAdvance(displayLabel(tok.label)) + 8;
      if (x + w > area.right() && x > area.left()) {
        x = area.left();
        y += h + 2;
      }
      textRects_.emplace_back(x, y, w, h);
      x += w + 3;
    }
    needHeight(std::max(200, int(std::ceil(y + h + 12))));
    return;
  }
  needHeight(200);
  // Tokens without geometry: a near-square grid of cells in token order.
  const int n = t.size();
  const int cols = std::max(1, int(std::ceil(std::sqrt(double(n)))));
  const int rows = (n + cols - 1) / cols;
  const double cell = std::min(area.width() / cols, area.height() / rows);
  for (int i = 0; i < n; ++i)
    textRects_.emplace_back(area.left() + (i % cols) * cell, area.top() + (i / cols) * cell, cell,
                            cell);
}

QRectF InputView::tokenRect(int i) const {
  if (!results_ || i < 0 || i >= results_->n) return {};
  if (!textRects_.empty()) return textRects_[i];
  const PixelRect& r = results_->input->tokens.tokens[i].rect;
  return QRectF(target_.left() + r.x * scale_, target_.top() + r.y * scale_, r.width * scale_,
                r.height * scale_);
}

QPointF InputView::tokenCentre(int token) const { return tokenRect(token).center(); }

int InputView::tokenAt(const QPointF& p) const {
  if (!results_) return -1;
  const TokenSet& t = results_->input->tokens;
  if (textRects_.empty()) {
    if (!t.hasGrid() || !target_.contains(p)) return -1;
    const double ix = (p.x() - target_.left()) / scale_, iy = (p.y() - target_.top()) / scale_;
    // Patches are near-uniform: estimate the cell from the first patch's own rectangle (the
    // pixels the rectangles are in), then search its neighbourhood.
    const Token& first = t.tokens[t.gridFirstToken];
    const int pw = std::max(1, first.rect.width), ph = std::max(1, first.rect.height);
    const int c0 = std::clamp(int((ix - first.rect.x) / pw), 0, t.gridCols - 1);
    const int r0 = std::clamp(int((iy - first.rect.y) / ph), 0, t.gridRows - 1);
    for (int r = std::max(0, r0 - 1); r <= std::min(t.gridRows - 1, r0 + 1); ++r)
      for (int c = std::max(0, c0 - 1); c <= std::min(t.gridCols - 1, c0 + 1); ++c) {
        const int i = t.gridFirstToken + r * t.gridCols + c;
        if (tokenRect(i).contains(p)) return i;
      }
    return -1;
  }
  for (int i = 0; i < int(textRects_.size()); ++i)
    if (textRects_[i].contains(p)) return i;
  return -1;
}

void InputView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), QColor(250, 250, 250));
  if (!results_) return;
  const TokenSet& t = results_->input->tokens;
  const BlockLayout* layout = results_->layout.get();
  const MatrixD& mix = results_->mixing;
  const int qb = (pinned_ >= 0 && layout) ? layout->blockOf(pinned_) : -1;
  double rowMax = 0;
  if (qb >= 0 && mix.rows() > qb) rowMax = mix.row(qb).maxCoeff();
  // The colour of the mechanism whose maps show the blocks (MHLA).
  QColor blockColour(40, 150, 80);
  for (const MechanismResult& m : results_->mechanisms)
    if (m.showsBlocks) blockColour = FigureStyle::colour(m.rgb);
  auto blockTint = [&](int token) -> QColor {
    if (!showBlocks_ || !tintBlocks_ || qb < 0 || rowMax <= 0) return QColor(0, 0, 0, 0);
    const double w = mix(qb, layout->blockOf(token)) / rowMax;
    QColor c = blockColour;
    c.setAlphaF(0.3 * w);  // subtle: the picture stays readable under it
    return c;
  };

  if (textRects_.empty() && !image_.isNull()) {
    p.drawImage(target_, image_);
    // Blocks: tint by the query block's mixing weights, then boundaries.
    if (showBlocks_ && layout && layout->kind() == BlockLayout::Kind::TwoD) {
      for (int b = 0; b < layout->m(); ++b) {
        const auto& ord = layout->order();
        QRectF br;
        for (int k = layout->offsets()[b]; k < layout->offsets()[b + 1]; ++k)
          br = br.united(tokenRect(ord[k]));
        if (br.isEmpty()) continue;
        p.fillRect(br, blockTint(ord[layout->offsets()[b]]));
        p.setPen(QPen(QColor(255, 255, 255, 200), 1.5));
        p.drawRect(br);
        if (b == qb) {
          p.setPen(QPen(FigureStyle::queryColor(), 2.5));
          p.drawRect(br);
        }
      }
    } else {
      p.setPen(QPen(QColor(255, 255, 255, 60), 1));
      for (int r = 0; r <= t.gridRows; ++r) {
        const double y = target_.top() + target_.height() * r / t.gridRows;
        p.drawLine(QPointF(target_.left(), y), QPointF(target_.right(), y));
      }
      for (int c = 0; c <= t.gridCols; ++c) {
        const double x = target_.left() + target_.width() * c / t.gridCols;
        p.drawLine(QPointF(x, target_.top()), QPointF(x, target_.bottom()));
      }
    }
  } else {
    const bool text = t.kind == InputKind::Text;
    for (int i = 0; i < int(textRects_.size()); ++i) {
      QColor bg = blockTint(i);
      if (bg.alpha() == 0) bg = QColor(235, 235, 240);
      p.fillRect(textRects_[i].adjusted(0.5, 0.5, -0.5, -0.5), bg);
      if (text) {
        p.setPen(Qt::black);
        p.drawText(textRects_[i], Qt::AlignCenter, displayLabel(t.tokens[i].label));
      }
      if (showBlocks_ && layout && i > 0 && layout->blockOf(i) != layout->blockOf(i - 1)) {
        p.setPen(QPen(QColor(40, 40, 40), 2));
        p.drawLine(textRects_[i].topLeft() - QPointF(1.5, 0), textRects_[i].bottomLeft() - QPointF(1.5, 0));
      }
    }
  }
  if (hovered_ >= 0 && hovered_ != pinned_) {
    p.setPen(QPen(QColor(255, 200, 0), 2, Qt::DashLine));
    p.setBrush(Qt::NoBrush);
    p.drawRect(tokenRect(hovered_));
  }
  if (pinned_ >= 0) {
    p.setPen(QPen(FigureStyle::queryColor(), 3));
    p.setBrush(Qt::NoBrush);
    p.drawRect(tokenRect(pinned_).adjusted(-1, -1, 1, 1));
  }
}

void InputView::mouseMoveEvent(QMouseEvent* e) {
  if (panning_) {
    pan_ += QPointF(e->pos() - dragFrom_);
    dragFrom_ = e->pos();
    layoutTokens();
    update();
    return;
  }
  const int t = tokenAt(e->position());
  if (t == hovered_) return;
  hovered_ = t;
  update();
  emit tokenHovered(t);
}

void InputView::mousePressEvent(QMouseEvent* e) {
  if ((e->button() == Qt::RightButton || e->button() == Qt::MiddleButton) && textRects_.empty() && zoom_ > 1.0) {
    panning_ = true;
    dragFrom_ = e->pos();
    setCursor(Qt::ClosedHandCursor);
    return;
  }
  if (e->button() != Qt::LeftButton) return;
  const int t = tokenAt(e->position());
  if (t < 0) return;
  pinned_ = t;
  setFocus();
  update();
  emit tokenPinned(t);
}

void InputView::leaveEvent(QEvent*) {
  if (hovered_ < 0) return;
  hovered_ = -1;
  update();
  emit tokenHovered(-1);
}

void InputView::setZoom(double zoom, QPointF about) {
  if (!results_ || !textRects_.empty()) return;
  zoom = std::clamp(zoom, 1.0, 64.0);
  if (zoom == zoom_) return;
  // Keep the image point under `about` where it is.
  const QPointF u = (about - target_.topLeft()) / scale_;
  zoom_ = zoom;
  pan_ = QPointF();
  layoutTokens();
  const QPointF wanted = about - u * scale_;
  pan_ = wanted - target_.topLeft();
  layoutTokens();
  update();
}

void InputView::mouseReleaseEvent(QMouseEvent* e) {
  if (panning_) {
    panning_ = false;
    unsetCursor();
  }
  QWidget::mouseReleaseEvent(e);
}

void InputView::mouseDoubleClickEvent(QMouseEvent* e) {
  if (textRects_.empty() && zoom_ != 1.0) {
    zoom_ = 1.0;
    pan_ = QPointF();
    layoutTokens();
    update();
    return;
  }
  QWidget::mouseDoubleClickEvent(e);
}

void InputView::wheelEvent(QWheelEvent* e) {
  if (results_ && textRects_.empty() && !image_.isNull()) {  // images zoom about the cursor
    setZoom(zoom_ * std::pow(1.25, e->angleDelta().y() / 120.0), e->position());
    e->accept();
    return;
  }
  QScrollArea* area = scrollArea();
  if (!area) return QWidget::wheelEvent(e);
  QScrollBar* bar = area->verticalScrollBar();
  const int line = QFontMetrics(font()).height() + 8;
  bar->setValue(bar->value() - e->angleDelta().y() * 3 * line / 120);
  e->accept();
}

void InputView::keyPressEvent(QKeyEvent* e) {
  if (QScrollArea* area = scrollArea()) {
    QScrollBar* bar = area->verticalScrollBar();
    switch (e->key()) {
      case Qt::Key_PageDown: bar->triggerAction(QAbstractSlider::SliderPageStepAdd); return;
      case Qt::Key_PageUp: bar->triggerAction(QAbstractSlider::SliderPageStepSub); return;
      case Qt::Key_Home: bar->triggerAction(QAbstractSlider::SliderToMinimum); return;
      case Qt::Key_End: bar->triggerAction(QAbstractSlider::SliderToMaximum); return;
      default: break;
    }
  }
  if (!results_ || pinned_ < 0) return QWidget::keyPressEvent(e);
  const TokenSet& t = results_->input->tokens;
  int next = pinned_;
  const int cols = t.hasGrid() ? t.gridCols : 1;
  switch (e->key()) {
    case Qt::Key_Left: next -= 1; break;
    case Qt::Key_Right: next += 1; break;
    case Qt::Key_Up: next -= t.hasGrid() ? cols : 1; break;
    case Qt::Key_Down: next += t.hasGrid() ? cols : 1; break;
    default: return QWidget::keyPressEvent(e);
  }
  if (next < 0 || next >= t.size()) return;
  pinned_ = next;
  update();
  ensureTokenVisible(next);
  emit tokenPinned(next);
}

}  // namespace attnscope::gui
