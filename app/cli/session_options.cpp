#include "cli/session_options.h"

#include <QFileInfo>

#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"
#include "cli/terminal_progress.h"
#include "io/file_kind.h"
#include "model/backend_registry.h"
#include "model/mechanism_registry.h"
#include "model/sweep.h"
#include <iostream>

namespace attnscope::cli {

namespace {

std::string absolute(const std::string& path) {
  return QFileInfo(QString::fromStdString(path)).absoluteFilePath().toStdString();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <class Parse>
auto parseChoice(const std::string& flag, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const InvalidArgument& e) {
    throw UsageError("--" + flag + ": " + e.what());
  }
}

}  // namespace

std::vector<OptionSpec> sessionOptionSpecs() {
  return {
      {"input", 1, "FILE", "image, UTF-8 text or saved session, told apart by content"},
      {"sample", 1, "image|text", "a built-in sample (default: image)"},
      {"synthetic", 0, "", "seeded clustered Gaussian Q/K/V"},
      {"synthetic-n", 1, "N", "tokens of --synthetic (default 256)"},
      {"qkv", 3, "Q.npy K.npy V.npy", "Q, K, V arrays ([N,d] or [H,N,d], float32/float64)"},
      {"grid", 1, "RxC", "with --qkv: the tokens form an R×C patch grid"},
      {"grid-first-token", 1, "I", "with --grid: tokens before I are off the grid (CLS)"},
      {"labels", 1, "FILE", "with --qkv: one label per line"},
      {"background", 1, "FILE", "with --qkv --grid: background image of the maps"},
      {"session", 1, "FILE", "start from a saved session (the other flags override it)"},
      {"model", 1, "PATH", "a trained checkpoint (folder or .safetensors): its Q/K/V on --input"},
      {"layer", 1, "L", "with --model: the layer (0-based; default the last); compute: 'all' writes layers.csv"},
      {"native-resolution", 0, "", "with --model: keep the image's aspect ratio (positions resampled)"},
      {"model-heads", 1, "H", "with --model: heads, for a checkpoint whose config does not say"},
      {"tokens", 1, "N", "token budget (image default 1024, text 512)"},
      {"patch-size", 1, "P", "image patch side in pixels (0 = automatic, the default)"},
      {"heads", 1, "H", "embedding heads of images and text (default 4)"},
      {"d-head", 1, "D", "d_k = d_v per head (default 64)"},
      {"position-weight", 1, "W", "embedding locality weight (default 0.5)"},
      {"head", 1, "H|all|mean", "which head (default 0); all: every head, rows averaged"},
      {"query", 1, "I|ROW,COL", "query token index or grid cell (default: centre)"},
      {"feature-map", 1, "NAME", "relu (default), elu1, softplus or favor"},
      {"favor-features", 1, "R", "random features of favor (default 256)"},
      {"temperature", 1, "T", "softmax temperature (default 1)"},
      {"blocks", 1, "M", "MHLA blocks (0 = automatic: images about 16 windows; 1D: 8)"},
      {"window", 1, "RxC", "MHLA 2D windows of R×C patches (images)"},
      {"mixing", 1, "INIT|FILE",
       "cos (default), linear, exp, gaussian, local, uniform, identity, causal, or a .npy/.csv"},
      {"normaliser", 1, "paper|official", "MHLA normaliser (default paper)"},
      {"causal", 0, "", "causal masks (MHLA then uses 1D blocks)"},
      {"backend", 1, "cpu|cuda", "compute backend (default cpu)"},
      {"threads", 1, "T", "worker threads (0 = all cores, the default; more than the cores are clamped)"},
      {"seed", 1, "S", "seed of the embedding, synthetic data and favor (default 0)"},
      {"rel-tol", 1, "TOL", "numerical-rank tolerance relative to sigma_1 (default 1e-4)"},
      {"max-dense-n", 1, "N", "largest N for dense spectra (softmax, causal; default 4096; slow above)"},
      {"matrix-budget", 1, "MIB", "largest dense N×N map in MiB (default 2048)"},
  };
}

std::vector<OptionSpec> viewOptionSpecs() {
  return {
      {"colormap", 1, "NAME", "viridis (default), magma, cividis or greyscale"},
      {"log-scale", 0, "", "logarithmic colour scale for the maps"},
      {"independent-scales", 0, "", "one colour scale per map instead of a shared one"},
      {"opacity", 1, "A", "heatmap opacity over the image, 0..1 (default 0.75)"},
      {"no-image", 0, "", "draw the bare patch grid, without the image"},
      {"map-mode", 1, "MODE", "row (default: the query's row), matrix (the whole N×N map, tokens in block order) or difference (each map minus softmax's); matrix and difference need N ≤ 2048"},
      {"range-with-query", 0, "", "let the query's own weight set the top of the colour range"},
  };
}

Session sessionFromArgs(const ParsedArgs& a) {
  Session s;
  int sources = 0;
  for (const char* f : {"input", "sample", "synthetic", "qkv"}) sources += a.has(f) ? 1 : 0;
  if (sources > 1)
    throw UsageError("give only one of --input, --sample, --synthetic and --qkv");

  std::string sessionPath = a.value("session");
  const std::string input = a.value("input");
  // What --input is, by its content (io/file_kind.h): the same rule as the window's.
  const FileKind inputKind = input.empty() ? FileKind::Text
                                           : sniffFileKind(QString::fromStdString(input));
  if (!input.empty() && inputKind == FileKind::Npy)
    throw UsageError("--input " + input +
                     ": this is a NumPy array (.npy); pass Q, K and V with --qkv Q.npy K.npy V.npy");
  if (!input.empty() && inputKind == FileKind::Session) {
    if (!sessionPath.empty()) throw UsageError("give the session either as --input or --session");
    sessionPath = input;
  }
  if (!sessionPath.empty()) s = loadSession(QString::fromStdString(sessionPath));

  // Every source flag edits one SessionSource; the session applies the new-input rule once.
  SessionSource src = s.source;
  if (!input.empty() && inputKind != FileKind::Session) {
    src = SessionSource{};
    src.kind = inputKind == FileKind::Text ? SourceKind::Text : SourceKind::Image;
    src.path = absolute(input);
  }
  if (a.has("sample")) {
    const std::string v = a.value("sample");
    if (v != "image" && v != "text")
      throw UsageError("--sample: expected image or text, got '" + v + "'");
    src = SessionSource{};
    src.kind = v == "image" ? SourceKind::SampleImage : SourceKind::SampleText;
  }
  if (a.has("synthetic")) {
    src = SessionSource{};
    src.kind = SourceKind::Synthetic;
  }
  if (a.has("qkv")) {
    const auto& v = a.values("qkv");
    src = SessionSource{};
    src.kind = SourceKind::Npy;
    src.qPath = absolute(v[0]);
    src.kPath = absolute(v[1]);
    src.vPath = absolute(v[2]);
  }
  for (const char* f : {"grid", "grid-first-token", "labels", "background"})
    if (a.has(f) && src.kind != SourceKind::Npy)
      throw UsageError(std::string("--") + f + " applies to --qkv inputs only");
  if (a.has("grid")) {
    auto [r, c] = parsePair("grid", a.value("grid"));
    src.gridRows = r;
    src.gridCols = c;
  }
  if (a.has("grid-first-token"))
    src.gridFirstToken = parseInt("grid-first-token", a.value("grid-first-token"), 0, 1 << 20);
  if (a.has("labels")) src.labelsPath = absolute(a.value("labels"));
  if (a.has("background")) src.backgroundPath = absolute(a.value("background"));
  s.setSource(src);
  if (a.has("model")) s.model.path = absolute(a.value("model"));
  for (const char* f : {"layer", "native-resolution", "model-heads"})
    if (a.has(f) && !s.model.active()) throw UsageError(std::string("--") + f + " needs --model PATH");
  // "--layer all" (compute: every layer's metrics table) keeps the session's layer (the last).
  if (a.has("layer") && a.value("layer") != "all") s.model.layer = parseInt("layer", a.value("layer"), 0, 4096);
  if (a.has("native-resolution")) s.model.nativeResolution = true;
  if (a.has("model-heads")) s.model.heads = parseInt("model-heads", a.value("model-heads"), 1, 4096);
  if (a.has("synthetic-n"))
    s.input.syntheticN = parseInt("synthetic-n", a.value("synthetic-n"), 1, kMaxTokenBudget);

  if (a.has("tokens")) {
    const int t = parseInt("tokens", a.value("tokens"), 1, kMaxTokenBudget);
    s.input.imageTokenBudget = t;
    s.input.textTokenBudget = t;
  }
  if (a.has("patch-size")) s.input.patchSize = parseInt("patch-size", a.value("patch-size"), 0, 1 << 20);
  if (a.has("heads")) s.input.heads = parseInt("heads", a.value("heads"), 1, 64);
  if (a.has("d-head")) s.input.dHead = parseInt("d-head", a.value("d-head"), 1, 1024);
  if (a.has("position-weight"))
    s.input.positionWeight = parseDouble("position-weight", a.value("position-weight"), 0, 1e6);
  if (a.has("seed")) {
    const std::string v = a.value("seed");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
      throw UsageError("--seed: expected a non-negative integer, got '" + v + "'");
    s.seed = std::stoull(v);
  }

  if (a.has("head")) {
    const std::string v = a.value("head");
    s.head = v == "all" ? Session::kHeadAll : v == "mean" ? Session::kHeadMean
                                                          : parseInt("head", v, 0, 63);
  }
  if (a.has("query")) {
    const std::string v = a.value("query");
    if (v.find(',') != std::string::npos) {
      const size_t at = v.find(',');
      s.pinQueryCell(parseInt("query", v.substr(0, at), 0, 1 << 20),
                     parseInt("query", v.substr(at + 1), 0, 1 << 20));
    } else {
      s.pinQuery(parseInt("query", v, 0, kMaxTokenBudget));
    }
  }
  if (a.has("feature-map"))
    s.featureMap = parseChoice("feature-map", a.value("feature-map"), parseFeatureMap);
  if (a.has("favor-features"))
    s.favorFeatures = parseInt("favor-features", a.value("favor-features"), 1, 65536);
  if (a.has("temperature"))
    s.temperature = parseDouble("temperature", a.value("temperature"), 1e-12, 1e12);
  if (a.has("blocks") && a.has("window")) throw UsageError("give either --blocks or --window");
  if (a.has("blocks")) s.setBlocks(parseInt("blocks", a.value("blocks"), 0, kMaxTokenBudget));
  if (a.has("window")) {
    auto [r, c] = parsePair("window", a.value("window"));
    s.setWindows(r, c);
  }
  if (a.has("mixing")) {
    const std::string v = a.value("mixing");
    const std::string ext = lower(v);
    if (endsWith(ext, ".npy") || endsWith(ext, ".csv")) {
      s.setMixingFile(absolute(v));
    } else {
      parseChoice("mixing", v, parseMixingInit);
      s.setMixingInit(v);
    }
  }
  if (a.has("normaliser"))
    s.normaliser = parseChoice("normaliser", a.value("normaliser"), parseNormaliser);
  if (a.has("causal")) s.causal = true;
  if (a.has("backend"))
    s.backend = parseChoice("backend", a.value("backend"), canonicalBackendName);
  if (a.has("threads")) s.threads = parseInt("threads", a.value("threads"), 0, 4096);
  if (a.has("rel-tol")) s.spectrumRelTol = parseDouble("rel-tol", a.value("rel-tol"), 0, 1);
  if (a.has("max-dense-n")) s.maxDenseN = parseInt("max-dense-n", a.value("max-dense-n"), 2, kMaxTokenBudget);
  if (a.has("matrix-budget"))
    s.matrixBudgetBytes =
        std::size_t(parseInt("matrix-budget", a.value("matrix-budget"), 1, 1 << 30)) << 20;
  return s;
}

void applyViewArgs(const ParsedArgs& a, ViewSettings& view) {
  if (a.has("colormap")) {
    const std::string v = a.value("colormap");
    if (v != "viridis" && v != "magma" && v != "cividis" && v != "greyscale" && v != "grayscale")
      throw UsageError("--colormap: expected viridis, magma, cividis or greyscale, got '" + v + "'");
    view.colormap = v == "grayscale" ? "greyscale" : v;
  }
  if (a.has("log-scale")) view.logScale = true;
  if (a.has("independent-scales")) view.sharedScale = false;
  if (a.has("opacity")) view.overlayOpacity = parseDouble("opacity", a.value("opacity"), 0, 1);
  if (a.has("no-image")) view.showImage = false;
  if (a.has("map-mode")) {
    const std::string v = a.value("map-mode");
    if (v != "row" && v != "matrix" && v != "difference")
      throw UsageError("--map-mode: expected row, matrix or difference, got '" + v + "'");
    view.mapMode = v;
  }
  if (a.has("range-with-query")) view.rangeWithoutQuery = false;
}

std::vector<OptionSpec> explorerOptionSpecs() {
  return {
      {"view-mechanism", 1, "ID", "model view and CLS maps: the mechanism shown (default softmax)"},
      {"metric", 1, "NAME", "model view: the metric in each cell: entropy (default), rank or kl"},
      {"thumbnails", 1, "MODE",
       "model view: auto (default: whole maps for texts ≤ 512 tokens, else the query's rows), rows, cls (the CLS "
       "token's rows) or matrix"},
      {"fusion", 1, "NAME", "rollout head fusion: mean (default), max or min"},
      {"discard", 1, "R", "rollout: the lowest fraction R of each fused map set to 0 (default 0.9)"},
      {"cls-mass", 1, "F", "CLS maps: keep the fewest patches holding F of the mass (default 0.6)"},
  };
}

void applyExplorerArgs(const ParsedArgs& a, ViewSettings& view) {
  ViewSettings::Explorer& e = view.explorer;
  auto choice = [&](const char* flag, std::string& out, std::initializer_list<const char*> allowed) {
    if (!a.has(flag)) return;
    const std::string v = a.value(flag);
    std::string list;
    for (const char* c : allowed) {
      if (v == c) {
        out = v;
        return;
      }
      list += (list.empty() ? "" : ", ") + std::string(c);
    }
    throw UsageError(std::string("--") + flag + ": expected " + list + ", got '" + v + "'");
  };
  if (a.has("view-mechanism")) {
    try {
      e.mechanism = mechanismEntry(a.value("view-mechanism")).id;
    } catch (const InvalidArgument& err) {
      throw UsageError(std::string("--view-mechanism: ") + err.what());
    }
  }
  choice("metric", e.metric, {"entropy", "rank", "kl"});
  choice("thumbnails", e.thumbnails, {"auto", "rows", "cls", "matrix"});
  choice("fusion", e.fusion, {"mean", "max", "min"});
  if (a.has("discard")) e.discardRatio = parseDouble("discard", a.value("discard"), 0, 0.999);
  if (a.has("cls-mass")) e.clsMass = parseDouble("cls-mass", a.value("cls-mass"), 0.01, 1);
}

std::vector<OptionSpec> sweepOptionSpecs() {
  return {
      {"sweep", 0, "", "also run the scaling sweep: every mechanism at N = 256, 512, … (synthetic)"},
      {"sweep-max-n", 1, "N", "largest N of the sweep (default 65536; stops early past 1.5 s)"},
  };
}

SweepRequest sweepFromArgs(const ParsedArgs& a, bool run) {
  SweepRequest r;
  r.run = run;
  r.maxN = kSweepDefaultMaxN;
  if (a.has("sweep-max-n")) {
    if (!r.run)
      throw UsageError("--sweep-max-n needs the sweep (--sweep; render: --panels ...,sweep)");
    r.maxN = parseInt("sweep-max-n", a.value("sweep-max-n"), 256, 1 << 22);
  }
  return r;
}

std::shared_ptr<const Results> withSweep(std::shared_ptr<const Results> results,
                                         const Session& session, const SweepRequest& sweep) {
  if (!sweep.run) return results;
  auto out = std::make_shared<Results>(*results);
  out->sweep = std::make_shared<const SweepResult>(
      runSweep(session, sweep.maxN, kSweepDefaultLimitMs, terminalProgress("sweep")));
  endProgress();
  return out;
}

void printNotices(const Input& input) {
  for (const std::string& notice : input.tokens.notices)
    std::cerr << "attnscope: note: " << notice << "\n";
}

void printSpectrumNotes(const Results& results) {
  if (!results.layoutNote.empty()) std::cerr << "attnscope: note: " << results.layoutNote << "\n";
  for (const MechanismResult& m : results.mechanisms)
    if (!m.spectrumNote.empty())
      std::cerr << "attnscope: note: no " << m.name << " spectrum: " << m.spectrumNote << "\n";
}

}  // namespace attnscope::cli
