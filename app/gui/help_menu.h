// The window's Help menu: the user guide (F1), About (version, backends, build options, the same
// facts as `attnscope info`) and Reset settings (window layout, recent files: back to the defaults).
#pragma once

class QMainWindow;
class QString;

namespace attnscope::gui {

/// Adds Help to `w`'s menu bar.
void addHelpMenu(QMainWindow& w);
/// The About text (rich text): version, Qt, backends with availability, build facts.
QString aboutText();

}  // namespace attnscope::gui
