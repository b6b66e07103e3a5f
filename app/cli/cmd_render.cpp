// attnscope render: the side-by-side figure (the GUI's figure builders) as PNG, SVG or PDF,
// without a display.
#include <QFileInfo>
#include <cstdio>
#include <iostream>

#include "attnscope/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "cli/session_options.h"
#include "figures/export_presets.h"
#include "figures/figure_composer.h"
#include "figures/panels.h"
#include "model/workbench.h"

namespace attnscope::cli {

namespace {

/// "maps,mixing,spectra,timing,metrics (default), sweep (…), …": from the panel table.
std::string panelsHelp() {
  std::string byDefault, others;
  for (const PanelDescriptor& d : panels())
    (d.byDefault ? byDefault : others) += (d.byDefault ? (byDefault.empty() ? "" : ",") : ", ") + d.id() +
                                           (d.byDefault ? "" : " (" + d.help + ")");
  return byDefault + " (the default)" + others;
}

/// "single-column (3.5 in), double-column (…) or slide-16x9 (…)": from the preset table.
std::string presetsHelp() {
  std::string s;
  const std::vector<ExportPreset>& presets = exportPresets();
  for (std::size_t i = 0; i < presets.size(); ++i) {
    const std::string& label = presets[i].label;
    s += (i == 0 ? "" : i + 1 == presets.size() ? " or " : ", ") + presets[i].id +
         label.substr(label.find(" ("));
  }
  return s + ": the width, fonts and PNG density (300 dpi for columns, 144 for slides) of a paper "
             "column or a slide, in every format; not with --width";
}

std::vector<OptionSpec> renderSpecs() {
  std::vector<OptionSpec> s = sessionOptionSpecs();
  s.insert(s.begin(), {
      {"out", 1, "FILE", "FILE.png, FILE.svg or FILE.pdf (required)"},
      {"dpi", 1, "N", "PNG pixel density (default 150; 96 = one pixel per point)"},
      {"panels", 1, "LIST", panelsHelp()},
      {"panel", 1, "LIST", "the same as --panels"},
      {"sweep-max-n", 1, "N", "largest N of the sweep panel (default 65536; stops past 1.5 s)"},
      {"width", 1, "PX", "figure width in logical pixels at 96 dpi (default 1500)"},
      {"preset", 1, "NAME", presetsHelp()},
      {"repeats", 1, "R", "timed runs for the timing panel (default 5)"},
  });
  for (const OptionSpec& v : viewOptionSpecs()) s.push_back(v);
  for (const OptionSpec& v : explorerOptionSpecs()) s.push_back(v);
  for (const OptionSpec& v : surveyOptionSpecs()) s.push_back(v);
  s.push_back({"help", 0, "", "show this help"});
  return s;
}

const char* kHelp =
    "usage: attnscope render [OPTIONS] --out FILE.png|FILE.svg|FILE.pdf\n"
    "\n"
    "Draws every attention mechanism's map of one query side by side (softmax, linear, MHLA),\n"
    "with the MHLA mixing matrix, the singular-value spectra, timings, a metrics table and,\n"
    "when asked for, the scaling sweep, with the same figure builders as the desktop window.\n"
    "Needs no display.\n"
    "\noptions:\n";

}  // namespace

int runRender(const Args& args) {
  const std::vector<OptionSpec> specs = renderSpecs();
  const ParsedArgs a = parseArgs(args, specs, "render");
  if (a.has("help")) {
    std::cout << kHelp << formatOptions(specs);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (!a.has("out")) throw UsageError("render needs --out FILE.png|FILE.svg|FILE.pdf");
  const QString out = QString::fromStdString(a.value("out"));
  const QString ext = QFileInfo(out).suffix().toLower();
  if (ext != "png" && ext != "svg" && ext != "pdf")
    throw UsageError("--out " + a.value("out") + ": the file must end in .png, .svg or .pdf");
  const ExportPreset* preset = nullptr;
  if (a.has("preset")) {
    if (a.has("width")) throw UsageError("give --preset or --width, not both");
    try {
      preset = &findExportPreset(a.value("preset"));
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("--preset: ") + e.what());
    }
  }
  const int dpi = parseInt("dpi", a.value("dpi", preset ? std::to_string(preset->pngDpi) : "150"), 24, 1200);
  const int width = preset ? preset->layoutWidth() : parseInt("width", a.value("width", "1500"), 600, 8000);
  std::vector<Panel> panels = allPanels();
  if (a.has("panels") && a.has("panel")) throw UsageError("give --panels or --panel, not both");
  if (a.has("panels") || a.has("panel")) {
    try {
      panels = parsePanels(a.value(a.has("panels") ? "panels" : "panel"));
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("--panels: ") + e.what());
    }
  }
  Session session = sessionFromArgs(a);
  applyViewArgs(a, session);
  applyExplorerArgs(a, session);
  if (a.value("layer") == "all") throw UsageError("--layer all is for compute (layers.csv); render shows one layer");
  const bool modelPanels = std::any_of(panels.begin(), panels.end(), [](const Panel& p) { return isModelPanel(p); });
  if (modelPanels && !session.model.active()) {
    std::string ids;
    for (const PanelDescriptor& d : attnscope::panels())
      if (d.needsModel()) ids += (ids.empty() ? "" : ", ") + d.id();
    throw UsageError("--panels " + ids + " need --model PATH");
  }

  WorkPlan plan = planForPanels(panels);
  if (a.has("repeats")) plan.analysis.timingRepeats = parseInt("repeats", a.value("repeats"), 1, 100000);
  const SweepRequest sweep = sweepFromArgs(a, plan.sweep);
  plan.surveyOptions = surveyFromArgs(a);
  plan.sweepMaxN = sweep.maxN;
  const WorkResult work = runWork(session, plan, terminalHooks("render"));
  if (work.rollout && !work.rollout->note.empty()) std::cerr << "attnscope: " << work.rollout->note << "\n";
  const std::shared_ptr<const Results>& res = work.results;
  FigureStyle style = exportStyle(out);
  if (preset) style.scale = preset->fontScale;
  const FigureWritten written =
      exportFigureFile(res, session.view, panels, out, dpi, style, width, preset ? preset->pixelsPerInch : 0.0);
  const std::string pages = written.pages > 1 ? ", " + std::to_string(written.pages) + " pages" : std::string();
  if (preset) {
    const QSize size = written.size;
    char inches[64];
    std::snprintf(inches, sizeof inches, " (%.2f × %.2f in, %s", size.width() / preset->pixelsPerInch,
                  size.height() / preset->pixelsPerInch, preset->label.c_str());
    std::cerr << "attnscope: wrote " << a.value("out") << inches << pages << ")\n";
  } else {
    std::cerr << "attnscope: wrote " << a.value("out") << (pages.empty() ? "" : " (" + pages.substr(2) + ")") << "\n";
  }
  return 0;
}

}  // namespace attnscope::cli
