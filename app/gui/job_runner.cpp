#include "gui/job_runner.h"

#include <QMetaObject>
#include <QPointer>
#include <QRunnable>
#include <chrono>
#include <exception>

#include "attnscope/error.h"

namespace attnscope::gui {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
  // Three workers: long jobs (spectra, sweep, survey) never block the analysis that a click asks for.
  pool_.setMaxThreadCount(3);
}

JobRunner::~JobRunner() {
  cancel();
  pool_.waitForDone();
}

quint64 JobRunner::startErased(const QString& channel, const QString& title,
                               std::function<void(const JobControl&)> work,
                               std::function<void()> done) {
  auto it = running_.find(channel);
  if (it != running_.end()) it->second.token.cancel();
  Running r;
  r.id = nextId_++;
  running_[channel] = r;
  emit started(channel, title);

  QPointer<JobRunner> self(this);
  const quint64 id = r.id;
  CancelToken token = r.token;
  auto lastReport = std::make_shared<std::chrono::steady_clock::time_point>();
  JobControl job;
  job.cancel = token;
  job.progress = [self, channel, title, id, lastReport](double f) {
    // At most ~30 progress events a second reach the event loop.
    const auto now = std::chrono::steady_clock::now();
    if (f < 1.0 && now - *lastReport < std::chrono::milliseconds(33)) return;
    *lastReport = now;
    QMetaObject::invokeMethod(
        self.data(),
        [self, channel, title, id, f] {
          // A report queued before the job was cancelled or replaced is dropped: it would put
          // "title…" back in the status bar after the job has ended.
          if (self && self->currentId(channel) == id) emit self->progress(channel, title, f);
        },
        Qt::QueuedConnection);
  };
  pool_.start([self, channel, title, id, job, work = std::move(work), done = std::move(done)] {
    JobOutcome outcome = JobOutcome::Failed;
    QString message;
    try {
      work(job);
      outcome = JobOutcome::Done;
    } catch (const Cancelled&) {
      outcome = JobOutcome::Cancelled;
    } catch (const std::exception& e) {
      message = QString::fromStdString(e.what());
    } catch (...) {
      message = QStringLiteral("unknown error");
    }
    if (!self) return;
    QMetaObject::invokeMethod(
        self.data(),
        [self, channel, title, id, outcome, message, done] {
          if (self) self->deliver(channel, title, id, outcome, message, done);
        },
        Qt::QueuedConnection);
  });
  return id;
}

void JobRunner::deliver(const QString& channel, const QString& title, quint64 id,
                        JobOutcome outcome, const QString& message,
                        const std::function<void()>& done) {
  auto it = running_.find(channel);
  if (it == running_.end() || it->second.id != id) return;  // stale: a newer job replaced it
  running_.erase(it);
  if (outcome == JobOutcome::Done && done) {
    try {
      done();
    } catch (const std::exception& e) {
      emit finished(channel, title, JobOutcome::Failed, QString::fromStdString(e.what()));
      emit failed(channel, QString::fromStdString(e.what()));
      return;
    }
  }
  emit finished(channel, title, outcome, message);
  if (outcome == JobOutcome::Failed) emit failed(channel, message);
}

void JobRunner::cancel(const QString& channel) {
  for (auto it = running_.begin(); it != running_.end();) {
    if (channel.isEmpty() || it->first == channel) {
      it->second.token.cancel();
      const QString ch = it->first;
      it = running_.erase(it);
      emit finished(ch, QString(), JobOutcome::Cancelled, QString());
    } else {
      ++it;
    }
  }
}

bool JobRunner::busy(const QString& channel) const {
  if (channel.isEmpty()) return !running_.empty();
  return running_.count(channel) > 0;
}

quint64 JobRunner::currentId(const QString& channel) const {
  auto it = running_.find(channel);
  return it == running_.end() ? 0 : it->second.id;
}

void JobRunner::waitForAll() { pool_.waitForDone(); }

}  // namespace attnscope::gui
