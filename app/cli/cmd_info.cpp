// attnscope info: version, backends (and why one is unavailable), the CUDA device, threads, build
// options; with --model PATH, what a trained checkpoint is.
#include <QBuffer>
#include <QDir>
#include <QPixmap>
#include <qcustomplot.h>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "attnscope/atomic_file.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/models/learned_mixing.h"
#include "figures/figure_style.h"
#include "figures/mixing_figure.h"
#include "model/results.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/cuda_report.h"
#include "cli/model_report.h"
#include "model/backend_registry.h"
#include "model/build_info.h"
#include "model/sample_models.h"


namespace attnscope::cli {


/// One learned matrix through the mixing figure (title: its tensor; note: negatives and row sums).
static void drawLearnedMixing(const models::LearnedMixing& l, const QString& png) {
  Results r;
  r.mixing = l.matrix;
  r.mixingName = l.name;
  r.queryBlock = -1;
  std::ostringstream note;
  note.precision(4);
  note << "layer " << l.layer << " · " << l.kind << " · " << l.negatives << " negative entr" << (l.negatives == 1 ? "y" : "ies")
       << " · row sums " << l.rowSums.minCoeff() << " … " << l.rowSums.maxCoeff();
  r.layoutNote = note.str();
  QCustomPlot plot;
  plot.resize(620, 560);
  const FigureStyle style;
  buildMixingFigure(&plot, r, ViewSettings{}, style);
  plot.replot(QCustomPlot::rpImmediateRefresh);
  fitAspect(&plot);
  // Encoded in memory, then written atomically (size checked, flushed, renamed): a failed write keeps
  // an earlier drawing of the same tensor.
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (!plot.toPixmap(620, 560, 2.0).save(&buffer, "PNG")) throw FileError(png.toStdString() + ": cannot encode the PNG");
  writeFileAtomically(png.toStdString(), std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
}

int runInfo(const Args& args) {
  if (!args.empty() && args[0] == "--version") {
    std::cout << "attnscope " << attnscopeVersion() << "\n";
    return 0;
  }
  const std::vector<OptionSpec> specs = {
      {"model", 1, "PATH", "describe a checkpoint: a folder (config.json + safetensors) or a .safetensors file"},
      {"model-heads", 1, "H", "heads, for a checkpoint whose config does not say"},
      {"mixing", 1, "FILE", "list the learned MHLA mixing matrices of a .safetensors checkpoint (read by their offsets "
                            "only); use one with --mixing FILE.safetensors#TENSOR"},
      {"out-dir", 1, "DIR", "with --mixing: draw each matrix to DIR/TENSOR.png (diverging colours where entries are negative)"},
      {"help", 0, "", "show this help"}};
  const ParsedArgs a = parseArgs(args, specs, "info");
  if (a.has("help")) {
    std::cout << "usage: attnscope info [--model PATH [--model-heads H] | --mixing FILE.safetensors [--out-dir DIR]]\n\nPrints the version, the compute "
                 "backends (and why one is unavailable), the CUDA device, threads and build options.\nWith "
                 "--model: the checkpoint's family, layers, heads, d_model, d_head, vocabulary or patch size "
                 "and training resolution, positions, dtype and parameter count.\n\noptions:\n"
              << formatOptions(specs);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("info takes no arguments ('" + a.positional()[0] + "')");
  if (a.has("model-heads") && !a.has("model")) throw UsageError("--model-heads needs --model");
  if (a.has("out-dir") && !a.has("mixing")) throw UsageError("--out-dir needs --mixing");
  if (a.has("mixing")) {
    const std::string path = a.value("mixing");
    const std::vector<models::LearnedMixing> found = models::findLearnedMixing(*models::SafetensorsFile::open(path));
    std::cout << models::learnedMixingTable(path, found);
    if (a.has("out-dir")) {
      const QString dir = QString::fromStdString(a.value("out-dir"));
      if (!QDir().mkpath(dir)) throw FileError(a.value("out-dir") + ": cannot create the folder");
      for (const models::LearnedMixing& l : found) {
        const QString png = QDir(dir).filePath(QString::fromStdString(l.name) + ".png");
        drawLearnedMixing(l, png);
        std::cout << "wrote " << png.toStdString() << "\n";
      }
    }
    return 0;
  }
  if (a.has("model")) {
    models::OpenOptions options;
    if (a.has("model-heads")) options.heads = parseInt("--model-heads", a.value("model-heads"), 1, 4096);
    printModelInfo(std::cout, models::Checkpoint::open(a.value("model"), options));
    return 0;
  }

  std::cout << "attnscope " << attnscopeVersion() << "\n\nbackends:\n";
  for (const BackendEntry& b : listBackends()) {
    std::cout << "  " << b.name << std::string(b.name.size() < 8 ? 8 - b.name.size() : 1, ' ')
              << (b.availability.ok ? "available    " : "unavailable  ") << b.description;
    if (!b.availability.ok) std::cout << "\n" << std::string(23, ' ') << "why: " << b.availability.reason;
    std::cout << "\n";
  }
  printCudaDevice(std::cout);
  std::cout << "\nthreads:\n"
            << "  hardware threads       " << std::thread::hardware_concurrency() << "\n"
            << "  OpenMP threads         " << hardwareThreads() << "\n"
            << "  OpenMP wait policy     "
            << (std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "libgomp default (spin, then sleep)")
            << (std::getenv("GOMP_SPINCOUNT") ? std::string(", GOMP_SPINCOUNT=") + std::getenv("GOMP_SPINCOUNT") : std::string())
            << "\n"
            << "\nsample models (--sample-model):\n";
  for (SampleModel m : {SampleModel::Text, SampleModel::Image}) {
    std::string where;
    try {
      where = sampleModelDir(m);
    } catch (const Error& e) {
      where = e.what();  // "the sample … model is not installed (looked in …)"
    }
    const std::string name = sampleModelName(m);
    std::cout << "  " << name << std::string(23 - name.size(), ' ') << where << "\n";
  }
  std::cout << "\nbuild:\n";
  for (const BuildFact& f : buildFacts())
    std::cout << "  " << f.key << std::string(f.key.size() < 23 ? 23 - f.key.size() : 1, ' ') << f.value << "\n";
  return 0;
}

}  // namespace attnscope::cli
