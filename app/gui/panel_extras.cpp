#include "gui/panel_extras.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QPushButton>
#include <QToolTip>
#include <QTabWidget>
#include <QToolButton>
#include <qcustomplot.h>

#include "figures/model_figures.h"
#include "figures/mosaic.h"
#include "gui/explorer_controller.h"
#include "gui/figure_panel.h"
#include "gui/metrics_help.h"
#include "gui/panel_host.h"

namespace attnscope::gui {

void addPanelExtras(PanelHost& host, ExplorerController& controller,
                    const std::function<void(const std::function<void(Session&)>&)>& edit) {
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
