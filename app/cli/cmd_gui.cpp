// Placeholder for the desktop window: the GUI issue replaces runGui.
#include <iostream>

#include "cli/commands.h"

namespace attnscope::cli {

int runGui(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: attnscope gui [FILE]\n\nOpens the desktop window on an image, text, .npy "
                 "or session file (default: the built-in sample image).\n";
    return 0;
  }
  std::cerr << "attnscope: error: the desktop window is not built yet in this version; use the "
               "headless commands (attnscope --help): compute, render, bench, info\n";
  return 1;
}

}  // namespace attnscope::cli
