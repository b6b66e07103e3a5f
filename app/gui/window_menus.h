// The window's menu bar (File, View, Run, Lessons, Help), built on MainWindow's public actions.
#pragma once

namespace attnscope::gui {

class MainWindow;

/// Adds the menus to `w` (its File ▸ Open recent is the session file's).
void buildWindowMenus(MainWindow& w);

}  // namespace attnscope::gui
