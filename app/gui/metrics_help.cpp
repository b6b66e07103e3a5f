#include "gui/metrics_help.h"

#include <QObject>

namespace attnscope::gui {

QString metricsHelpHtml() {
  return QObject::tr(
      "<b>Metrics</b> (docs/math.md, “Metrics”), per mechanism:<ul>"
      "<li><b>entropy</b>: mean row entropy −Σ A<sub>ij</sub> ln A<sub>ij</sub> in nats. Higher = "
      "each query spreads its weight wider; <i>collapse</i> is the maximum, ln N.</li>"
      "<li><b>normalised entropy</b>: entropy / ln(#allowed keys), 0…1. Near 1 = uniform rows: "
      "global context collapse.</li>"
      "<li><b>row diversity</b>: mean cosine similarity between rows. Near 1 = every query attends "
      "alike (collapse); lower = queries look at different things.</li>"
      "<li><b>numerical rank</b>: σ<sub>k</sub> above 1e-4·σ<sub>1</sub>. Low rank = the map can "
      "express few distinct patterns (collapse toward rank 1).</li>"
      "<li><b>effective rank</b>: exp(entropy of σ/Σσ) (Roy &amp; Vetterli). Lower = collapse.</li>"
      "<li><b>KL to softmax</b>: mean KL(A<sup>soft</sup><sub>i</sub> ‖ A<sub>i</sub>); 0 = same "
      "map as softmax, ∞ where the map misses keys softmax uses.</li>"
      "<li><b>output rel. error</b>: ‖O − O<sup>soft</sup>‖<sub>F</sub> / ‖O<sup>soft</sup>‖<sub>F</sub>; "
      "0 = same output as softmax.</li></ul>");
}

}  // namespace attnscope::gui
