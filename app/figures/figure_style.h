// Fonts, colours and sizes shared by every figure builder, scaled for screen or print.
#pragma once

#include <QColor>
#include <cstdint>
#include <QFont>
#include <QString>

#include <qcustomplot.h>

namespace attnscope {

/// A title or note that never widens its layout: its minimum width is small, and text wider than
/// its cell is drawn in a smaller font (down to kMinFontScale of its own), elided with "…" only when
/// even that does not fit (a narrow panel, presentation or print fonts: the figure's other
/// elements keep their room, issue 14 #16; the whole title stays in SVG and PDF, issue 27 #5).
class FittedText : public QCPTextElement {
 public:
  static constexpr double kMinFontScale = 0.72;
  using QCPTextElement::QCPTextElement;
  QSize minimumOuterSizeHint() const override;
  /// What is drawn of `text` in `font` within `width` pixels, and the font it is drawn in.
  static QString fitted(const QString& text, const QFont& font, int width, QFont* used);

 protected:
  void draw(QCPPainter* painter) override;
};

/// A colour map that draws its cells as filled rectangles on vector painters (SVG, PDF) up to
/// kVectorCells cells, so no exported heatmap is JPEG-compressed or resampled; on screen and in
/// PNG it draws as QCPColorMap does.
class CellMap : public QCPColorMap {
 public:
  static constexpr int kVectorCells = 300000;
  using QCPColorMap::QCPColorMap;

 protected:
  void draw(QCPPainter* painter) override;
};

struct FigureStyle {
  QString family = QStringLiteral("DejaVu Sans");
  int fontPx = 13;     ///< body text, in logical pixels
  double scale = 1.0;  ///< multiplies every size (a GUI may set it from the screen's DPI)

  /// A font `rel` times the body size.
  QFont font(double rel = 1.0, bool bold = false) const;
  int px(double logical) const { return static_cast<int>(logical * scale + 0.5); }
  /// Line colour of softmax, linear, MHLA (MechanismKind order).
  /// A registry colour (0xRRGGBB) as a QColor.
  static QColor colour(std::uint32_t rgb) { return QColor::fromRgb(rgb); }
  static QColor queryColor() { return QColor(230, 30, 60); }
};

/// Clears `plot` and applies the style's fonts and a white background.
void resetPlot(QCustomPlot* plot, const FigureStyle& style);
/// Applies fonts and pens to the four axes of a rect.
void styleAxes(QCPAxisRect* rect, const FigureStyle& style);
/// A borderless legend whose entries sit side by side, centred in row `row` of `grid` (a legend
/// alone in a cell spreads its entries over the whole width).
QCPLegend* addLegendRow(QCustomPlot* plot, QCPLayoutGrid* grid, int row, const FigureStyle& style);
/// A grey one-line note (`rel` times the body size) in row `row` of `grid`, not stretched.
FittedText* addNoteRow(QCustomPlot* plot, QCPLayoutGrid* grid, int row, const QString& text, const FigureStyle& style,
                       double rel = 0.75);
/// Marks an axis rect whose x and y units must be drawn with this pixel ratio (x px per unit /
/// y px per unit); fitAspect() honours it once the plot has its final size.
/// `align` says where a rect narrower than its cell sits in it (Qt::AlignLeft, AlignHCenter,
/// AlignRight; a shorter one is always centred vertically).
void requestAspect(QCPAxisRect* rect, double ratio, Qt::Alignment align = Qt::AlignHCenter);
/// Pads every marked axis rect (left/right or top/bottom margins, equally) so its units keep their
/// ratio while its axes keep exactly the ranges the builder set: a heatmap's axes match its cells.
/// Replots to lay the plot out; call after the plot has its final size (FigureComposer and the
/// GUI's resize handlers do), as often as the size changes.
void fitAspect(QCustomPlot* plot);

}  // namespace attnscope
