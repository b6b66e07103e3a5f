// Progress of long work on stderr, only when stderr is a terminal.
#pragma once

#include <string>

#include "attnscope/progress.h"

namespace attnscope::cli {

/// A JobControl whose progress prints "\r<what>: 42%" on a terminal (nothing otherwise).
JobControl terminalProgress(const std::string& what);
/// Ends the progress line (if one was printed).
void endProgress();

}  // namespace attnscope::cli
