// The panels as one table (issue 22 #4). A panel is a descriptor: its id and title, its builder (one
// figure builder shared by the window, render and the composer), where it sits in a composed figure,
// and what it needs computed (the workbench plan reads that). The figure composer lays out the
// descriptors, `render --panels` parses and plans from them, the window makes a tab or a pane per
// descriptor and feeds it. A new panel is one registerPanel() call (tests/gui/test_new_panel.cpp).
#pragma once

#include <QString>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "figures/figure_style.h"
#include "model/results.h"
#include "model/workbench.h"

class QCustomPlot;

namespace attnscope {

/// A panel by its id ("maps", "layer-curves"); the built-in ones have constants.
class Panel {
 public:
  Panel() = default;
  explicit Panel(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }
  bool operator==(const Panel& o) const { return id_ == o.id_; }
  bool operator!=(const Panel& o) const { return id_ != o.id_; }

  static const Panel Maps, Mixing, Spectra, Timing, Metrics, Sweep, ModelView, LayerCurves, Rollout, ClsMaps, KvRank, Hybrid, Steps;

 private:
  std::string id_ = "maps";
};
inline std::ostream& operator<<(std::ostream& os, const Panel& p) { return os << p.id(); }
inline std::string toString(const Panel& p) { return p.id(); }

/// Where a panel sits in a composed figure: the full width under the header (maps), side by side
/// in the middle row (mixing, spectra, timing, sweep), or the full width below, in table order.
enum class PanelPlace { Top, Row, Below };

/// Where the window shows a panel: a tab of the view area (maps, the model views), the bottom
/// row, the timing tabs, or the right column under them.
enum class PanelDock { ViewTab, Bottom, TimingTab, Right };

/// What a panel's figure reads (the workbench runs what the panels on show or asked for need).
namespace panel_needs {
enum : unsigned {
  Spectra = 1u << 0,  ///< rank spectra
  Timing = 1u << 1,   ///< the timing comparison
  Metrics = 1u << 2,  ///< the locality metrics
  Sweep = 1u << 3,    ///< a scaling sweep
  Survey = 1u << 4,   ///< every layer and head of the model (a model is needed)
  Rollout = 1u << 5,  ///< attention rollout over the layers (with Survey)
  KvSweep = 1u << 6,  ///< the low-rank K/V sweep of the model (a model is needed)
  Sensitivity = 1u << 7,  ///< layer sensitivity and schedule (a model is needed)
};
}

using PanelBuilder = std::function<void(QCustomPlot*, const Results&, const ViewSettings&, const FigureStyle&)>;
/// The height (logical pixels) a Top or Below panel wants at `width`.
using PanelHeight = std::function<int(const Results&, const ViewSettings&, const FigureStyle&, int width)>;
/// A panel with pages (the steps panel's stages): the view of each page a PDF of it gets; one
/// view (or none) is one page.
using PanelPages = std::function<std::vector<ViewSettings>(const Results&, const ViewSettings&)>;

struct PanelDescriptor {
  Panel panel;
  QString title;              ///< the window's tab or pane title, the export menu's entry
  std::string help;           ///< one line for `render --help`
  PanelPlace place = PanelPlace::Below;
  PanelDock dock = PanelDock::ViewTab;
  unsigned needs = 0;         ///< panel_needs bits
  bool byDefault = false;     ///< in render's default figure and the window's "Whole view" export
  PanelBuilder build;
  PanelHeight height;         ///< Top and Below panels; empty: 360 logical pixels
  PanelPages pages;           ///< empty: one page
  /// The view setting (session view.explorer.panel) that names it when it is the view tab shown.
  bool needsModel() const { return (needs & panel_needs::Survey) != 0; }
  const std::string& id() const { return panel.id(); }
};

/// Every panel, in display order: the built-in ones, then registered ones.
const std::vector<PanelDescriptor>& panels();
/// The descriptor of `p`; throws InvalidArgument for a panel that is not registered.
const PanelDescriptor& panelDescriptor(const Panel& p);
/// Adds a panel (a new id of [a-z0-9-], a builder; throws InvalidArgument). Call it before the
/// window is made or the command line runs.
void registerPanel(PanelDescriptor d);
/// Removes a panel registerPanel added (tests clean up after them).
void unregisterPanel(const std::string& id);

/// Every panel id, in display order.
std::vector<Panel> panelList();
/// The model explorer's panels (need a model survey: Results::modelViews).
bool isModelPanel(const Panel& p);
/// "maps,mixing,…" (any subset, any order); throws InvalidArgument naming the ids it knows.
std::vector<Panel> parsePanels(const std::string& list);
/// The default panels (byDefault): every one that needs neither a sweep nor a model.
std::vector<Panel> allPanels();
/// "maps, mixing, spectra, …" for help and errors.
std::string panelIds();
/// What showing `panels` needs computed: the analysis' spectra/timing/metrics, a sweep, the survey
/// and rollout. The sweep's sizes and the timing repeats are the caller's.
WorkPlan planForPanels(const std::vector<Panel>& panels);

}  // namespace attnscope
