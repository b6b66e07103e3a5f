// The desktop window's one entry point. `attnscope` (no arguments) and `attnscope gui [FILE]` call it.
#pragma once

#include <QString>

namespace attnscope {

/// Shows the explorer on the built-in sample image, or on `fileToOpen` (image, text, .npy Q — then
/// asks for K and V — or a session .json), and runs QApplication::exec(). A QApplication must
/// exist. @return the exit code of the event loop
int runGui(const QString& fileToOpen = QString());

}  // namespace attnscope
