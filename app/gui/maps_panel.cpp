#include "gui/maps_panel.h"

#include <QEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "figures/maps_figure.h"

namespace attnscope::gui {

MapsPanel::MapsPanel(QWidget* parent) : QWidget(parent) {
  plot_ = new QCustomPlot(this);
  plot_->setMinimumHeight(200);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  hoverLabel_ = new QLabel(this);
  hoverLabel_->setText(tr("Hover a map to read a weight."));
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(0, 0, 0, 0);
  lay->setSpacing(2);
  lay->addWidget(plot_, 1);
  lay->addWidget(hoverLabel_);
}

void MapsPanel::setResults(std::shared_ptr<const Results> results, const ViewSettings& view) {
  // A read-out of the previous results' weights would be stale (issue 14 #12).
  if (results != results_) hoverLabel_->setText(tr("Hover a map to read a weight."));
  results_ = std::move(results);
  view_ = view;
  if (!results_) return;
  rows_.clear();
  for (const MechanismResult& m : results_->mechanisms) rows_.push_back(m.shownRow);
  query_ = results_->query;
  rebuild();
}

QString MapsPanel::hoverText() const { return hoverLabel_->text(); }

void MapsPanel::rebuild() {
  if (!results_) return;
  auto shown = std::make_shared<Results>(*results_);
  for (std::size_t k = 0; k < shown->mechanisms.size() && k < rows_.size(); ++k)
    shown->mechanisms[k].shownRow = rows_[k];
  shown->query = query_;
  buildMapsFigure(plot_, *shown, view_, style_);
  plot_->plotLayout()->simplify();
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpImmediateRefresh);
}

void MapsPanel::showRows(const std::vector<VectorD>& rows, int query) {
  if (!results_) return;
  rows_ = rows;
  query_ = query;
  if (updateMapsRows(plot_, *results_, rows_, query_, view_))
    plot_->replot(QCustomPlot::rpImmediateRefresh);
  else
    rebuild();
}

void MapsPanel::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  if (!results_) return;
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(plot_);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

QString MapsPanel::describeAt(const QPoint& pos) const {
  if (!results_) return {};
  const TokenSet& t = results_->input->tokens;
  for (int i = 0, k = 0; i < plot_->plottableCount(); ++i) {
    auto* m = qobject_cast<QCPColorMap*>(plot_->plottable(i));
    if (!m) continue;
    const int kind = k++;
    if (!m->keyAxis()->axisRect()->rect().contains(pos)) continue;
    const double x = m->keyAxis()->pixelToCoord(pos.x());
    const double y = m->valueAxis()->pixelToCoord(pos.y());
    const int c = static_cast<int>(std::floor(x)), r = static_cast<int>(std::floor(y));
    if (c < 0 || r < 0 || c >= t.gridCols || r >= t.gridRows) return {};
    const int tok = t.gridFirstToken + r * t.gridCols + c;
    return tr("%1: token %2 (row %3, col %4)  weight %5")
        .arg(QString::fromStdString(results_->mechanisms[kind].name))
        .arg(tok)
        .arg(r)
        .arg(c)
        .arg(rows_[kind][tok], 0, 'g', 4);
  }
  return {};
}

bool MapsPanel::eventFilter(QObject* obj, QEvent* e) {
  if (obj == plot_ && e->type() == QEvent::MouseMove) {
    const QString s = describeAt(static_cast<QMouseEvent*>(e)->pos());
    if (!s.isEmpty()) {
      hoverLabel_->setText(s);
      emit tokenHovered(s);
    }
  }
  return QWidget::eventFilter(obj, e);
}

}  // namespace attnscope::gui
