// What each metric means and which way is "collapse" (the metrics panel's tooltip).
#pragma once

#include <QString>

namespace attnscope::gui {
QString metricsHelpHtml();
}
