// attnscope compute: every number behind a figure, as .npy, CSV and JSON files in one folder —
// the same files as the window's File ▸ Export data (model/export.h).
#include <iostream>

#include "attnscope/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "cli/session_options.h"
#include "model/export.h"
#include "model/mechanism_registry.h"
#include "model/workbench.h"

namespace attnscope::cli {

namespace {

std::vector<OptionSpec> computeSpecs() {
  std::vector<OptionSpec> s = sessionOptionSpecs();
  s.insert(s.begin(), {"out-dir", 1, "DIR", "folder for the files (created if needed; required)"});
  s.push_back({"matrices", 0, "", "also write the dense N×N maps (refused above --matrix-budget)"});
  s.push_back({"dump-qkv", 0, "", "also write q.npy, k.npy, v.npy: the Q/K/V every mechanism ran on, [H, N, d]"});
  s.push_back({"timing", 0, "",
               "also time each forward, on the CPU and the GPU if available (timing.csv)"});
  s.push_back({"repeats", 1, "R", "timed runs with --timing (default 5)"});
  for (const OptionSpec& o : sweepOptionSpecs()) s.push_back(o);
  for (const OptionSpec& o : surveyOptionSpecs()) s.push_back(o);
  s.push_back({"rollout", 0, "", "with --layer all: also write rollout_<mech>.npy (attention rollout, N×N)"});
  s.push_back({"kv-rank-sweep", 0, "",
               "with --model: every layer's K/V at rank 1, 2, 4, … and full: ΔNLL and KL per rank "
               "(kv_rank_sweep.csv) and each layer's ranks for 90/95/99 % energy (kv_energy.csv)"});
  s.push_back({"replace", 1, "L=MECH,…",
               "with --model: also run the forward with these layers' attention replaced by a mechanism "
               "(e.g. 1=linear,3=mhla; the session's φ, blocks, 𝓜): hybrid.json, nll.csv"});
  s.push_back({"layer-sensitivity", 1, "MECH",
               "with --model: each layer replaced alone by MECH (linear, mhla, …), then layers added least "
               "harmful first, re-measured after each: sensitivity.csv, schedule.csv"});
  s.push_back(settingOption("fusion"));
  s.push_back(settingOption("discard"));
  s.push_back({"help", 0, "", "show this help"});
  return s;
}

std::string help() {
  return "usage: attnscope compute [OPTIONS] --out-dir DIR\n"
         "\n"
         "Runs every attention mechanism (" + mechanismIds() + ") on one input and writes into\n"
         "DIR the same files as the window's File > Export data:\n"
         "  metrics.json         docs/math.md metrics per mechanism and head, N, M, r, bounds, settings\n"
         "  session.json         the session (load it with --session to reproduce the numbers)\n"
         "  output_<mech>.npy    O = A·V, [N, d_v] (or [H, N, d_v] with --head all|mean)\n"
         "  row_<mech>.npy       the query's row of A, length N (mean over heads with all|mean)\n"
         "  rows.csv             the same rows as text: token, one column per mechanism\n"
         "  spectrum_<mech>.npy  singular values of A ([H, K], zero-padded, with all|mean)\n"
         "  spectra.csv          mechanism, head, k, sigma\n"
         "  mixing.npy, .csv     the MHLA M×M mixing matrix\n"
         "  timing.csv           with --timing: one line per mechanism and backend\n"
         "  sweep.csv            with --sweep: the scaling sweep\n"
         "  matrix_<mech>.npy    with --matrices: the dense N×N map ([H, N, N] with all|mean)\n"
         "  tokens.json          with --model: {\"ids\": [...], \"tokens\": [...]} (images: positions, labels)\n"
         "  q.npy, k.npy, v.npy  with --dump-qkv: [H, N, d_head] float32 (with --model: the layer's own)\n"
         "  layers.csv, .json    with --model --layer all: every layer, head and mechanism: normalised\n"
         "                       entropy, effective and numerical rank, KL to softmax, output error\n"
         "  rollout_<mech>.npy   with --layer all --rollout: the attention rollout, N×N float64\n"
         "  hybrid.json, nll.csv with --model --replace L=MECH,…: the forward with those layers' attention\n"
         "                       replaced; NLL, top-1 agreement, KL of the next-token distribution\n"
         "  sensitivity.csv,     with --model --layer-sensitivity MECH: each layer replaced alone; then the\n"
         "  schedule.csv         layers added least harmful first (the hybrid-ratio curve)\n"
         "  kv_rank_sweep.csv    with --model --kv-rank-sweep: rank, KV cache per token, ΔNLL, KL\n"
         "  kv_energy.csv        with --kv-rank-sweep: per layer the ranks for 90/95/99 % energy\n"
         "  kv_rank.json         with --model --kv-rank R: per layer and head the KL of the maps to the\n"
         "                       model's own, ΔNLL, the KV cache per token (MHA, GQA, the latent)\n"
         "\noptions:\n";
}

}  // namespace

int runCompute(const Args& args) {
  const std::vector<OptionSpec> specs = computeSpecs();
  const ParsedArgs a = parseArgs(args, specs, "compute");
  if (a.has("help")) {
    std::cout << help() << formatOptions(specs);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (!a.has("out-dir")) throw UsageError("compute needs --out-dir DIR");
  Session session = sessionFromArgs(a);
  const bool allLayers = a.value("layer") == "all";
  if (a.has("rollout") && !allLayers) throw UsageError("--rollout needs --model PATH --layer all");
  for (const char* f : {"fusion", "discard"})
    if (a.has(f) && !a.has("rollout")) throw UsageError(std::string("--") + f + " needs --rollout");
  applyExplorerArgs(a, session);
  const SweepRequest sweep = sweepFromArgs(a, a.has("sweep"));
  WorkPlan plan;
  plan.analysis.timing = a.has("timing");
  if (a.has("repeats")) plan.analysis.timingRepeats = parseInt("repeats", a.value("repeats"), 1, 100000);
  plan.sweep = sweep.run;
  plan.sweepMaxN = sweep.maxN;
  plan.survey = allLayers;
  plan.surveyOptions = surveyFromArgs(a);
  plan.rollout = a.has("rollout");
  plan.kvSweep = a.has("kv-rank-sweep");
  if (a.has("layer-sensitivity")) {
    if (!session.model.active()) throw UsageError("--layer-sensitivity needs --model PATH");
    plan.layerSensitivity = a.value("layer-sensitivity");
  }
  if (a.has("replace")) {
    if (!session.model.active()) throw UsageError("--replace needs --model PATH");
    try {
      plan.replace = parseReplace(a.value("replace"));
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("--replace: ") + e.what());
    }
  }
  if (plan.kvSweep && !session.model.active()) throw UsageError("--kv-rank-sweep needs --model PATH");
  ExportOptions exportOptions;
  exportOptions.matrices = a.has("matrices");
  exportOptions.qkv = a.has("dump-qkv");
  exportOptions.matrixBudgetBytes = session.matrixBudgetBytes;

  // A folder that cannot take the results is refused before the analysis runs.
  checkExportFolder(QString::fromStdString(a.value("out-dir")));
  WorkHooks hooks = terminalHooks("compute");
  hooks.loaded = [&, print = hooks.loaded](const Input& input) {
    print(input);
    // Refused before the analysis runs (the exporter checks again before it writes).
    const std::size_t heads = session.allHeads() ? input.qkv.numHeads() : 1;
    if (exportOptions.matrices)
      requireDenseMapBudget(input.qkv.n(), heads, session.matrixBudgetBytes, "--matrices");
  };
  const WorkResult work = runWork(session, plan, hooks);
  const std::shared_ptr<const Results>& res = work.results;
  if (work.survey) {
    for (std::size_t k = 0; k < work.survey->spectrumNotes.size(); ++k)
      if (!work.survey->spectrumNotes[k].empty())
        std::cerr << "attnscope: " << work.survey->mechanisms[k] << " ranks: " << worded(work.survey->spectrumNotes[k])
                  << "\n";
    exportOptions.survey = work.survey.get();
  }
  if (work.rollout) {
    if (!work.rollout->note.empty()) throw BudgetExceeded("--rollout: " + work.rollout->note);
    exportOptions.rollout = work.rollout.get();
  }
  exportOptions.kvSweep = res->kvSweep.get();
  exportOptions.hybrid = work.hybrid.get();
  exportOptions.sensitivity = work.sensitivity.get();
  if (work.hybrid) {
    const HybridReport& h = *work.hybrid;
    std::cerr << "attnscope: replaced " << h.replaced.size() << " layer(s): "
              << (h.text ? "NLL " + std::to_string(h.nllOriginal) + " → " + std::to_string(h.nll) +
                               " nats/token, top-1 agreement " + std::to_string(h.top1Agreement)
                         : "CLS cosine " + std::to_string(h.clsCosine))
              << "\n";
  }
  const QStringList files =
      exportResults(*res, QString::fromStdString(a.value("out-dir")), exportOptions);
  std::cerr << "attnscope: wrote " << files.size() << " files to " << a.value("out-dir")
            << " (N = " << res->n << ", M = " << res->layout->m() << ", query " << res->query
            << ", " << res->headLabel() << ")\n";
  return 0;
}

}  // namespace attnscope::cli
