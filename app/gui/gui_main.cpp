#include "gui/gui_main.h"

#include <QApplication>
#include <QTimer>

#include "gui/main_window.h"
#include "gui/presets.h"

namespace attnscope {

int runGui(const QString& fileToOpen) {
  if (QCoreApplication::organizationName().isEmpty())
    QCoreApplication::setOrganizationName(QStringLiteral("attnscope"));
  if (QCoreApplication::applicationName().isEmpty())
    QCoreApplication::setApplicationName(QStringLiteral("attnscope"));
  gui::MainWindow window;
  window.start(gui::startSession());  // the built-in sample image
  if (!fileToOpen.isEmpty())
    QTimer::singleShot(0, &window, [&window, fileToOpen] { window.openFile(fileToOpen); });
  window.show();
  return QApplication::exec();
}

}  // namespace attnscope
