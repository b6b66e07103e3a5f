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
#include "model/sample_models.h"
#include "model/sweep.h"
#include <iostream>

namespace attnscope::cli {

namespace {

std::string absolute(const std::string& path) {
  return QFileInfo(QString::fromStdString(path)).absoluteFilePath().toStdString();
}

OptionSpec optionOf(const Setting& d) {
  return {d.flag, d.metavar.empty() ? 0 : 1, d.metavar, d.help};
}

std::vector<OptionSpec> optionsOf(FlagGroup group) {
  std::vector<OptionSpec> out;
  for (const Setting& d : settings())
    if (!d.flag.empty() && d.group == group) out.push_back(optionOf(d));
  return out;
}

/// What the registries above the session layer check: a backend's canonical name, a mechanism id.
std::string refined(const Setting& d, const std::string& value) {
  if (d.key == "compute.backend") return canonicalBackendName(value);
  if (d.key == "view.explorer.mechanism") return mechanismEntry(value).id;
  return value;
}

/// Every setting of `group` whose flag was given, in the table's order.
void applySettingArgs(const ParsedArgs& a, Session& s, FlagGroup group) {
  for (const Setting& d : settings()) {
    if (d.flag.empty() || d.group != group || !a.has(d.flag)) continue;
    try {
      if (d.metavar.empty())
        editSetting(s, d, SettingValue(d.flagSets));
      else if (d.applyFlag)
        d.applyFlag(s, a.value(d.flag));
      else
        editSetting(s, d, parseSettingText(d, refined(d, a.value(d.flag))));
    } catch (const InvalidArgument& e) {
      throw UsageError("--" + d.flag + ": " + e.what());
    }
  }
}

}  // namespace

std::vector<OptionSpec> sessionOptionSpecs() {
  std::vector<OptionSpec> out{
      {"input", 1, "FILE", "image, UTF-8 text or saved session, told apart by content"},
      {"sample", 1, "image|text", "a built-in sample (default: image)"},
      {"sample-model", 1, "text|image",
       "a trained sample model shipped with attnscope on its own input: text (a small GPT-2 on the "
       "sample text) or image (a small ViT on a held-out shapes image)"},
      {"synthetic", 0, "", "seeded clustered Gaussian Q/K/V"},
      {"qkv", 3, "Q.npy K.npy V.npy", "Q, K, V arrays ([N,d] or [H,N,d], float32/float64)"},
      {"grid", 1, "RxC", "with --qkv: the tokens form an R×C patch grid"},
      {"grid-first-token", 1, "I", "with --grid: tokens before I are off the grid (CLS)"},
      {"labels", 1, "FILE", "with --qkv: one label per line"},
      {"background", 1, "FILE", "with --qkv --grid: background image of the maps"},
      {"session", 1, "FILE", "start from a saved session (the other flags override it)"},
  };
  for (const OptionSpec& o : optionsOf(FlagGroup::Session)) out.push_back(o);
  return out;
}

std::vector<OptionSpec> viewOptionSpecs() { return optionsOf(FlagGroup::View); }

std::vector<OptionSpec> explorerOptionSpecs() { return optionsOf(FlagGroup::Explorer); }

OptionSpec settingOption(const std::string& flag) {
  const Setting* d = findSettingByFlag(flag);
  if (!d) throw InvalidArgument("no setting has the flag --" + flag);
  return optionOf(*d);
}

Session sessionFromArgs(const ParsedArgs& a) {
  Session s;
  int sources = 0;
  for (const char* f : {"input", "sample", "synthetic", "qkv", "sample-model"}) sources += a.has(f) ? 1 : 0;
  if (sources > 1)
    throw UsageError("give only one of --input, --sample, --synthetic, --qkv and --sample-model");
  if (a.has("sample-model") && a.has("model"))
    throw UsageError("give either --model or --sample-model (which is a model and its input)");

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
  if (a.has("sample-model")) {
    SampleModel which;
    try {
      which = parseSampleModel(a.value("sample-model"));
    } catch (const InvalidArgument& e) {
      throw UsageError(std::string("--sample-model: ") + e.what());
    }
    s = sessionForSampleModel(which, s);  // FileError when it is not installed: exit status 1
  }

  // Rules between flags; then every setting flag, generated from the settings table.
  for (const char* f : {"layer", "native-resolution", "model-heads"})
    if (a.has(f) && !s.model.active() && !a.has("model"))
      throw UsageError(std::string("--") + f + " needs --model PATH (or --sample-model)");
  if (a.has("blocks") && a.has("window")) throw UsageError("give either --blocks or --window");
  applySettingArgs(a, s, FlagGroup::Session);
  return s;
}

void applyViewArgs(const ParsedArgs& a, Session& s) { applySettingArgs(a, s, FlagGroup::View); }

void applyExplorerArgs(const ParsedArgs& a, Session& s) { applySettingArgs(a, s, FlagGroup::Explorer); }

std::vector<OptionSpec> surveyOptionSpecs() {
  return {{"max-seconds", 1, "S",
           "with a model survey (--layer all, model panels): refuse it when its first layer says the whole "
           "would take longer than S seconds (default 0: no limit; the estimate is printed past 10 s)"}};
}

SurveyOptions surveyFromArgs(const ParsedArgs& a) {
  SurveyOptions o;
  if (a.has("max-seconds")) o.maxSeconds = parseDouble("max-seconds", a.value("max-seconds"), 0, 1e9);
  o.notice = [](const std::string& text) { std::cerr << "attnscope: note: " << text << "\n"; };
  return o;
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

WorkHooks terminalHooks(const std::string& command) {
  WorkHooks h;
  h.stage = [command](const std::string& stage) {
    return terminalProgress(stage == "analysis" ? command : stage == "survey" ? std::string("every layer") : stage);
  };
  h.stageEnded = [] { endProgress(); };
  h.loaded = [](const Input& input) { printNotices(input); };
  h.analysed = [](const Results& results) { printSpectrumNotes(results); };
  return h;
}

void printNotices(const Input& input) {
  for (const std::string& notice : input.tokens.notices)
    std::cerr << "attnscope: note: " << worded(notice) << "\n";
}

void printSpectrumNotes(const Results& results) {
  if (!results.layoutNote.empty()) std::cerr << "attnscope: note: " << worded(results.layoutNote) << "\n";
  for (const MechanismResult& m : results.mechanisms)
    if (!m.spectrumNote.empty())
      std::cerr << "attnscope: note: no " << m.name << " spectrum: " << worded(m.spectrumNote) << "\n";
}

std::string worded(const std::string& message) { return wordSettings(message, SettingWording::Flag); }

}  // namespace attnscope::cli
