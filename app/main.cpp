// The `attnscope` executable: the desktop window or a headless subcommand (app/cli/).
#include <QApplication>
#include <QIcon>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "attnscope/blas_library.h"
#include "cli/commands.h"
#ifdef ATTNSCOPE_HAVE_GUI
#include "gui/gui_main.h"
#endif

namespace {
// Offscreen runs without a session bus or runtime dir make Qt print setup chatter on stderr; keep
// stderr for our own messages.
QtMessageHandler gDefaultHandler = nullptr;
void headlessMessages(QtMsgType type, const QMessageLogContext& ctx, const QString& msg) {
  if (type != QtFatalMsg && msg.startsWith(QLatin1String("QStandardPaths:"))) return;
  gDefaultHandler(type, ctx, msg);
}

// OpenMP threads that spin while waiting (libgomp's default) hold a core that another process
// needs; on a loaded machine the team's other thread is then descheduled and every parallel
// loop waits a whole scheduler slice (timings quantised to ~4 ms on 2 cores). libgomp reads
// OMP_WAIT_POLICY only when it loads, so when the user has set neither it nor GOMP_SPINCOUNT,
// start again once with OMP_WAIT_POLICY=PASSIVE (waiting threads sleep). If that fails, carry on.
void preferPassiveOpenMpWaiting(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OMP_WAIT_POLICY");  // still this process: its OpenMP runtime kept the default
}
}  // namespace

int main(int argc, char** argv) {
  // A write past a file-size limit (RLIMIT_FSIZE) must fail with EFBIG and a message, as a full
  // disk does, not kill the process with SIGXFSZ and leave a staging folder behind.
  ::signal(SIGXFSZ, SIG_IGN);
  preferPassiveOpenMpWaiting(argv);
  // The BLAS chooses its kernel when it loads: load it now, before any thread exists.
  attnscope::blasInfo();
  std::vector<std::string> args(argv, argv + argc);
#ifdef ATTNSCOPE_HAVE_GUI
  attnscope::cli::setWindowEntry([](const QString& file) { return attnscope::runGui(file); });
#endif
  const bool headless = attnscope::cli::isHeadless(args) || !attnscope::cli::hasWindow();
  // Headless commands must work without a display: choose the offscreen platform before the
  // application exists, unless the user picked a platform.
  if (headless && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  if (headless) gDefaultHandler = qInstallMessageHandler(headlessMessages);
  // The window needs a display; say so plainly instead of letting Qt abort.
  if (!headless && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
      qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
    std::fprintf(stderr,
                 "attnscope: error: no display for the window (DISPLAY is not set); run it in a "
                 "desktop session or under xvfb-run, or use the headless commands (attnscope "
                 "--help)\n");
    return 1;
  }
  // Headless commands keep their arguments away from Qt's own option parsing.
  int qtArgc = headless ? 1 : argc;
  QApplication app(qtArgc, argv);
  QApplication::setApplicationName("attnscope");
  if (!headless) {
    // The window's icon, and the desktop entry it belongs to (Wayland compositors match by it).
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/attnscope/icons/attnscope.svg")));
    QApplication::setDesktopFileName(QStringLiteral("io.github.attnscope.attnscope"));
  }
  return attnscope::cli::runCli(args);
}
