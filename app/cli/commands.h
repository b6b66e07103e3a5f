// The subcommands of the `attnscope` binary. Each takes its arguments (after the subcommand name),
// prints to stdout/stderr and returns the exit status; errors propagate as exceptions
// (UsageError → 2, attnscope::Error → 1) and are reported by runCli.
#pragma once

#include <QString>
#include <functional>
#include <string>
#include <vector>

namespace attnscope::cli {

using Args = std::vector<std::string>;

int runCompute(const Args& args);
int runRender(const Args& args);
int runBench(const Args& args);
int runInfo(const Args& args);
/// The desktop window through the entry point set with setWindowEntry (an error without one).
int runGui(const Args& args);
/// The window's entry point: opens `fileToOpen` (or the sample) and runs the event loop.
using WindowEntry = std::function<int(const QString& fileToOpen)>;
/// Called by the executable when it is built with the window (ATTNSCOPE_GUI=ON).
void setWindowEntry(WindowEntry entry);
bool hasWindow();

/// True for the subcommands that never open a window (main sets the offscreen platform for them).
bool isHeadless(const std::vector<std::string>& argv);
/// Dispatches on argv[1]; prints "attnscope: error: <message>" on stderr for errors.
int runCli(const std::vector<std::string>& argv);

}  // namespace attnscope::cli
