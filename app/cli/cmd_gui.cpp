// `attnscope` / `attnscope gui [FILE]`: the desktop window.
#include <QString>
#include <iostream>

#include "cli/commands.h"
#include "gui/gui_main.h"

namespace attnscope::cli {

int runGui(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: attnscope gui [FILE]\n\nOpens the desktop window on an image, text, .npy "
                 "or session file (default: the built-in sample image).\n";
    return 0;
  }
  if (args.size() > 1) {
    std::cerr << "attnscope: error: gui takes at most one file (got " << args.size() << ")\n";
    return 2;
  }
  return attnscope::runGui(args.empty() ? QString() : QString::fromStdString(args[0]));
}

}  // namespace attnscope::cli
