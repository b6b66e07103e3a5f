// The window's session file: the file the session on screen was opened from or saved to, whether
// the session changed since (the title's [*]), what to go back to when a session file's input
// fails to load, the recent-files menu, and the question about unsaved changes on close.
#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <optional>

class QMenu;
class QWidget;

namespace attnscope {
struct Session;
}

namespace attnscope::gui {

/// What to do with unsaved session changes when the window closes.
enum class UnsavedChoice { Save, Discard, Cancel };

class SessionFile : public QObject {
  Q_OBJECT
 public:
  /// `window` shows the modified flag and parents the dialogs.
  explicit SessionFile(QWidget* window);

  bool modified() const { return modified_; }
  void setModified(bool on);
  QString path() const { return path_; }

  /// Writes `session` to `file` (throws FileError); it is then the clean state.
  void save(const Session& session, const QString& file);
  /// A session file is opening: it becomes the clean state, and what was there is kept until its
  /// input has loaded (loaded()) or failed to (failed()).
  void opening(const QString& file);
  void loaded() { before_.reset(); }
  void failed();

  /// The File ▸ Open recent menu: its entries open through `open`.
  void setRecentMenu(QMenu* menu, std::function<void(const QString&)> open);
  void addRecent(const QString& file);

  /// Asks about unsaved changes (the prompt, else a message box); Save goes through `saveTo`
  /// (with the file, or one the chooser or a dialog gives). True when the window may close.
  bool confirmClose(const std::function<void(const QString&)>& saveTo);
  std::function<UnsavedChoice()> prompt;
  std::function<QString()> chooseSavePath;

 private:
  void refreshRecent();

  QWidget* window_;
  bool modified_ = false;
  QString path_;
  struct Before {
    bool modified;
    QString path;
  };
  std::optional<Before> before_;
  QMenu* recent_ = nullptr;
  std::function<void(const QString&)> open_;
};

}  // namespace attnscope::gui
