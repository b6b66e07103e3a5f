#include "gui/help_menu.h"

#include <QAction>
#include <QApplication>
#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QUrl>

#include "model/backend_registry.h"
#include "model/build_info.h"

namespace attnscope::gui {

namespace {

/// The installed user guide (share/doc/attnscope/docs/user-guide.md beside bin/), if present.
QString installedUserGuide() {
  const QDir bin(QCoreApplication::applicationDirPath());
  const QString guide = bin.absoluteFilePath("../share/doc/attnscope/docs/user-guide.md");
  return QFileInfo::exists(guide) ? QDir::cleanPath(guide) : QString();
}

void showUserGuide(QMainWindow* w) {
  const QString guide = installedUserGuide();
  if (!guide.isEmpty() && QDesktopServices::openUrl(QUrl::fromLocalFile(guide))) return;
  QMessageBox::information(
      w, QObject::tr("User guide"),
      QObject::tr("The user guide is docs/user-guide.md in attnscope's source folder (installed: "
                  "share/doc/attnscope/docs/user-guide.md); every option of the command line is in "
                  "docs/cli.md and 'man attnscope'.%1")
          .arg(guide.isEmpty() ? QString() : QObject::tr("\n\nNo application opens %1.").arg(guide)));
}

void resetSettings(QMainWindow* w) {
  if (QMessageBox::question(w, QObject::tr("Reset settings"),
                            QObject::tr("Forget the window layout, recent files and every other saved "
                                        "preference? Sessions and files are not touched; the defaults "
                                        "apply from the next start.")) != QMessageBox::Yes)
    return;
  QSettings().clear();
  // The window saves its layout when it closes; forget that too, once, at the very end.
  QObject::connect(qApp, &QCoreApplication::aboutToQuit, qApp, [] { QSettings().clear(); },
                   Qt::SingleShotConnection);
}

}  // namespace

QString aboutText() {
  QString text = QObject::tr("<h3>attnscope %1</h3><p>Softmax, linear and MHLA attention side by side.</p>")
                     .arg(QString::fromStdString(attnscopeVersion()));
  text += "<p><b>" + QObject::tr("Backends") + "</b><br>";
  for (const BackendEntry& b : listBackends())
    text += QString::fromStdString(b.name + ": " + (b.availability.ok ? b.description : "unavailable — " +
                                                                                          b.availability.reason))
                .toHtmlEscaped() + "<br>";
  text += "</p><p><b>" + QObject::tr("Build") + "</b><br>";
  for (const BuildFact& f : buildFacts()) text += QString::fromStdString(f.key + ": " + f.value).toHtmlEscaped() + "<br>";
  return text + "</p>";
}

void addHelpMenu(QMainWindow& w) {
  QMainWindow* self = &w;
  QMenu* help = w.menuBar()->addMenu(QObject::tr("&Help"));
  help->addAction(QObject::tr("&User guide"), QKeySequence::HelpContents, self, [self] { showUserGuide(self); });
  help->addAction(QObject::tr("&Reset settings…"), self, [self] { resetSettings(self); });
  help->addSeparator();
  QAction* about = help->addAction(QObject::tr("&About attnscope"), self, [self] {
    QMessageBox::about(self, QObject::tr("About attnscope"), aboutText());
  });
  about->setMenuRole(QAction::AboutRole);
}

}  // namespace attnscope::gui
