#include "gui/panel_extras.h"

#include <QHBoxLayout>
#include <QPushButton>
#include <QToolTip>
#include <QTabWidget>
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
