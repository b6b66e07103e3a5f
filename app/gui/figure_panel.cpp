#include "gui/figure_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace attnscope::gui {

FigurePanel::FigurePanel(Builder builder, QWidget* parent)
    : QWidget(parent), builder_(std::move(builder)) {
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(200, 120);  // presentation fonts on a 720 px projector still fit
  note_ = new QLabel(this);
  note_->setWordWrap(true);
  note_->setStyleSheet(QStringLiteral("color: #555;"));
  note_->hide();
  toolbar_ = new QHBoxLayout;
  toolbar_->setContentsMargins(0, 0, 0, 0);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->setSpacing(2);
  lay->addLayout(toolbar_);
  lay->addWidget(plot_, 1);
  lay->addWidget(note_);
}

void FigurePanel::setResults(std::shared_ptr<const Results> results) {
  results_ = std::move(results);
  redraw();
}

void FigurePanel::setBuilder(Builder builder) {
  builder_ = std::move(builder);
  redraw();
}

QString FigurePanel::noteText() const { return note_->text(); }

void FigurePanel::setNote(const QString& note) {
  note_->setText(note);
  note_->setVisible(!note.isEmpty());
}

void FigurePanel::redraw() {
  if (!results_ || !builder_) return;
  builder_(plot_, *results_, style_);
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void FigurePanel::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  if (!results_) return;
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace attnscope::gui
