#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>

#include "attnscope/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/session_options.h"
#include "cli/terminal_progress.h"

namespace attnscope::cli {

namespace {

const char* kUsage =
    "attnscope: softmax, linear and MHLA attention side by side\n"
    "\n"
    "usage:\n"
    "  attnscope                      the desktop window on the built-in sample image\n"
    "  attnscope gui [FILE]           the desktop window on an image, text, .npy or session\n"
    "  attnscope FILE                 the same (a file or a model folder, e.g. from a file manager)\n"
    "  attnscope compute [OPTIONS] --out-dir DIR\n"
    "                                 outputs, query rows, spectra, metrics as .npy/.json\n"
    "  attnscope render [OPTIONS] --out FILE.png|svg|pdf\n"
    "                                 the side-by-side figure, without a display\n"
    "  attnscope bench [OPTIONS]      forward timings on synthetic Q/K/V\n"
    "  attnscope info                 version, backends, threads, build options\n"
    "\n"
    "'attnscope COMMAND --help' lists the options of a command.\n"
    "Exit status: 0 success, 1 runtime error (bad file, budget, backend), 2 usage error.\n";

}  // namespace

namespace {
bool isCommand(const std::string& a) {
  for (const char* c : {"compute", "render", "bench", "info", "gui", "help", "--help", "-h", "--version"})
    if (a == c) return true;
  return false;
}
/// `attnscope FILE` (a file manager, a shell): an existing file or folder that is not a command
/// opens the window on it.
bool opensAFile(const std::vector<std::string>& argv) {
  if (argv.size() < 2 || isCommand(argv[1]) || argv[1].empty() || argv[1][0] == '-') return false;
  std::error_code ec;
  return std::filesystem::exists(argv[1], ec);
}
}  // namespace

bool isHeadless(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return false;
  if (opensAFile(argv)) return false;
  return argv[1] != "gui";
}

int runCli(const std::vector<std::string>& argv) {
  std::string cmd = argv.size() > 1 ? argv[1] : "gui";
  const Args rest(argv.size() > 2 ? argv.begin() + 2 : argv.end(), argv.end());
  try {
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version") return runInfo({"--version"});
    if (cmd == "compute") return runCompute(rest);
    if (cmd == "render") return runRender(rest);
    if (cmd == "bench") return runBench(rest);
    if (cmd == "info") return runInfo(rest);
    if (cmd == "gui") return runGui(rest);
    if (opensAFile(argv)) return runGui(Args(argv.begin() + 1, argv.end()));
    cmd.clear();
    throw UsageError("unknown command '" + argv[1] + "'");
  } catch (const UsageError& e) {
    endProgress();
    std::cerr << "attnscope: error: " << e.what() << "\n"
              << "(see 'attnscope " << (cmd.empty() || cmd == "gui" ? "" : cmd + " ")
              << "--help')\n";
    return 2;
  } catch (const Cancelled&) {
    endProgress();
    std::cerr << "attnscope: cancelled\n";
    return 1;
  } catch (const Error& e) {
    endProgress();
    std::cerr << "attnscope: error: " << worded(e.what()) << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    endProgress();
    std::cerr << "attnscope: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    endProgress();
    std::cerr << "attnscope: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace attnscope::cli
