#include "gui/status_area.h"

#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <QTimer>

#include "gui/job_runner.h"

namespace attnscope::gui {

namespace {
/// A label that draws its text elided to its width (a long message never runs under the
/// status bar's permanent widgets); the full text is its tooltip.
class ElidedLabel : public QLabel {
 public:
  using QLabel::QLabel;
  QSize minimumSizeHint() const override { return QSize(10, QLabel::minimumSizeHint().height()); }
  QSize sizeHint() const override { return QSize(10, QLabel::sizeHint().height()); }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    const QRect r = contentsRect();
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
  }
};
}  // namespace

StatusArea::StatusArea(QStatusBar* bar, JobRunner* jobs) : QObject(bar) {
  message_ = new ElidedLabel(bar);
  message_->setObjectName("statusMessage");
  message_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  bar->addWidget(message_, 1);
  timer_ = new QTimer(this);
  timer_->setSingleShot(true);
  connect(timer_, &QTimer::timeout, this, [this] {
    message_->clear();
    message_->setToolTip(QString());
  });
  job_ = new QLabel(tr("ready"), bar);
  job_->setObjectName("jobStatus");
  progress_ = new QProgressBar(bar);
  progress_->setRange(0, 1000);
  progress_->setMaximumWidth(220);
  progress_->hide();
  cancel_ = new QPushButton(tr("Cancel"), bar);
  cancel_->hide();
  bar->addPermanentWidget(job_);
  bar->addPermanentWidget(progress_);
  bar->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, [jobs] { jobs->cancel(); });
  connect(jobs, &JobRunner::started, this, [this](const QString&, const QString& title) {
    job_->setText(title + "…");
    progress_->setValue(0);
    progress_->show();
    cancel_->show();
  });
  connect(jobs, &JobRunner::progress, this, [this](const QString&, const QString& title, double f) {
    job_->setText(title + "…");
    progress_->setValue(static_cast<int>(f * 1000));
  });
  connect(jobs, &JobRunner::finished, this,
          [this, jobs](const QString&, const QString& title, JobOutcome outcome, const QString& msg) {
            if (jobs->busy()) return;
            progress_->hide();
            cancel_->hide();
            const QString what = outcome == JobOutcome::Cancelled ? tr("cancelled") : msg;
            job_->setText(outcome == JobOutcome::Done ? tr("ready") : (title.isEmpty() ? what : title + ": " + what));
          });
}

void StatusArea::show(const QString& message, int ms) {
  message_->setText(message);
  message_->setToolTip(message);
  message_->update();
  timer_->start(ms);
}

QString StatusArea::text() const { return message_->text(); }

}  // namespace attnscope::gui
