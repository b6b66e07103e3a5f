// Figure sizes for papers and slides (`attnscope render --preset`): a physical width, and the layout
// width, font scale and logical pixels per inch that make a figure exactly that wide as PNG (at its
// DPI), SVG and PDF alike.
#pragma once

#include <string>
#include <vector>

namespace attnscope {

struct ExportPreset {
  std::string id;         ///< "single-column", "double-column", "slide-16x9"
  std::string label;      ///< "single column (3.5 in)"
  double widthInches;     ///< the figure's physical width
  double pixelsPerInch;   ///< logical pixels per inch (FigureComposer::exportTo)
  double fontScale;       ///< FigureStyle::scale
  int pngDpi;             ///< the PNG's default pixel density
  /// The layout width in logical pixels: widthInches × pixelsPerInch, rounded.
  int layoutWidth() const { return static_cast<int>(widthInches * pixelsPerInch + 0.5); }
};

/// single column (3.5 in) and double column (7.16 in): a journal's column widths (IEEE, ACM), drawn
/// like every vector export (212 logical pixels per inch, fonts 1.4×; PNG at 300 dpi); slide 16:9:
/// the 13.33-in width of a 16:9 slide, drawn at screen scale (96 per inch; PNG at 144 dpi, 1920
/// pixels wide).
const std::vector<ExportPreset>& exportPresets();
/// The preset named `id`; throws InvalidArgument naming the ids there are.
const ExportPreset& findExportPreset(const std::string& id);

}  // namespace attnscope
