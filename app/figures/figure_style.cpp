#include "figures/figure_style.h"

#include <qcustomplot.h>

namespace attnscope {

QSize FittedText::minimumOuterSizeHint() const {
  QSize s = QCPTextElement::minimumOuterSizeHint();
  s.setWidth(std::min(s.width(), 24));
  return s;
}

void CellMap::draw(QCPPainter* painter) {
  QCPColorMapData* d = data();
  const int kx = d->keySize(), vy = d->valueSize();
  if (!painter->modes().testFlag(QCPPainter::pmVectorized) || kx < 1 || vy < 1 ||
      static_cast<long long>(kx) * vy > kVectorCells) {
    QCPColorMap::draw(painter);
    return;
  }
  // Cell edges halfway between cell centres (the data range spans the centres).
  const double dk = kx > 1 ? d->keyRange().size() / (kx - 1) : 1.0;
  const double dv = vy > 1 ? d->valueRange().size() / (vy - 1) : 1.0;
  const bool log = dataScaleType() == QCPAxis::stLogarithmic;
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing, false);
  painter->setPen(Qt::NoPen);
  for (int i = 0; i < kx; ++i)
    for (int j = 0; j < vy; ++j) {
      double key = 0, value = 0;
      d->cellToCoord(i, j, &key, &value);
      const QPointF a = coordsToPixels(key - dk / 2, value - dv / 2);
      const QPointF b = coordsToPixels(key + dk / 2, value + dv / 2);
      QColor c = QColor::fromRgba(gradient().color(d->cell(i, j), dataRange(), log));
      c.setAlpha(d->alpha(i, j));  // 255 where the map has no alpha
      if (c.alpha() == 0) continue;
      painter->setBrush(c);
      painter->drawRect(QRectF(a, b).normalized());
    }
  painter->restore();
}

QString FittedText::fitted(const QString& text, const QFont& font, int width, QFont* used) {
  *used = font;
  const int natural = QFontMetrics(font).horizontalAdvance(text);
  if (natural > width && natural > 0) {
    const double f = std::max(kMinFontScale, static_cast<double>(width) / natural * 0.98);
    if (font.pixelSize() > 0)
      used->setPixelSize(std::max(1, static_cast<int>(font.pixelSize() * f)));
    else
      used->setPointSizeF(font.pointSizeF() * f);
  }
  return QFontMetrics(*used).elidedText(text, Qt::ElideRight, width);
}

void FittedText::draw(QCPPainter* painter) {
  QFont font;
  const QString shown = fitted(mText, mainFont(), mRect.width(), &font);
  painter->setFont(font);
  painter->setPen(QPen(mainTextColor()));
  painter->drawText(mRect, mTextFlags, shown, &mTextBoundingRect);
}

QFont FigureStyle::font(double rel, bool bold) const {
  QFont f(family);
  f.setPixelSize(std::max(1, px(fontPx * rel)));
  f.setBold(bold);
  return f;
}

void resetPlot(QCustomPlot* plot, const FigureStyle& style) {
  plot->clearItems();
  plot->clearPlottables();
  plot->plotLayout()->clear();
  plot->setAutoAddPlottableToLegend(false);
  plot->setBackground(Qt::white);
  plot->setFont(style.font());
  plot->setAntialiasedElements(QCP::aeAll);
  plot->plotLayout()->setRowSpacing(style.px(4));
  plot->plotLayout()->setColumnSpacing(style.px(6));
}

void styleAxes(QCPAxisRect* rect, const FigureStyle& style) {
  for (QCPAxis* ax : rect->axes()) {
    ax->setTickLabelFont(style.font(0.85));
    ax->setLabelFont(style.font(0.95));
    ax->setBasePen(QPen(QColor(90, 90, 90), 1));
    ax->setTickPen(QPen(QColor(90, 90, 90), 1));
    ax->setSubTickPen(QPen(QColor(140, 140, 140), 1));
    ax->grid()->setPen(QPen(QColor(225, 225, 225), 1, Qt::SolidLine));
    ax->grid()->setSubGridVisible(false);
  }
}

QCPLegend* addLegendRow(QCustomPlot* plot, QCPLayoutGrid* grid, int row, const FigureStyle& style) {
  auto* line = new QCPLayoutGrid;
  grid->addElement(row, 0, line);
  auto* legend = new QCPLegend;
  line->addElement(0, 0, new QCPLayoutElement(plot));
  line->addElement(0, 1, legend);
  line->addElement(0, 2, new QCPLayoutElement(plot));
  line->setColumnStretchFactor(1, 0.001);
  legend->setLayer(QStringLiteral("legend"));
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setFont(style.font(0.85));
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setMargins(QMargins(0, 0, 0, 0));  // a row of keys, not a box: keep it low
  return legend;
}

void requestAspect(QCPAxisRect* rect, double ratio, Qt::Alignment align) {
  rect->setProperty("attnscopeAspect", ratio);
  rect->setProperty("attnscopeAspectAlign", int(align));
}

void fitAspect(QCustomPlot* plot) {
  std::vector<QCPAxisRect*> rects;
  for (QCPAxisRect* rect : plot->axisRects())
    if (rect->property("attnscopeAspect").isValid()) rects.push_back(rect);
  if (rects.empty()) return;
  // Back to the builder's own margins (automatic ones are recomputed by the layout), then pad.
  for (QCPAxisRect* rect : rects) {
    if (!rect->property("attnscopeAutoMargins").isValid()) {
      rect->setProperty("attnscopeAutoMargins", int(rect->autoMargins()));
      rect->setProperty("attnscopeMargins", QVariant::fromValue(rect->margins()));
    }
    rect->setAutoMargins(QCP::MarginSides(rect->property("attnscopeAutoMargins").toInt()));
    rect->setMargins(rect->property("attnscopeMargins").value<QMargins>());
  }
  // Colour scales that share a rect's top/bottom margin group follow its vertical margins.
  auto partners = [plot](QCPAxisRect* rect) {
    std::vector<QCPColorScale*> out;
    QCPMarginGroup* group = rect->marginGroup(QCP::msTop);
    if (!group) return out;
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
      if (auto* scale = qobject_cast<QCPColorScale*>(e); scale && scale->marginGroup(QCP::msTop) == group)
        out.push_back(scale);
    return out;
  };
  for (QCPAxisRect* rect : rects)
    for (QCPColorScale* scale : partners(rect)) {
      if (!scale->property("attnscopeAutoMargins").isValid())
        scale->setProperty("attnscopeAutoMargins", int(scale->autoMargins()));
      scale->setAutoMargins(QCP::MarginSides(scale->property("attnscopeAutoMargins").toInt()));
    }
  plot->replot(QCustomPlot::rpImmediateRefresh);
  for (QCPAxisRect* rect : rects) {
    const double ratio = rect->property("attnscopeAspect").toDouble();
    const QCPRange xr = rect->axis(QCPAxis::atBottom)->range();
    const QCPRange yr = rect->axis(QCPAxis::atLeft)->range();
    const double w = rect->width(), h = rect->height();
    if (w <= 0 || h <= 0 || xr.size() <= 0 || yr.size() <= 0) continue;
    // Width the x range needs at this height (x px per unit = ratio · y px per unit).
    const double wantW = h / yr.size() * ratio * xr.size();
    QMargins m = rect->margins();
    if (w > wantW + 0.5) {
      const int extra = static_cast<int>(std::floor(w - wantW));
      const int align = rect->property("attnscopeAspectAlign").toInt();
      const int left = (align & Qt::AlignLeft) ? 0 : (align & Qt::AlignRight) ? extra : extra / 2;
      m.setLeft(m.left() + left);
      m.setRight(m.right() + extra - left);
    } else if (w < wantW - 0.5) {
      const double wantH = w / xr.size() / ratio * yr.size();
      const int extra = static_cast<int>(std::floor(h - wantH));
      m.setTop(m.top() + extra / 2);
      m.setBottom(m.bottom() + extra - extra / 2);
    }
    rect->setAutoMargins(QCP::msNone);
    rect->setMargins(m);
    for (QCPColorScale* scale : partners(rect)) {
      QMargins sm = scale->margins();
      sm.setTop(m.top());
      sm.setBottom(m.bottom());
      scale->setAutoMargins(QCP::MarginSides(scale->property("attnscopeAutoMargins").toInt()) &
                            ~(QCP::msTop | QCP::msBottom));
      scale->setMargins(sm);
    }
  }
  plot->replot(QCustomPlot::rpImmediateRefresh);
}

FittedText* addNoteRow(QCustomPlot* plot, QCPLayoutGrid* grid, int row, const QString& text, const FigureStyle& style,
                       double rel) {
  auto* note = new FittedText(plot, text, style.font(rel));
  note->setTextColor(QColor(110, 110, 110));
  grid->addElement(row, 0, note);
  grid->setRowStretchFactor(row, 0.001);
  return note;
}

}  // namespace attnscope
