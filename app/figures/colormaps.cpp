#include "figures/colormaps.h"

#include "attnscope/error.h"

namespace attnscope {

namespace {
QCPColorGradient fromStops(std::initializer_list<const char*> hex) {
  QCPColorGradient g;
  QMap<double, QColor> stops;
  const int n = static_cast<int>(hex.size());
  int i = 0;
  for (const char* h : hex) stops.insert(double(i++) / (n - 1), QColor(QLatin1String(h)));
  g.setColorStops(stops);
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setLevelCount(256);
  return g;
}
}  // namespace

QCPColorGradient divergingGradient() {
  return fromStops({"#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b"});
}

std::vector<std::string> colormapNames() { return {"viridis", "magma", "cividis", "greyscale"}; }

QCPColorGradient makeGradient(const std::string& name) {
  if (name == "viridis")
    return fromStops({"#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
                      "#addc30", "#fde725"});
  if (name == "magma")
    return fromStops({"#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8861",
                      "#fec287", "#fcfdbf"});
  if (name == "cividis")
    return fromStops({"#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75",
                      "#c4b56c", "#e4cf5b", "#fee838"});
  if (name == "greyscale" || name == "grayscale") return fromStops({"#000000", "#ffffff"});
  throw InvalidArgument("unknown colormap '" + name + "' (expected viridis, magma, cividis or greyscale)");
}

}  // namespace attnscope
