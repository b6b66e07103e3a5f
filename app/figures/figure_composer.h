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

class FigureComposer;

/// The pages a PDF of `panels` gets: one view per page. A panel with pages (the steps panel
/// without a stage asked for: one page per stage) decides; otherwise one page, `view`.
std::vector<ViewSettings> figurePages(const Results& results, const ViewSettings& view,
                                      const std::vector<Panel>& panels);
/// Writes `pages` as one PDF, a page each at its own size (`pixelsPerInch` ≤ 0: kVectorDpi),
/// atomically. Throws FileError naming the file.
void exportPdfPages(const std::vector<const FigureComposer*>& pages, const QString& path, double pixelsPerInch = 0);

/// What exportFigureFile wrote.
struct FigureWritten {
  int pages = 1;
  QSize size;  ///< the first page's, in logical pixels
};
/// Draws `panels` of `results` and writes them to `path` (PNG, SVG or PDF by the extension), as
/// `render` and the window's export both do: one figure, or for a PDF of a panel with pages
/// (figurePages) one page each. `pixelsPerInch` > 0: an export preset's (exportTo).
FigureWritten exportFigureFile(std::shared_ptr<const Results> results, const ViewSettings& view,
                               const std::vector<Panel>& panels, const QString& path, int dpi,
                               const FigureStyle& style, int width, double pixelsPerInch = 0);

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
