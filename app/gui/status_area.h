// The window's status bar: a message on the left (elided to the room the job read-out leaves, the
// full text in its tooltip, cleared after a time), and on the right the running job's title,
// progress and a Cancel button, fed by the JobRunner's one "job ended" outcome.
#pragma once

#include <QObject>
#include <QString>

class QLabel;
class QProgressBar;
class QPushButton;
class QStatusBar;
class QTimer;

namespace attnscope::gui {

class JobRunner;

class StatusArea : public QObject {
  Q_OBJECT
 public:
  StatusArea(QStatusBar* bar, JobRunner* jobs);
  /// `message` on the left for `ms` milliseconds.
  void show(const QString& message, int ms);
  QString text() const;

 private:
  QLabel* message_;
  QTimer* timer_;
  QLabel* job_;
  QProgressBar* progress_;
  QPushButton* cancel_;
};

}  // namespace attnscope::gui
