#include "gui/panel_extras.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QShortcut>
#include <QTimer>
#include <QHBoxLayout>
#include <QPushButton>
#include <QToolTip>
#include <QTabWidget>
#include <QToolButton>
#include <qcustomplot.h>

#include "figures/model_figures.h"
#include "figures/steps_figure.h"
#include "figures/mosaic.h"
#include "gui/explorer_controller.h"
#include "gui/figure_panel.h"
#include "gui/metrics_help.h"
#include "gui/panel_host.h"

namespace attnscope::gui {

namespace {

/// The Teach tab (issue 28 #2): the mechanism, ◀ / ▶ and play buttons, the stage counter; ← and →
/// step, space plays and pauses (a timer, one stage every 1.5 s) while the tab is shown.
void addTeachControls(PanelHost& host, ExplorerController& controller,
                      const std::function<void(const std::function<void(Session&)>&)>& edit) {
  FigurePanel* steps = host.figure(Panel::Steps);
  if (!steps) return;
  auto* mech = new QComboBox(steps);
  mech->setObjectName(QStringLiteral("stepMechanism"));
  mech->addItem(QObject::tr("softmax"), QStringLiteral("softmax"));
  mech->addItem(QObject::tr("linear"), QStringLiteral("linear"));
  mech->addItem(QObject::tr("MHLA"), QStringLiteral("mhla"));
  mech->setToolTip(QObject::tr("The mechanism the pinned query is stepped through (↑ ↓)"));
  auto* prev = new QToolButton(steps);
  prev->setObjectName(QStringLiteral("stepPrevious"));
  prev->setText(QObject::tr("◀"));
  prev->setToolTip(QObject::tr("Previous stage (←)"));
  auto* play = new QToolButton(steps);
  play->setObjectName(QStringLiteral("stepPlay"));
  play->setCheckable(true);
  play->setText(QObject::tr("▶ Play"));
  play->setToolTip(QObject::tr("Play the stages one after another (space)"));
  auto* next = new QToolButton(steps);
  next->setObjectName(QStringLiteral("stepNext"));
  next->setText(QObject::tr("▶|"));
  next->setToolTip(QObject::tr("Next stage (→)"));
  auto* counter = new QLabel(steps);
  counter->setObjectName(QStringLiteral("stepCounter"));
  for (QWidget* w : std::initializer_list<QWidget*>{mech, prev, play, next, counter}) steps->toolbar()->addWidget(w);
  steps->toolbar()->addStretch(1);
  steps->setNote(QObject::tr("← → step through the formulas with the pinned query's numbers, ↑ ↓ change the "
                             "mechanism, space plays. Click a token in the input to pin another query."));

  auto count = [&controller] {
    const auto res = controller.results();
    return res ? stepCount(*res, controller.session().view) : 1;
  };
  auto current = [&controller, count] { return std::clamp(controller.session().view.step, 0, count() - 1); };
  auto refresh = [&controller, mech, counter, count, current] {
    const int i = mech->findData(QString::fromStdString(controller.session().view.stepMechanism));
    if (i >= 0 && i != mech->currentIndex()) {
      const QSignalBlocker block(mech);
      mech->setCurrentIndex(i);
    }
    counter->setText(QObject::tr("stage %1 / %2").arg(current() + 1).arg(count()));
  };
  auto timer = new QTimer(steps);
  timer->setObjectName(QStringLiteral("stepTimer"));
  timer->setInterval(1500);
  auto go = [edit, count, current, timer, play](int delta) {
    const int next = std::clamp(current() + delta, 0, count() - 1);
    if (delta > 0 && next == current()) {  // the last stage: playing stops there
      timer->stop();
      play->setChecked(false);
    }
    edit([next](Session& s) { s.view.step = next; });
  };
  QObject::connect(prev, &QToolButton::clicked, steps, [go] { go(-1); });
  QObject::connect(next, &QToolButton::clicked, steps, [go] { go(1); });
  QObject::connect(timer, &QTimer::timeout, steps, [go] { go(1); });
  QObject::connect(play, &QToolButton::toggled, steps, [timer, play](bool on) {
    play->setText(on ? QObject::tr("❚❚ Pause") : QObject::tr("▶ Play"));
    on ? timer->start() : timer->stop();
  });
  QObject::connect(mech, &QComboBox::activated, steps, [mech, edit] {
    const std::string id = mech->currentData().toString().toStdString();
    edit([id](Session& s) {
      s.view.stepMechanism = id;
      s.view.step = 0;
    });
  });
  QObject::connect(&controller, &ExplorerController::viewChanged, counter, [refresh] { refresh(); });
  QObject::connect(&controller, &ExplorerController::analysisReady, counter, [refresh] { refresh(); });
  QObject::connect(&controller, &ExplorerController::queryChanged, counter, [refresh] { refresh(); });

  // The keys work while the Teach tab is shown (elsewhere ← → and space stay the controls').
  std::vector<QShortcut*> keys;
  auto pick = [mech, edit](int delta) {  // ↑ ↓: the previous or next mechanism, from its first stage
    const int i = (mech->currentIndex() + delta + mech->count()) % mech->count();
    const std::string id = mech->itemData(i).toString().toStdString();
    edit([id](Session& s) {
      s.view.stepMechanism = id;
      s.view.step = 0;
    });
  };
  for (auto [key, what] : {std::pair{Qt::Key_Left, 0}, std::pair{Qt::Key_Right, 1}, std::pair{Qt::Key_Space, 2},
                           std::pair{Qt::Key_Up, 3}, std::pair{Qt::Key_Down, 4}}) {
    auto* sc = new QShortcut(QKeySequence(key), &host);
    sc->setObjectName(QStringLiteral("stepKey%1").arg(what));
    sc->setEnabled(false);
    QObject::connect(sc, &QShortcut::activated, steps, [what = what, go, play, pick] {
      if (what == 0) go(-1);
      else if (what == 1) go(1);
      else if (what == 2) play->toggle();
      else pick(what == 3 ? -1 : 1);
    });
    keys.push_back(sc);
  }
  // Teach mode: the tab takes the whole height (Focus on the view) while it is shown, and the
  // focus goes back to what it was when another tab is chosen.
  QTabWidget* tabs = host.viewTabs();
  QAction* focus = host.focusViewAction();
  auto focusBefore = std::make_shared<std::optional<bool>>();
  QObject::connect(tabs, &QTabWidget::currentChanged, steps, [tabs, steps, keys, timer, play, focus, focusBefore](int) {
    const bool shown = tabs->currentWidget() == steps;
    for (QShortcut* sc : keys) sc->setEnabled(shown);
    if (shown && !*focusBefore) {
      *focusBefore = focus->isChecked();
      focus->setChecked(true);
    } else if (!shown && *focusBefore) {
      focus->setChecked(**focusBefore);
      focusBefore->reset();
    }
    if (!shown) {
      timer->stop();
      play->setChecked(false);
    }
  });
  refresh();
}

}  // namespace

void addPanelExtras(PanelHost& host, ExplorerController& controller,
                    const std::function<void(const std::function<void(Session&)>&)>& edit) {
  addTeachControls(host, controller, edit);
  if (FigurePanel* timing = host.figure(Panel::Timing)) {
    auto* retime = new QPushButton(QObject::tr("Re-time"), timing);
    retime->setToolTip(
        QObject::tr("Time the three forwards again (median of 5 runs) on the CPU and, when available, the GPU"));
    timing->toolbar()->addWidget(retime);
    timing->toolbar()->addStretch(1);
    QObject::connect(retime, &QPushButton::clicked, &controller, &ExplorerController::computeTiming);
  }
  if (FigurePanel* sweep = host.figure(Panel::Sweep)) {
    auto* run = new QPushButton(QObject::tr("Run scaling sweep"), sweep);
    run->setToolTip(QObject::tr("N = 256, 512, … until softmax takes over 1.5 s; cancel from the status bar"));
    sweep->toolbar()->addWidget(run);
    sweep->toolbar()->addStretch(1);
    sweep->setNote(QObject::tr("Press 'Run scaling sweep' to time the three mechanisms as N grows."));
    QObject::connect(run, &QPushButton::clicked, &controller, [&controller] { controller.startSweep(); });
    QObject::connect(&controller, &ExplorerController::sweepReady, sweep, [sweep, &host](auto result) {
      QStringList stopped;
      for (const SweepSeries& ser : result->series)
        if (ser.stoppedEarly) stopped << (ser.backend == "cuda" ? QObject::tr("the GPU") : QObject::tr("the CPU"));
      sweep->setNote(stopped.isEmpty() ? QString()
                     : result->series.size() == 1
                         ? QObject::tr("Stopped where one softmax forward took over 1.5 s.")
                         : QObject::tr("Stopped %1 where one softmax forward took over 1.5 s.")
                               .arg(stopped.join(QObject::tr(" and "))));
      host.timingTabs()->setCurrentWidget(sweep);
    });
  }
  if (FigurePanel* metrics = host.figure(Panel::Metrics)) metrics->plot()->setToolTip(metricsHelpHtml());
  if (FigurePanel* spectra = host.figure(Panel::Spectra))
    QObject::connect(&controller, &ExplorerController::spectraNote, spectra, &FigurePanel::setNote);
  if (FigurePanel* hybrid = host.figure(Panel::Hybrid)) {
    // Issue 26 #3: per-layer toggles; "Run hybrid" replaces the checked layers by the chosen
    // mechanism and scores the model on a worker (progress and cancel in the status bar).
    auto* mech = new QComboBox(hybrid);
    mech->setObjectName(QStringLiteral("hybridMechanism"));
    mech->addItem(QObject::tr("linear"), QStringLiteral("linear"));
    mech->addItem(QObject::tr("MHLA"), QStringLiteral("mhla"));
    mech->addItem(QObject::tr("MHLA, fitted 𝓜"), QStringLiteral("mhla-fitted"));
    mech->setToolTip(QObject::tr("What replaces the checked layers' attention (the session's φ, blocks and 𝓜)"));
    auto* layers = new QWidget(hybrid);
    layers->setObjectName(QStringLiteral("hybridLayers"));
    auto* layersRow = new QHBoxLayout(layers);
    layersRow->setContentsMargins(0, 0, 0, 0);
    layersRow->setSpacing(1);
    auto* runHybrid = new QPushButton(QObject::tr("Run hybrid"), hybrid);
    runHybrid->setObjectName(QStringLiteral("runHybrid"));
    runHybrid->setToolTip(QObject::tr("The model with the checked layers replaced, against the unchanged model"));
    hybrid->toolbar()->addWidget(mech);
    hybrid->toolbar()->addWidget(layers);
    hybrid->toolbar()->addWidget(runHybrid);
    hybrid->toolbar()->addStretch(1);
    auto rebuild = [layers, layersRow, &controller] {
      const int count = controller.modelLayers();
      if (layers->findChildren<QToolButton*>().size() == count) return;
      for (QToolButton* b : layers->findChildren<QToolButton*>()) delete b;
      for (int l = 0; l < count; ++l) {
        auto* b = new QToolButton(layers);
        b->setText(QString::number(l));
        b->setCheckable(true);
        b->setToolTip(QObject::tr("replace layer %1").arg(l));
        layersRow->addWidget(b);
      }
    };
    rebuild();
    QObject::connect(&controller, &ExplorerController::modelViewsReady, layers, [rebuild](auto) { rebuild(); });
    QObject::connect(&controller, &ExplorerController::inputLoaded, layers, [rebuild](int) { rebuild(); });
    QObject::connect(runHybrid, &QPushButton::clicked, &controller, [layers, mech, &controller] {
      std::map<int, std::string> replaced;
      const QList<QToolButton*> buttons = layers->findChildren<QToolButton*>();
      for (int l = 0; l < buttons.size(); ++l)
        if (buttons[l]->isChecked()) replaced[buttons[l]->text().toInt()] = mech->currentData().toString().toStdString();
      controller.startHybrid(replaced);
    });
    QObject::connect(&controller, &ExplorerController::hybridReady, hybrid, [hybrid](auto r) {
      QStringList which;
      for (const auto& [layer, id] : r->replaced) which << QString::number(layer);
      const QString what = QString::fromStdString(r->replaced.begin()->second);
      hybrid->setNote(r->text ? QObject::tr("layers %1 → %2: ΔNLL %3 nats/token, top-1 agreement %4 %, KL %5 (%6 tokens)")
                                    .arg(which.join(", "), what)
                                    .arg(r->nll - r->nllOriginal, 0, 'f', 4)
                                    .arg(100.0 * r->top1Agreement, 0, 'f', 1)
                                    .arg(r->klNextToken, 0, 'g', 3)
                                    .arg(r->tokensScored)
                              : QObject::tr("layers %1 → %2: final CLS cosine %3").arg(which.join(", "), what)
                                    .arg(r->clsCosine, 0, 'f', 4));
    });
  }
  if (FigurePanel* view = host.figure(Panel::ModelView)) {
    view->plot()->setToolTip(QObject::tr("Click a cell to select its layer and head"));
    // Hovering a cell names it and its number (small cells draw no corner number, issue 27 #6).
    view->plot()->setMouseTracking(true);
    QObject::connect(view->plot(), &QCustomPlot::mouseMove, view, [view](QMouseEvent* e) {
      const auto [layer, head] = mosaicCellAt(view->plot(), e->position());
      const auto res = view->results();
      const QString cell = res && res->modelViews ? modelViewCellText(*res->modelViews, layer, head) : QString();
      const QString tip = cell.isEmpty() ? QObject::tr("Click a cell to select its layer and head")
                                         : cell + QObject::tr("\nClick to select this layer and head");
      if (tip != view->plot()->toolTip()) {
        view->plot()->setToolTip(tip);
        if (!cell.isEmpty()) QToolTip::showText(e->globalPosition().toPoint(), tip, view->plot());
      }
    });
    QObject::connect(view->plot(), &QCustomPlot::mousePress, view, [view, &controller, edit](QMouseEvent* e) {
      const auto [layer, head] = mosaicCellAt(view->plot(), e->position());
      if (layer < 0 || head < 0 || !controller.session().model.active()) return;
      edit([layer = layer, head = head](Session& s) {
        s.model.layer = layer;
        s.head = head;
      });
    });
  }
}

}  // namespace attnscope::gui
