#include "gui/panel_host.h"

#include <QAction>
#include <QScrollArea>
#include <QToolButton>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "gui/explorer_controller.h"
#include "gui/figure_panel.h"
#include "gui/input_view.h"
#include "gui/maps_panel.h"
#include "gui/mixing_editor.h"

namespace attnscope::gui {

namespace {
using namespace panel_needs;
constexpr unsigned kExtras = Spectra | Timing | Metrics;
}  // namespace

PanelHost::PanelHost(ExplorerController& controller, QWidget* parent) : QWidget(parent), controller_(controller) {
  input_ = new InputView(this);
  maps_ = new MapsPanel(this);
  mixing_ = new MixingEditor(this);
  viewTabs_ = new QTabWidget(this);
  viewTabs_->setObjectName("viewTabs");
  timingTabs_ = new QTabWidget(this);
  auto* right = new QSplitter(Qt::Vertical, this);
  right->setObjectName("rightSplitter");
  right->addWidget(timingTabs_);
  auto* bottom = bottom_ = new QSplitter(Qt::Horizontal, this);
  bottom->setObjectName("bottomSplitter");
  bottom->addWidget(mixing_);

  // A widget per descriptor, where its dock says.
  for (const PanelDescriptor& d : panels()) {
    QWidget* w = nullptr;
    if (d.panel == Panel::Maps) {
      w = maps_;
    } else if (d.panel == Panel::Mixing) {
      continue;  // the mixing editor, first in the bottom row
    } else {
      auto* f = new FigurePanel(
          [this, build = d.build](QCustomPlot* p, const Results& r, const FigureStyle& s) {
            build(p, r, controller_.session().view, s);
          },
          this);
      figures_[d.id()] = f;
      w = f;
    }
    switch (d.dock) {
      case PanelDock::ViewTab:
        viewTabs_->addTab(w, d.title);
        viewIds_.push_back(d.id());
        break;
      case PanelDock::TimingTab: timingTabs_->addTab(w, d.title); break;
      case PanelDock::Bottom: bottom->addWidget(w); break;
      case PanelDock::Right: right->addWidget(w); break;
    }
  }
  bottom->addWidget(right);
  right->setSizes({300, 280});
  QList<int> sizes{330};
  for (int i = 1; i + 1 < bottom->count(); ++i) sizes << 400;
  sizes << 590;
  bottom->setSizes(sizes);

  auto* top = new QSplitter(Qt::Horizontal, this);
  top->setObjectName("topSplitter");
  auto* inputScroll = new QScrollArea(this);
  inputScroll->setObjectName("inputScroll");
  inputScroll->setWidget(input_);
  inputScroll->setWidgetResizable(true);
  inputScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  inputScroll->setFrameShape(QFrame::NoFrame);
  top->addWidget(inputScroll);
  top->addWidget(viewTabs_);
  top->setStretchFactor(0, 1);
  top->setStretchFactor(1, 3);
  top->setSizes({330, 980});
  auto* vertical = new QSplitter(Qt::Vertical, this);
  vertical->setObjectName("mainSplitter");
  vertical->addWidget(top);
  vertical->addWidget(bottom);
  vertical->setSizes({340, 560});
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(0, 0, 0, 0);
  lay->addWidget(vertical);

  focusView_ = new QAction(tr("&Focus on the view"), this);
  focusView_->setObjectName(QStringLiteral("focusView"));
  focusView_->setCheckable(true);
  focusView_->setShortcut(QKeySequence(tr("Ctrl+Shift+F")));
  const QString tip = tr("The maps or the model tab take the whole height; the mixing, spectra, timing and "
                         "metrics row steps aside (Ctrl+Shift+F brings it back)");
  focusView_->setToolTip(tip);
  auto* corner = new QToolButton(viewTabs_);
  corner->setObjectName(QStringLiteral("focusViewButton"));
  corner->setCheckable(true);
  corner->setText(tr("⤢ Focus"));
  corner->setToolTip(tip);
  corner->setAutoRaise(true);
  connect(corner, &QToolButton::toggled, focusView_, &QAction::setChecked);
  connect(focusView_, &QAction::toggled, this, [this, corner](bool on) {
    bottom_->setVisible(!on);
    corner->setChecked(on);
  });
  viewTabs_->setCornerWidget(corner, Qt::TopRightCorner);

  // Controller → panels: each panel gets the results it reads when they change.
  const ExplorerController* c = &controller_;
  // The model panels' note: why there are no views (a survey stopped), cleared when views come.
  auto modelNotes = [this](const QString& note) {
    for (const PanelDescriptor& d : panels())
      if (FigurePanel* f = d.needsModel() ? figure(d.panel) : nullptr) f->setNote(note);
  };
  connect(c, &ExplorerController::surveyStopped, this, [modelNotes](const QString& why) {
    modelNotes(tr("Every layer and head: %1. Run ▸ Survey every layer computes them.").arg(why));
  });
  connect(c, &ExplorerController::modelViewsReady, this, [modelNotes] { modelNotes(QString()); });
  connect(c, &ExplorerController::analysisReady, this, [this, modelNotes](auto res) {
    if (!res->session.model.active()) modelNotes(QString());  // no model: nothing was stopped
    const ViewSettings& view = controller_.session().view;
    input_->setResults(res);
    maps_->setResults(res, view);
    mixing_->setResults(res, view);
    mixing_->setInit(QString::fromStdString(res->mixingName));  // an initialisation, "custom" or a file
    // Model panels wait for the survey (they are cleared when there is none); sweeps for a sweep.
    feed(res, [&](const PanelDescriptor& d) {
      return d.needsModel() ? !res->modelViews : (d.needs & Sweep) ? res->sweep != nullptr : true;
    });
  });
  connect(c, &ExplorerController::modelViewsReady, this,
          [this](auto res) { feed(res, [](const PanelDescriptor& d) { return d.needsModel(); }); });
  connect(c, &ExplorerController::queryChanged, this, [this](auto res) {
    input_->setResults(res);
    maps_->setResults(res, controller_.session().view);
    mixing_->setResults(res, controller_.session().view);
    feed(res, [](const PanelDescriptor& d) { return d.needs == 0; });
  });
  connect(c, &ExplorerController::extrasReady, this, [this](auto res) {
    feed(res, [](const PanelDescriptor& d) { return (d.needs & kExtras) != 0 && !d.needsModel(); });
  });
  connect(c, &ExplorerController::sweepReady, this, [this](auto) {
    if (auto res = controller_.results()) feed(res, [](const PanelDescriptor& d) { return (d.needs & Sweep) != 0; });
  });
  connect(c, &ExplorerController::kvSweepReady, this,
          [this](auto res) { feed(res, [](const PanelDescriptor& d) { return (d.needs & panel_needs::KvSweep) != 0; }); });
  connect(c, &ExplorerController::sensitivityReady, this,
          [this](auto res) { feed(res, [](const PanelDescriptor& d) { return (d.needs & panel_needs::Sensitivity) != 0; }); });
  connect(c, &ExplorerController::rowsReady, maps_, &MapsPanel::showRows);
  connect(c, &ExplorerController::viewChanged, this, [this](const ViewSettings& v) {
    if (!controller_.results()) return;
    maps_->setResults(controller_.results(), v);
    mixing_->setResults(controller_.results(), v);
    // Panels that read only the results and the view (the steps panel's stage) redraw.
    feed(controller_.results(), [](const PanelDescriptor& d) { return d.needs == 0; });
  });
  connect(input_, &InputView::tokenHovered, &controller_, &ExplorerController::hover);
  connect(input_, &InputView::tokenPinned, &controller_, &ExplorerController::pin);
  // A click on a view tab takes the keyboard back from a control, so the layer and head keys
  // ([ ] , .) that a spin box or text field was eating work again.
  connect(viewTabs_, &QTabWidget::tabBarClicked, this, [this](int i) {
    if (QWidget* view = viewTabs_->widget(i)) view->setFocus(Qt::MouseFocusReason);
  });
  connect(viewTabs_, &QTabWidget::currentChanged, this, [this](int i) {
    if (i >= 0 && i < static_cast<int>(viewIds_.size())) emit viewChosen(viewIds_[static_cast<std::size_t>(i)]);
  });
}

template <class Pick>
void PanelHost::feed(const std::shared_ptr<const Results>& res, Pick pick) {
  for (const PanelDescriptor& d : panels()) {
    const auto it = figures_.find(d.id());
    if (it != figures_.end() && pick(d)) it->second->setResults(res);
  }
}

bool PanelHost::viewFocused() const { return focusView_->isChecked(); }

FigurePanel* PanelHost::figure(const Panel& panel) const {
  const auto it = figures_.find(panel.id());
  return it == figures_.end() ? nullptr : it->second;
}

void PanelHost::showView(const std::string& id) {
  for (std::size_t i = 0; i < viewIds_.size(); ++i)
    if (viewIds_[i] == id && viewTabs_->currentIndex() != static_cast<int>(i)) viewTabs_->setCurrentIndex(static_cast<int>(i));
}

void PanelHost::setStyle(const FigureStyle& style) {
  maps_->setStyle(style);
  mixing_->setStyle(style);
  for (auto& [id, f] : figures_) {
    f->setStyle(style);
    f->redraw();
  }
  if (auto res = controller_.results()) {
    maps_->setResults(res, controller_.session().view);
    mixing_->setResults(res, controller_.session().view);
  }
}

}  // namespace attnscope::gui
