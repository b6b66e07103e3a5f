// The panel table (panels.h): the built-in panels, each its builder from the figure files, and the
// registry that a new panel joins.
#include "figures/panels.h"

#include <algorithm>
#include <sstream>

#include "attnscope/error.h"
#include "figures/hybrid_figure.h"
#include "figures/kv_rank_figure.h"
#include "figures/maps_figure.h"
#include "figures/metrics_figure.h"
#include "figures/mixing_figure.h"
#include "figures/model_figures.h"
#include "figures/spectra_figure.h"
#include "figures/steps_figure.h"
#include "figures/sweep_figure.h"
#include "figures/timing_figure.h"

namespace attnscope {

const Panel Panel::Maps{"maps"};
const Panel Panel::Mixing{"mixing"};
const Panel Panel::Spectra{"spectra"};
const Panel Panel::Timing{"timing"};
const Panel Panel::Metrics{"metrics"};
const Panel Panel::Sweep{"sweep"};
const Panel Panel::ModelView{"model-view"};
const Panel Panel::LayerCurves{"layer-curves"};
const Panel Panel::Rollout{"rollout"};
const Panel Panel::ClsMaps{"cls-maps"};
const Panel Panel::KvRank{"kv-rank"};
const Panel Panel::Hybrid{"hybrid"};
const Panel Panel::Steps{"steps"};

namespace {

using namespace panel_needs;

/// A builder that does not read the view settings.
PanelBuilder plain(void (*build)(QCustomPlot*, const Results&, const FigureStyle&)) {
  return [build](QCustomPlot* p, const Results& r, const ViewSettings&, const FigureStyle& s) { build(p, r, s); };
}

std::vector<PanelDescriptor> builtIn() {
  std::vector<PanelDescriptor> t;
  auto add = [&](const Panel& p, const char* title, const char* help, PanelPlace place, PanelDock dock,
                 unsigned needs, bool byDefault, PanelBuilder build, PanelHeight height = {}) {
    PanelDescriptor d;
    d.panel = p;
    d.title = QString::fromUtf8(title);
    d.help = help;
    d.place = place;
    d.dock = dock;
    d.needs = needs;
    d.byDefault = byDefault;
    d.build = std::move(build);
    d.height = std::move(height);
    t.push_back(std::move(d));
  };
  add(Panel::Maps, "Maps", "the attention map of each mechanism for the query", PanelPlace::Top, PanelDock::ViewTab,
      Spectra | Metrics, true, buildMapsFigure,
      [](const Results& r, const ViewSettings& v, const FigureStyle& s, int w) { return mapsFigureHeight(r, v, s, w); });
  add(Panel::Mixing, "Mixing matrix", "MHLA's M × M mixing matrix", PanelPlace::Row, PanelDock::Bottom, 0, true,
      buildMixingFigure);
  add(Panel::Spectra, "Rank spectra", "the singular values of each mechanism's map", PanelPlace::Row,
      PanelDock::Bottom, Spectra, true, plain(buildSpectraFigure));
  add(Panel::Timing, "Timing (current N)", "the forwards timed at the current N", PanelPlace::Row,
      PanelDock::TimingTab, Timing, true, plain(buildTimingFigure));
  add(Panel::Metrics, "Metrics", "the locality, rank and error table", PanelPlace::Below, PanelDock::Right,
      Spectra | Metrics | Timing, true, plain(buildMetricsFigure),
      [](const Results&, const ViewSettings&, const FigureStyle& s, int) { return metricsFigureHeight(s); });
  add(Panel::Sweep, "Scaling sweep", "the forwards timed as N grows (runs a sweep)", PanelPlace::Row,
      PanelDock::TimingTab, panel_needs::Sweep, false,
      [](QCustomPlot* p, const Results& r, const ViewSettings&, const FigureStyle& s) {
        buildSweepFigure(p, r.sweep ? *r.sweep : SweepResult{}, s);
      });
  add(Panel::ModelView, "Model view", "every layer × head of the model (needs --model)", PanelPlace::Below,
      PanelDock::ViewTab, Survey, false, buildModelViewFigure,
      [](const Results& r, const ViewSettings&, const FigureStyle& s, int w) { return modelViewFigureHeight(r, s, w); });
  add(Panel::LayerCurves, "Layer curves", "entropy and rank per layer (needs --model)", PanelPlace::Below,
      PanelDock::ViewTab, Survey, false, plain(buildLayerCurvesFigure));
  add(Panel::Rollout, "Rollout", "attention rollout over the layers (needs --model)", PanelPlace::Below,
      PanelDock::ViewTab, Survey | panel_needs::Rollout, false, buildRolloutFigure,
      [](const Results& r, const ViewSettings& v, const FigureStyle& s, int w) {
        const std::shared_ptr<const Results> rr = rolloutResults(r);
        return rr ? mapsFigureHeight(*rr, v, s, w) : s.px(120);
      });
  add(Panel::ClsMaps, "CLS maps", "the CLS token's map per head (needs --model)", PanelPlace::Below,
      PanelDock::ViewTab, Survey, false, buildClsMapsFigure,
      [](const Results& r, const ViewSettings&, const FigureStyle& s, int w) { return clsMapsFigureHeight(r, s, w); });
  add(Panel::KvRank, "Low-rank K/V", "what a rank-r K/V latent keeps: energy per layer, ΔNLL and KL per rank (needs --model; runs the K/V sweep)",
      PanelPlace::Below, PanelDock::ViewTab, panel_needs::KvSweep, false,
      [](QCustomPlot* p, const Results& r, const ViewSettings&, const FigureStyle& s) { buildKvRankFigure(p, r, s); });
  add(Panel::Hybrid, "Hybrid", "each layer replaced alone by linear attention (or --layer-sensitivity MECH), then the greedy schedule (needs --model)",
      PanelPlace::Below, PanelDock::ViewTab, panel_needs::Sensitivity, false,
      [](QCustomPlot* p, const Results& r, const ViewSettings&, const FigureStyle& s) { buildHybridFigure(p, r, s); });
  add(Panel::Steps, "Teach", "the pinned query stepped through one mechanism's formulas with the real numbers "
      "(--step-mechanism, --step K; a PDF without --step: one page per stage)",
      PanelPlace::Below, PanelDock::ViewTab, 0, false, buildStepsFigure,
      [](const Results& r, const ViewSettings& v, const FigureStyle& s, int w) { return stepsFigureHeight(r, v, s, w); });
  t.back().pages = [](const Results& r, const ViewSettings& v) {
    std::vector<ViewSettings> out;
    for (int k = 0, n = v.step >= 0 ? 1 : stepCount(r, v); k < n; ++k) {
      out.push_back(v);
      if (v.step < 0) out.back().step = k;
    }
    return out;
  };
  return t;
}

std::vector<PanelDescriptor>& registry() {
  static std::vector<PanelDescriptor> list = builtIn();
  return list;
}

constexpr std::size_t kBuiltIns = 13;

}  // namespace

const std::vector<PanelDescriptor>& panels() { return registry(); }

const PanelDescriptor& panelDescriptor(const Panel& p) {
  for (const PanelDescriptor& d : panels())
    if (d.panel == p) return d;
  throw InvalidArgument("unknown panel '" + p.id() + "' (expected " + panelIds() + ")");
}

void registerPanel(PanelDescriptor d) {
  const std::string& id = d.id();
  if (id.empty() || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    throw InvalidArgument("panel id '" + id + "': use a-z, 0-9 and '-'");
  for (const PanelDescriptor& o : panels())
    if (o.id() == id) throw InvalidArgument("panel '" + id + "' is already registered");
  if (!d.build) throw InvalidArgument("panel '" + id + "' needs a builder");
  if ((d.needs & panel_needs::Rollout) && !(d.needs & panel_needs::Survey))
    throw InvalidArgument("panel '" + id + "': the rollout needs the survey");
  if (d.title.isEmpty()) d.title = QString::fromStdString(id);
  registry().push_back(std::move(d));
}

void unregisterPanel(const std::string& id) {
  auto& list = registry();
  for (std::size_t i = kBuiltIns; i < list.size(); ++i)
    if (list[i].id() == id) {
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
}

std::vector<Panel> panelList() {
  std::vector<Panel> out;
  for (const PanelDescriptor& d : panels()) out.push_back(d.panel);
  return out;
}

bool isModelPanel(const Panel& p) {
  for (const PanelDescriptor& d : panels())
    if (d.panel == p) return d.needsModel();
  return false;
}

std::string panelIds() {
  std::string names;
  for (const PanelDescriptor& d : panels()) names += (names.empty() ? "" : ", ") + d.id();
  return names;
}

std::vector<Panel> parsePanels(const std::string& list) {
  std::vector<Panel> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const Panel p(item);
    if (std::none_of(panels().begin(), panels().end(), [&](const PanelDescriptor& d) { return d.panel == p; }))
      throw InvalidArgument("unknown panel '" + item + "' (expected " + panelIds() + ")");
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  if (out.empty()) throw InvalidArgument("no panels given");
  return out;
}

std::vector<Panel> allPanels() {
  std::vector<Panel> out;
  for (const PanelDescriptor& d : panels())
    if (d.byDefault) out.push_back(d.panel);
  return out;
}

WorkPlan planForPanels(const std::vector<Panel>& list) {
  unsigned needs = 0;
  for (const Panel& p : list) needs |= panelDescriptor(p).needs;
  WorkPlan plan;
  plan.analysis.spectra = (needs & Spectra) != 0;
  plan.analysis.metrics = (needs & Metrics) != 0;
  plan.analysis.timing = (needs & Timing) != 0;
  plan.sweep = (needs & panel_needs::Sweep) != 0;
  plan.survey = plan.modelViews = (needs & Survey) != 0;
  plan.rollout = (needs & panel_needs::Rollout) != 0;
  plan.kvSweep = (needs & panel_needs::KvSweep) != 0;
  if (needs & panel_needs::Sensitivity) plan.layerSensitivity = "linear";
  return plan;
}

}  // namespace attnscope
