// Runs long work (loading, analysis, spectra, timing, sweeps) on a worker thread pool. Each job has a
// channel ("analysis", "spectra", ...) and an id; starting a job on a channel cancels the previous
// one there and its result is dropped when it arrives (stale). Results come back on the GUI thread.
#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "attnscope/progress.h"

namespace attnscope::gui {

/// How a job ended: its result was delivered, it was cancelled (Esc, Cancel, or replaced on its
/// channel), or it failed with an error.
enum class JobOutcome { Done, Cancelled, Failed };

class JobRunner : public QObject {
  Q_OBJECT
 public:
  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  /// Starts `work` on `channel` (cancelling and superseding the job running there). `work` runs on
  /// a worker: `T work(const JobControl&)`, returning its result or throwing attnscope::Error;
  /// `done(T)` is called on the GUI thread with the result of a job that is still current.
  /// @return the job id
  template <class Work, class Done>
  quint64 start(const QString& channel, const QString& title, Work work, Done done) {
    using T = std::decay_t<std::invoke_result_t<Work&, const JobControl&>>;
    auto box = std::make_shared<std::optional<T>>();
    return startErased(
        channel, title,
        [box, work = std::move(work)](const JobControl& job) mutable { box->emplace(work(job)); },
        [box, done = std::move(done)]() mutable { done(std::move(**box)); });
  }
  /// Cancels the job on a channel (or every job when channel is empty).
  void cancel(const QString& channel = QString());
  bool busy(const QString& channel = QString()) const;
  /// Blocks until every worker has finished (tests and shutdown).
  void waitForAll();
  quint64 currentId(const QString& channel) const;

 signals:
  /// Progress of the newest running job (fraction in [0,1]); title names the job.
  void progress(const QString& channel, const QString& title, double fraction);
  void started(const QString& channel, const QString& title);
  /// A current job ended (done, cancelled or failed); message is the error when it failed, empty
  /// otherwise.
  void finished(const QString& channel, const QString& title, attnscope::gui::JobOutcome outcome,
                const QString& message);
  /// A job failed with an error (not cancellation).
  void failed(const QString& channel, const QString& message);

 private:
  struct Running {
    quint64 id = 0;
    CancelToken token;
  };
  /// The type-free core of start(): `work` stores its result where `done` finds it.
  quint64 startErased(const QString& channel, const QString& title,
                      std::function<void(const JobControl&)> work, std::function<void()> done);
  void deliver(const QString& channel, const QString& title, quint64 id, JobOutcome outcome,
               const QString& message, const std::function<void()>& done);

  QThreadPool pool_;
  std::map<QString, Running> running_;
  quint64 nextId_ = 1;
};

}  // namespace attnscope::gui
