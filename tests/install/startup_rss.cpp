// Runs a program three times and fails when the median of its peak resident sets exceeds a bound:
//   attnscope_startup_rss PROGRAM MAX_KIB ARGS...
// The peak is the kernel's ru_maxrss of the child (wait4), which covers the whole process however it
// re-executes itself. The child's stdout goes to /dev/null; it must exit with status 0. The median,
// not the maximum: one run in many was seen at 124 MB on a loaded machine (the others at 24 MB),
// while what the test guards against (the CUDA libraries mapped at start-up) shows in every run.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

/// Peak resident set of one run in KiB, or -1 when it could not run or exited abnormally.
long peakKib(std::vector<char*>& args) {
  const pid_t pid = fork();
  if (pid < 0) return std::perror("fork"), -1;
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execv(args[0], args.data());
    std::perror("execv");
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return std::perror("wait4"), -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "FAIL: %s exited abnormally (status %d)\n", args[0], status);
    return -1;
  }
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PROGRAM MAX_KIB ARGS...\n", argv[0]);
    return 2;
  }
  const long maxKib = std::strtol(argv[2], nullptr, 10);
  std::vector<char*> args{argv[1]};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  std::vector<long> peaks;
  for (int run = 0; run < 3; ++run) {
    const long kib = peakKib(args);
    if (kib < 0) return 1;
    peaks.push_back(kib);
  }
  std::printf("peak resident set of '%s", argv[1]);
  for (int i = 3; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("': %ld, %ld, %ld KiB", peaks[0], peaks[1], peaks[2]);
  std::sort(peaks.begin(), peaks.end());
  std::printf("; median %ld KiB (bound %ld KiB)\n", peaks[1], maxKib);
  if (peaks[1] > maxKib) {
    std::printf("FAIL: over the bound\n");
    return 1;
  }
  return 0;
}
