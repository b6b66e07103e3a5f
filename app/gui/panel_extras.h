// What the window adds to some built-in panels beyond their figure: the Re-time and Run scaling
// sweep buttons and notes, the metrics' help tooltip, the spectra's "computing" note, and a click
// on a model-view cell selecting its layer and head. Panels without extras need nothing here.
#pragma once

#include <functional>

#include "session/session.h"

namespace attnscope::gui {

class ExplorerController;
class PanelHost;

/// Adds the extras to `host`'s panels; `edit` applies a session edit (MainWindow::applyEdit).
void addPanelExtras(PanelHost& host, ExplorerController& controller,
                    const std::function<void(const std::function<void(Session&)>&)>& edit);

}  // namespace attnscope::gui
