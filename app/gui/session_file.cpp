#include "gui/session_file.h"

#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QWidget>

#include "session/session.h"

namespace attnscope::gui {

SessionFile::SessionFile(QWidget* window) : QObject(window), window_(window) {}

void SessionFile::setModified(bool on) {
  modified_ = on;
  window_->setWindowModified(on);
}

void SessionFile::save(const Session& session, const QString& file) {
  saveSession(session, file);
  path_ = file;
  setModified(false);
  addRecent(file);
}

void SessionFile::opening(const QString& file) {
  if (!before_) before_ = Before{modified_, path_};
  path_ = file;
  setModified(false);
}

void SessionFile::failed() {
  if (!before_) return;
  path_ = before_->path;
  setModified(before_->modified);
  before_.reset();
}

void SessionFile::setRecentMenu(QMenu* menu, std::function<void(const QString&)> open) {
  recent_ = menu;
  open_ = std::move(open);
  refreshRecent();
}

void SessionFile::addRecent(const QString& file) {
  QSettings settings;
  QStringList recent = settings.value("recentFiles").toStringList();
  recent.removeAll(file);
  recent.prepend(file);
  while (recent.size() > 10) recent.removeLast();
  settings.setValue("recentFiles", recent);
  refreshRecent();
}

void SessionFile::refreshRecent() {
  if (!recent_) return;
  recent_->clear();
  const QStringList recent = QSettings().value("recentFiles").toStringList();
  for (const QString& p : recent) recent_->addAction(p, this, [this, p] { open_(p); });
  recent_->setEnabled(!recent.isEmpty());
}

bool SessionFile::confirmClose(const std::function<void(const QString&)>& saveTo) {
  if (!modified_) return true;
  UnsavedChoice choice = UnsavedChoice::Cancel;
  if (prompt) {
    choice = prompt();
  } else {
    const auto b = QMessageBox::warning(window_, tr("Unsaved session"),
                                        tr("The session has changes that are not saved. Save them before closing?"),
                                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    choice = b == QMessageBox::Save ? UnsavedChoice::Save : b == QMessageBox::Discard ? UnsavedChoice::Discard : UnsavedChoice::Cancel;
  }
  if (choice == UnsavedChoice::Discard) return true;
  if (choice == UnsavedChoice::Cancel) return false;
  const QString file = !path_.isEmpty() ? path_
                       : chooseSavePath  ? chooseSavePath()
                           : QFileDialog::getSaveFileName(window_, tr("Save session"), "session.json", tr("Session (*.json)"));
  if (file.isEmpty()) return false;
  saveTo(file);
  return !modified_;  // the save clears it only when the file was written
}

}  // namespace attnscope::gui
