// attnscope compute: every number behind a figure, as .npy and JSON files in one folder.
#include <QDir>
#include <QJsonDocument>
#include <QSaveFile>
#include <iostream>

#include "attnscope/error.h"
#include "attnscope/npy.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/session_options.h"
#include "model/backend_registry.h"
#include "model/pipeline.h"
#include "model/results_json.h"

namespace attnscope::cli {

namespace {

std::vector<OptionSpec> computeSpecs() {
  std::vector<OptionSpec> s = sessionOptionSpecs();
  s.insert(s.begin(), {"out-dir", 1, "DIR", "folder for the files (created if needed; required)"});
  s.push_back({"matrices", 0, "", "also write the dense N×N maps (refused above --matrix-budget)"});
  s.push_back({"timing", 0, "",
               "also time each forward, on the CPU and the GPU if available (metrics.json)"});
  s.push_back({"repeats", 1, "R", "timed runs with --timing (default 5)"});
  s.push_back({"help", 0, "", "show this help"});
  return s;
}

const char* kHelp =
    "usage: attnscope compute [OPTIONS] --out-dir DIR\n"
    "\n"
    "Runs softmax, linear and MHLA attention on one input and writes into DIR:\n"
    "  output_<mech>.npy    O = A·V, [N, d_v] (or [H, N, d_v] with --head all|mean)\n"
    "  row_<mech>.npy       the query's row of A, length N (mean over heads with all|mean)\n"
    "  spectrum_<mech>.npy  singular values of A ([H, K], zero-padded, with all|mean)\n"
    "  matrix_<mech>.npy    the dense N×N map, with --matrices ([H, N, N] with all|mean)\n"
    "  mixing.npy           the MHLA M×M mixing matrix\n"
    "  metrics.json         MATH.md metrics per mechanism and head, N, M, r, bounds, settings\n"
    "  session.json         the session (load it with --session to reproduce the numbers)\n"
    "<mech> is softmax, linear, mhla.\n"
    "\noptions:\n";

void writeJson(const QString& path, const QJsonObject& obj) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly) ||
      f.write(QJsonDocument(obj).toJson(QJsonDocument::Indented)) < 0 || !f.commit())
    throw FileError(path.toStdString() + ": cannot write: " + f.errorString().toStdString());
}

/// Spectra of several heads as one [H, K] array, zero-padded to the longest.
NpyArray stackSpectra(const std::vector<Spectrum>& spectra) {
  Eigen::Index k = 0;
  for (const Spectrum& s : spectra) k = std::max(k, s.sigma.size());
  NpyArray a;
  a.dtype = NpyDtype::Float64;
  a.shape = {static_cast<std::int64_t>(spectra.size()), static_cast<std::int64_t>(k)};
  a.data.assign(spectra.size() * k, 0.0);
  for (size_t h = 0; h < spectra.size(); ++h)
    for (Eigen::Index i = 0; i < spectra[h].sigma.size(); ++i) a.data[h * k + i] = spectra[h].sigma[i];
  return a;
}

}  // namespace

int runCompute(const Args& args) {
  const std::vector<OptionSpec> specs = computeSpecs();
  const ParsedArgs a = parseArgs(args, specs, "compute");
  if (a.has("help")) {
    std::cout << kHelp << formatOptions(specs);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (!a.has("out-dir")) throw UsageError("compute needs --out-dir DIR");
  const Session session = sessionFromArgs(a);
  AnalysisOptions opts;
  opts.timing = a.has("timing");
  if (a.has("repeats")) opts.timingRepeats = parseInt("repeats", a.value("repeats"), 1, 100000);
  const bool matrices = a.has("matrices");

  auto input = std::make_shared<const Input>(loadSessionInput(session));
  for (const std::string& notice : input->tokens.notices) std::cerr << "attnscope: note: " << notice << "\n";
  const std::size_t heads = session.allHeads() ? input->qkv.numHeads() : 1;
  if (matrices)
    requireBudget(std::size_t(input->qkv.n()) * input->qkv.n() * heads, 4, session.matrixBudgetBytes,
                  "--matrices");

  const std::shared_ptr<const Results> res = analyse(session, input, opts, terminalProgress("compute"));
  endProgress();

  const QString dirPath = QString::fromStdString(a.value("out-dir"));
  QDir dir(dirPath);
  if (!dir.exists() && !QDir().mkpath(dirPath))
    throw FileError(a.value("out-dir") + ": cannot create the folder");
  auto file = [&](const std::string& name) { return dir.filePath(QString::fromStdString(name)).toStdString(); };

  std::unique_ptr<Backend> backend;
  if (matrices) {
    backend = makeBackend(session.backend, session.threads);
    backend->setMatrixBudget(session.matrixBudgetBytes);
  }
  for (const MechanismResult& m : res->mechanisms) {
    if (heads == 1) {
      writeNpy(file("output_" + m.name + ".npy"), m.outputs[0]);
      if (!m.spectra.empty()) writeNpy(file("spectrum_" + m.name + ".npy"), m.spectra[0].sigma);
    } else {
      writeNpy(file("output_" + m.name + ".npy"), m.outputs);
      if (!m.spectra.empty()) writeNpy(file("spectrum_" + m.name + ".npy"), stackSpectra(m.spectra));
    }
    writeNpy(file("row_" + m.name + ".npy"), m.shownRow);
    if (matrices) {
      const HeadSel sel = heads == 1 ? HeadSel::one(res->heads[0]) : HeadSel::all();
      std::vector<MatrixF> maps = backend->attentionMatrix(m.spec, input->qkv, sel);
      if (heads == 1)
        writeNpy(file("matrix_" + m.name + ".npy"), maps[0]);
      else
        writeNpy(file("matrix_" + m.name + ".npy"), maps);
    }
  }
  writeNpy(file("mixing.npy"), res->mixing);
  writeJson(dir.filePath("metrics.json"), resultsToJson(*res));
  writeJson(dir.filePath("session.json"), session.toJson());

  std::cerr << "attnscope: wrote " << (matrices ? 14 : 11) << " files to " << a.value("out-dir")
            << " (N = " << res->n << ", M = " << res->layout->m() << ", query " << res->query
            << ", " << res->headLabel() << ")\n";
  return 0;
}

}  // namespace attnscope::cli
