// The Help menu (app/gui/help_menu.*): F1 opens the user guide, About says the version, every
// backend with its availability and the build facts of `attnscope info`, and Reset settings clears
// the saved preferences (in a temporary settings folder here) after asking.
#include <QAction>
#include <QApplication>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "gui/help_menu.h"
#include "model/backend_registry.h"
#include "model/build_info.h"

using namespace attnscope;

class HelpMenuTests : public QObject {
  Q_OBJECT
  QTemporaryDir settingsDir_;

  static QMenu* helpMenu(QMainWindow& w) {
    for (QAction* a : w.menuBar()->actions())
      if (a->menu() && a->text().remove('&') == "Help") return a->menu();
    return nullptr;
  }
  static QAction* action(QMenu* m, const QString& text) {
    for (QAction* a : m->actions())
      if (a->text().remove('&').startsWith(text)) return a;
    return nullptr;
  }

 private slots:
  void initTestCase() {
    QVERIFY(settingsDir_.isValid());
    QCoreApplication::setOrganizationName("attnscope-help-menu-test");
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir_.path());
  }

  void menuHasStandardEntries() {
    QMainWindow w;
    gui::addHelpMenu(w);
    QMenu* help = helpMenu(w);
    QVERIFY(help);
    QAction* guide = action(help, "User guide");
    QVERIFY(guide);
    QCOMPARE(guide->shortcut(), QKeySequence(QKeySequence::HelpContents));
    QCOMPARE(guide->shortcut(), QKeySequence(Qt::Key_F1));
    QVERIFY(action(help, "About attnscope"));
    QVERIFY(action(help, "Reset settings"));
  }

  void aboutSaysVersionBackendsAndBuild() {
    const QString text = gui::aboutText();
    QVERIFY2(text.contains("attnscope " + QString::fromStdString(attnscopeVersion())), qPrintable(text));
    for (const BackendEntry& b : listBackends()) {
      QVERIFY2(text.contains(QString::fromStdString(b.name + ": ")), qPrintable(text));
      if (!b.availability.ok)  // the reason, as `attnscope info` gives it
        QVERIFY2(text.contains(QString::fromStdString(b.availability.reason).toHtmlEscaped()), qPrintable(text));
    }
    for (const BuildFact& f : buildFacts())
      QVERIFY2(text.contains(QString::fromStdString(f.key + ": " + f.value).toHtmlEscaped()), qPrintable(f.key.c_str()));
    QVERIFY(text.contains("CUDA backend built: "));
    QVERIFY(text.contains("Qt: " + QString(qVersion())));
  }

  void resetSettingsAsksThenClears() {
    QSettings().setValue("window/geometry", QByteArray("saved"));
    QSettings().sync();
    QMainWindow w;
    gui::addHelpMenu(w);
    QAction* reset = action(helpMenu(w), "Reset settings");
    QVERIFY(reset);
    // First "No": nothing is forgotten. Then "Yes": everything is.
    for (const auto button : {QMessageBox::No, QMessageBox::Yes}) {
      bool answered = false;
      QTimer::singleShot(0, this, [&] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        answered = true;
        box->button(button)->click();
      });
      reset->trigger();
      QVERIFY(answered);
      QSettings settings;
      QCOMPARE(settings.contains("window/geometry"), button == QMessageBox::No);
    }
  }
};

QTEST_MAIN(HelpMenuTests)
#include "test_help_menu.moc"
