// FigureComposer: places the requested panels (each drawn by its descriptor's builder, panels.h)
// into one figure, where each descriptor says it sits, and exports it as PNG (at a DPI), SVG or PDF.
// The GUI uses the same builders live.
#pragma once

#include <QSize>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "figures/figure_style.h"
#include "figures/panels.h"
#include "model/results.h"

class QCPPainter;

namespace attnscope {

/// Vector figures (SVG, PDF) are sized for print: 212 logical pixels per inch, so the default
/// 1500-pixel figure is 180 mm wide (a two-column figure) and a 700-pixel panel 84 mm (one
/// column), with fonts and lines 1.4× the screen's: body text about 6–7 pt at that width.
inline constexpr int kVectorDpi = 212;
inline constexpr double kVectorFontScale = 1.4;
/// The style a figure written to `path` is drawn with: `base`, scaled for SVG and PDF.
FigureStyle exportStyle(const QString& path, FigureStyle base = {});

class FigureComposer {
 public:
  /// @param width  figure width in logical pixels (96 per inch)
  FigureComposer(std::shared_ptr<const Results> results, ViewSettings view, std::vector<Panel> panels,
                 FigureStyle style = {}, int width = 1500);
  ~FigureComposer();

  /// Size in logical pixels.
  QSize size() const;
  /// Where `panel` sits in the figure, in logical pixels (an empty rect when it is not in it).
  QRect panelRect(const Panel& panel) const;
  /// Paints the whole figure at (0, 0) in logical pixels.
  void paint(QCPPainter* painter) const;
  /// Writes PNG (`dpi` sets the pixel density, 96 = one pixel per logical pixel), SVG or PDF,
  /// chosen by the extension. Throws FileError naming the file.
  void exportTo(const QString& path, int dpi = 150) const;
  /// The same with `pixelsPerInch` logical pixels to the inch in every format (an ExportPreset's),
  /// instead of 96 for PNG and kVectorDpi for SVG and PDF: the figure is width / pixelsPerInch
  /// inches wide in all three.
  void exportTo(const QString& path, int dpi, double pixelsPerInch) const;

 private:
  struct Placed;
  std::shared_ptr<const Results> results_;
  ViewSettings view_;
  FigureStyle style_;
  int width_;
  int height_ = 0;
  std::vector<std::unique_ptr<Placed>> placed_;
  int h1_ = 0, h2_ = 0, headerHeight_ = 0;
  QString header_, subheader_;
};

}  // namespace attnscope
