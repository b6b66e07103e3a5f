// `attnscope` / `attnscope gui [FILE]`: the desktop window, when this build has one. The window
// lives in the gui layer above this one; the executable hands its entry point in (setWindowEntry).
#include <QString>
#include <iostream>

#include "cli/commands.h"

namespace attnscope::cli {

namespace {
WindowEntry& windowEntry() {
  static WindowEntry entry;
  return entry;
}
}  // namespace

void setWindowEntry(WindowEntry entry) { windowEntry() = std::move(entry); }
bool hasWindow() { return static_cast<bool>(windowEntry()); }

int runGui(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: attnscope gui [FILE]\n\nOpens the desktop window on an image, text, .npy "
                 "or session file (default: the built-in sample image).\n";
    return 0;
  }
  if (!hasWindow()) {
    std::cerr << "attnscope: error: this attnscope was built without the window "
                 "(-DATTNSCOPE_GUI=OFF); the headless commands work (attnscope --help)\n";
    return 2;
  }
  if (args.size() > 1) {
    std::cerr << "attnscope: error: gui takes at most one file (got " << args.size() << ")\n";
    return 2;
  }
  return windowEntry()(args.empty() ? QString() : QString::fromStdString(args[0]));
}

}  // namespace attnscope::cli
