#include "gui/maps_panel.h"

#include <QEvent>
#include <QKeyEvent>
#include <QWheelEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "figures/maps_figure.h"
#include "figures/token_text_element.h"

namespace attnscope::gui {

MapsPanel::MapsPanel(QWidget* parent) : QWidget(parent) {
  plot_ = new QCustomPlot(this);
  plot_->setMinimumSize(300, 200);  // explicit: the titles' text widths must not squeeze the input view
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  plot_->setFocusPolicy(Qt::WheelFocus);  // text maps scroll by wheel and PageUp/PageDown/Home/End
  hoverLabel_ = new QLabel(this);
  hoverLabel_->setText(tr("Hover a map to read a weight."));
  // A long read-out must not widen the panel (the splitter would squeeze the input view).
  hoverLabel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
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
  // Long texts: keep the scroll of this input, and bring the query into view (issue 14 #2).
  if (scrolledInput_ != results_->input.get()) {
    scrolledInput_ = results_->input.get();
    textScroll_ = 0;
    zoom_.reset();
  }
  if (zoomMode_ != view_.mapMode) {
    zoomMode_ = view_.mapMode;
    zoom_.reset();
  }
  enableZoom();
  plot_->plotLayout()->update(QCPLayoutElement::upLayout);
  applyTextScroll();
  if (!textMaps().empty() && query_ >= 0 && !textTokenVisible(query_)) scrollTextTo(query_);
  plot_->replot(QCustomPlot::rpImmediateRefresh);
}

void MapsPanel::enableZoom() {
  std::vector<QCPAxisRect*> rects;
  for (int i = 0; i < plot_->plottableCount(); ++i)
    if (auto* m = qobject_cast<QCPColorMap*>(plot_->plottable(i))) rects.push_back(m->keyAxis()->axisRect());
  if (rects.empty()) {
    plot_->setInteractions(QCP::Interactions());
    return;
  }
  plot_->setInteractions(QCP::iRangeZoom | QCP::iRangeDrag);
  for (QCPAxisRect* r : rects) {
    r->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    r->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    if (zoom_) {
      r->axis(QCPAxis::atBottom)->setRange(zoom_->first);
      r->axis(QCPAxis::atLeft)->setRange(zoom_->second);
    }
    // Every map follows the one zoomed or dragged.
    for (QCPAxis* ax : {r->axis(QCPAxis::atBottom), r->axis(QCPAxis::atLeft)}) {
      const bool horizontal = ax->axisType() == QCPAxis::atBottom;
      connect(ax, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this, rects, horizontal](const QCPRange& range) {
        if (syncing_) return;
        syncing_ = true;
        for (QCPAxisRect* o : rects) o->axis(horizontal ? QCPAxis::atBottom : QCPAxis::atLeft)->setRange(range);
        const QCPAxisRect* first = rects.front();
        zoom_ = std::make_pair(first->axis(QCPAxis::atBottom)->range(), first->axis(QCPAxis::atLeft)->range());
        syncing_ = false;
      });
    }
  }
}

std::pair<QCPRange, QCPRange> MapsPanel::zoomRanges() const {
  return zoom_ ? *zoom_ : std::make_pair(QCPRange(0, 0), QCPRange(0, 0));
}

std::vector<TokenTextElement*> MapsPanel::textMaps() const {
  std::vector<TokenTextElement*> out;
  for (QCPLayoutElement* e : plot_->plotLayout()->elements(true))
    if (auto* t = dynamic_cast<TokenTextElement*>(e)) out.push_back(t);
  return out;
}

void MapsPanel::applyTextScroll() {
  int most = 0;
  const auto maps = textMaps();
  for (TokenTextElement* t : maps) most = std::max(most, t->contentHeight() - t->rect().height());
  textScroll_ = std::clamp(textScroll_, 0, most);
  for (TokenTextElement* t : maps) t->setScroll(textScroll_);
}

void MapsPanel::scrollTextBy(int px) {
  if (textMaps().empty()) return;
  textScroll_ += px;
  applyTextScroll();
  plot_->replot(QCustomPlot::rpImmediateRefresh);
}

void MapsPanel::scrollTextTo(int token) {
  const auto maps = textMaps();
  if (maps.empty()) return;
  const QRect r = maps.front()->tokenRect(token);
  if (r.isEmpty()) return;
  const QRect area = maps.front()->rect();
  // Centre the token's line in the map.
  textScroll_ += r.center().y() - area.center().y();
  applyTextScroll();
  plot_->replot(QCustomPlot::rpImmediateRefresh);
}

bool MapsPanel::textTokenVisible(int token) const {
  const auto maps = textMaps();
  if (maps.empty()) return false;
  for (TokenTextElement* t : maps) {
    const QRect r = t->tokenRect(token);
    if (r.isEmpty() || !t->rect().contains(r)) return false;
  }
  return true;
}

void MapsPanel::showRows(const std::vector<VectorD>& rows, int query) {
  if (!results_) return;
  // Whole maps do not follow the hovered query (they show every query already).
  if (view_.mapMode != "row" && results_->mapMatrices) return;
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
  const auto words = textMaps();
  for (std::size_t k = 0; k < words.size() && k < rows_.size(); ++k) {
    if (!words[k]->rect().contains(pos)) continue;
    const int tok = words[k]->tokenAt(pos);
    if (tok >= 0 && tok < t.size())
        return tr("%1: token %2 “%3”  weight %4")
            .arg(QString::fromStdString(results_->mechanisms[k].name))
            .arg(tok)
            .arg(displayLabel(t.tokens[tok].label))
            .arg(rows_[k][tok], 0, 'g', 4);
    return {};
  }
  for (int i = 0, k = 0; i < plot_->plottableCount(); ++i) {
    auto* m = qobject_cast<QCPColorMap*>(plot_->plottable(i));
    if (!m) continue;
    const int kind = k++;
    if (!m->keyAxis()->axisRect()->rect().contains(pos)) continue;
    const double x = m->keyAxis()->pixelToCoord(pos.x());
    const double y = m->valueAxis()->pixelToCoord(pos.y());
    const int c = static_cast<int>(std::floor(x)), r = static_cast<int>(std::floor(y));
    if (view_.mapMode != "row" && results_->mapMatrices) {  // whole maps, tokens in block order
      const auto& order = results_->layout->order();
      if (c < 0 || r < 0 || c >= results_->n || r >= results_->n) return {};
      const int qi = order[r], kj = order[c];
      const auto& mats = *results_->mapMatrices;
      double v = mats[kind](qi, kj);
      const bool diff = view_.mapMode == "difference" && kind > 0;
      if (diff) v -= mats[0](qi, kj);
      return tr("%1: query token %2 → key token %3  %4 %5")
          .arg(QString::fromStdString(results_->mechanisms[kind].name))
          .arg(qi)
          .arg(kj)
          .arg(diff ? tr("difference") : tr("weight"))
          .arg(v, 0, 'g', 4);
    }
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
  if (obj == plot_ && e->type() == QEvent::Wheel && !textMaps().empty()) {
    const QPoint d = static_cast<QWheelEvent*>(e)->angleDelta();
    const int line = QFontMetrics(style_.font(0.9)).height() + 7;
    scrollTextBy(-d.y() * 3 * line / 120);
    return true;
  }
  if (obj == plot_ && e->type() == QEvent::KeyPress && !textMaps().empty()) {
    const int page = std::max(40, textMaps().front()->rect().height() - 30);
    switch (static_cast<QKeyEvent*>(e)->key()) {
      case Qt::Key_PageDown: scrollTextBy(page); return true;
      case Qt::Key_PageUp: scrollTextBy(-page); return true;
      case Qt::Key_Home: scrollTextBy(-(1 << 28)); return true;
      case Qt::Key_End: scrollTextBy(1 << 28); return true;
      default: break;
    }
  }
  if (obj == plot_ && e->type() == QEvent::MouseButtonDblClick && zoom_) {
    zoom_.reset();
    rebuild();
    return true;
  }
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
