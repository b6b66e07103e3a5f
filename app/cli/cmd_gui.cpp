// `attnscope` / `attnscope gui [FILE]`: the desktop window, when this build has one. The window
// lives in the gui layer above this one; the executable hands its entry point in (setWindowEntry).
#include <QString>
#include <iostream>

#include "attnscope/error.h"
#include "cli/commands.h"
#include "model/sample_models.h"

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
    std::cout << "usage: attnscope gui [FILE]\n       attnscope gui --sample-model text|image\n\n"
                 "Opens the desktop window on an image, text, .npy or session file (default: the built-in "
                 "sample image), or on a trained sample model shipped with attnscope and its own input.\n";
    return 0;
  }
  if (!hasWindow()) {
    std::cerr << "attnscope: error: this attnscope was built without the window "
                 "(-DATTNSCOPE_GUI=OFF); the headless commands work (attnscope --help)\n";
    return 2;
  }
  if (!args.empty() && args[0] == "--sample-model") {
    if (args.size() != 2) {
      std::cerr << "attnscope: error: --sample-model takes one value: text or image\n";
      return 2;
    }
    std::string dir;
    try {
      dir = sampleModelDir(parseSampleModel(args[1]));
    } catch (const InvalidArgument& e) {
      std::cerr << "attnscope: error: --sample-model: " << e.what() << "\n";
      return 2;
    } catch (const Error& e) {
      std::cerr << "attnscope: error: " << e.what() << "\n";
      return 1;
    }
    return windowEntry()(QString::fromStdString(dir));  // a model folder opens on its own sample
  }
  if (args.size() > 1) {
    std::cerr << "attnscope: error: gui takes at most one file (got " << args.size() << ")\n";
    return 2;
  }
  return windowEntry()(args.empty() ? QString() : QString::fromStdString(args[0]));
}

}  // namespace attnscope::cli
