#include "figures/export_presets.h"

#include "attnscope/error.h"
#include "figures/figure_composer.h"

namespace attnscope {

const std::vector<ExportPreset>& exportPresets() {
  static const std::vector<ExportPreset> presets = {
      {"single-column", "single column (3.5 in)", 3.5, double(kVectorDpi), kVectorFontScale, 300},
      {"double-column", "double column (7.16 in)", 7.16, double(kVectorDpi), kVectorFontScale, 300},
      {"slide-16x9", "slide 16:9 (13.33 in)", 40.0 / 3.0, 96.0, 1.0, 144},
  };
  return presets;
}

const ExportPreset& findExportPreset(const std::string& id) {
  std::string ids;
  for (const ExportPreset& p : exportPresets()) {
    if (p.id == id) return p;
    ids += (ids.empty() ? "" : ", ") + p.id;
  }
  throw InvalidArgument("unknown figure preset '" + id + "' (choose " + ids + ")");
}

}  // namespace attnscope
