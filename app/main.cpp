// The `attnscope` executable: the desktop window or a headless subcommand (app/cli/).
#include <QApplication>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
}  // namespace

int main(int argc, char** argv) {
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
  return attnscope::cli::runCli(args);
}
