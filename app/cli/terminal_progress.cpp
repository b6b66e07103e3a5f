#include "cli/terminal_progress.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

namespace attnscope::cli {

namespace {
bool gLineOpen = false;
}

JobControl terminalProgress(const std::string& what) {
  JobControl job;
  if (!isatty(STDERR_FILENO)) return job;
  auto last = std::make_shared<int>(-1);
  job.progress = [what, last](double f) {
    const int pct = static_cast<int>(f * 100.0 + 0.5);
    if (pct == *last) return;
    *last = pct;
    std::fprintf(stderr, "\r%s: %3d%%", what.c_str(), pct);
    std::fflush(stderr);
    gLineOpen = true;
  };
  return job;
}

void endProgress() {
  if (gLineOpen) std::fprintf(stderr, "\r\033[K");
  gLineOpen = false;
}

}  // namespace attnscope::cli
