// attnscope bench: forward timings of the mechanisms on seeded synthetic Q/K/V, with the same
// harness (timeForward) as the GUI's timing panel.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <limits>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "attnscope/atomic_file.h"
#include "attnscope/blas_library.h"
#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/rng.h"
#include "attnscope/timing.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/cuda_report.h"
#include "cli/terminal_progress.h"
#include "cli/session_options.h"
#include "model/backend_registry.h"
#include "model/mechanism_registry.h"
#include "attnscope/models/bound_weights.h"
#include "model/model_source.h"
#include "model/results_json.h"
#include "model/sweep.h"

namespace attnscope::cli {

namespace {

constexpr int kBenchSgemmN = 2048;  // 17 GFLOP a run: about 0.1-0.2 s on one core

std::vector<OptionSpec> benchSpecs() {
  return {
      {"backend", 1, "cpu|cuda", "compute backend (default cpu)"},
      {"mechanisms", 1, "LIST", "comma-separated mechanism ids: " + mechanismIds() + " (default all)"},
      {"n", 1, "LIST", "token counts (default 256,1024,4096)"},
      {"d", 1, "D", "d_k = d_v (default 64)"},
      {"heads", 1, "H", "heads (default 1)"},
      {"blocks", 1, "M|sqrt", "MHLA blocks (1D); sqrt = round(sqrt(N)) (default 16)"},
      {"feature-map", 1, "NAME", "relu (default), elu1, softplus or favor"},
      {"mixing", 1, "INIT", "MHLA mixing initialisation (default cos)"},
      {"causal", 0, "", "causal masks"},
      {"repeats", 1, "R", "timed runs after one warm-up (default 5)"},
      {"max-seconds", 1, "S",
       "skip a case whose estimated time (warm-up + repeats, from its FLOPs and the rate of a smaller run) "
       "exceeds S (default 60; 0 = no limit)"},
      {"threads", 1, "T", "worker threads (default: all cores)"},
      {"seed", 1, "S", "seed of the synthetic Q/K/V (default 0)"},
      {"softmax-precision", 1, "P", "cuda only: fp32 (default), tf32 or fp32-blocked"},
      {"calibrate", 0, "", "cuda only: first measure the GPU's copy bandwidth and GEMM TFLOP/s"},
      {"sgemm", 0, "",
       "cpu only: first measure this machine's sgemm rate in the same run (2048^3 floats, the same "
       "threads) on the BLAS and on Eigen, and give each row's fraction of the faster"},
      {"json", 1, "FILE", "also write the table as a JSON list of objects"},
      {"sweep", 0, "",
       "instead: the scaling sweep of every mechanism (N = 256, 512, … on CPU and GPU), as in "
       "the window"},
      {"sweep-max-n", 1, "N", "largest N of --sweep (default 65536; stops past 1.5 s)"},
      {"model", 1, "PATH", "instead: time one full forward of a trained checkpoint on --input"},
      {"input", 1, "FILE", "with --model: the image or text"},
      {"sample", 1, "image|text", "with --model: a built-in sample instead of --input"},
      {"tokens", 1, "N", "with --model: token budget (image default 1024, text 512)"},
      {"native-resolution", 0, "", "with --model: keep the image's aspect ratio"},
      {"model-heads", 1, "H", "with --model: heads, for a checkpoint whose config does not say"},
      {"weights", 1, "auto|converted|streamed",
       "with --model: F16/BF16 weights converted to float32 once, or streamed (converted per product); "
       "auto (default) streams above 256 MiB of converted floats"},
      {"help", 0, "", "show this help"},
  };
}

void writeJsonList(const ParsedArgs& a, const QJsonArray& list) {
  writeFileAtomically(a.value("json"),
                      QJsonDocument(list).toJson(QJsonDocument::Indented).toStdString());
}

/// bench --sweep: the window's scaling sweep (model/sweep.h), printed as a table.
int runBenchSweep(const ParsedArgs& a) {
  for (const char* other : {"mechanisms", "n", "heads", "mixing", "causal", "repeats",
                            "softmax-precision", "calibrate", "backend", "sgemm"})
    if (a.has(other))
      throw UsageError(std::string("--") + other +
                       " does not apply to --sweep (it times every mechanism on every backend)");
  Session s;
  s.input.dHead = parseInt("d", a.value("d", "64"), 1, 4096);
  if (a.has("threads")) s.threads = parseInt("threads", a.value("threads"), 1, 4096);
  if (a.has("seed")) s.seed = static_cast<std::uint64_t>(parseInt("seed", a.value("seed"), 0, 1 << 30));
  if (a.has("blocks")) s.blocks = parseInt("blocks", a.value("blocks"), 1, 1 << 22);
  try {
    if (a.has("feature-map")) s.featureMap = parseFeatureMap(a.value("feature-map"));
  } catch (const InvalidArgument& e) {
    throw UsageError(e.what());
  }
  SweepRequest req = sweepFromArgs(a, a.has("sweep"));
  const SweepResult sw = runSweep(s, req.maxN, kSweepDefaultLimitMs, terminalProgress("sweep"));
  endProgress();
  std::printf("%-9s %-7s %7s %11s %11s %11s %9s\n", "mechanism", "backend", "N", "median ms",
              "min ms", "max ms", "GFLOP/s");
  QJsonArray list;
  for (const SweepSeries& ser : sw.series)
    for (const SweepPoint& p : ser.points)
      for (std::size_t k = 0; k < p.timing.size(); ++k) {
        const TimingResult& t = p.timing[k];
        std::printf("%-9s %-7s %7d %11.3f %11.3f %11.3f %9.2f\n", sw.mechanisms[k].c_str(),
                    ser.backend.c_str(), p.n, t.medianMs, t.minMs, t.maxMs, t.gflops);
        list.append(timingToJson(t));
      }
  if (!sw.note.empty()) std::printf("note: %s\n", sw.note.c_str());
  if (a.has("json")) writeJsonList(a, list);
  return 0;
}

/// bench --model: one full forward keeping every layer's Q/K/V, timed (tokenizing, decoding and
/// preprocessing happen once, outside the timed runs).
int runBenchModel(const ParsedArgs& a) {
  for (const char* other : {"mechanisms", "n", "d", "heads", "blocks", "feature-map", "mixing", "causal", "seed",
                            "softmax-precision", "calibrate", "backend", "sweep", "sweep-max-n", "sgemm"})
    if (a.has(other)) throw UsageError(std::string("--") + other + " does not apply to --model");
  const Session s = sessionFromArgs(a);
  const int repeats = parseInt("repeats", a.value("repeats", "5"), 1, 100000);
  const models::Checkpoint checkpoint = openSessionModel(s);
  const std::string weights = a.value("weights", "auto");
  if (weights != "auto" && weights != "converted" && weights != "streamed")
    throw UsageError("--weights: auto, converted or streamed (got '" + weights + "')");
  const models::ModelRunner runner(checkpoint, weights == "auto"        ? models::kStreamAboveBytes
                                               : weights == "streamed" ? 0
                                                                       : std::numeric_limits<std::int64_t>::max());
  const models::ModelInfo& info = runner.info();
  const ModelTokens t = modelTokens(s, checkpoint);
  for (const std::string& n : t.tokens.notices) std::cerr << "attnscope: note: " << n << "\n";
  std::cerr << "attnscope: weights " << (runner.streamsWeights() ? "streamed" : "converted") << " ("
            << runner.convertedBytes() / (1 << 20) << " MiB converted to float32)\n";
  models::ForwardOptions options;
  options.threads = s.threads;
  std::vector<double> ms;
  int n = 0;
  for (int r = 0; r <= repeats; ++r) {  // one warm-up, then the timed runs
    const auto start = std::chrono::steady_clock::now();
    const models::ForwardResult f = runner.run(t.input, options, terminalProgress("forward " + std::to_string(r)));
    const auto stop = std::chrono::steady_clock::now();
    n = f.tokens;
    if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  endProgress();
  std::sort(ms.begin(), ms.end());
  TimingResult res;
  res.mechanism = "model-forward";
  res.backend = "eigen";
  res.n = n;
  res.d = info.dHead;
  res.heads = info.heads;
  res.repeats = repeats;
  res.medianMs = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  res.minMs = ms.front();
  res.maxMs = ms.back();
  // Per layer: Q/K/V, output and MLP products (2·N·(4D² + 2·D·F)) and attention (4·N²·D).
  const double N = n, D = info.dModel, F = info.mlpHidden;
  res.gflops = info.layers * (2 * N * (4 * D * D + 2 * D * F) + 4 * N * N * D) / (res.medianMs * 1e6);
  std::printf("%-14s %-7s %6s %6s %5s %11s %11s %11s %9s\n", "mechanism", "backend", "N", "layers", "heads",
              "median ms", "min ms", "max ms", "GFLOP/s");
  std::printf("%-14s %-7s %6d %6d %5d %11.3f %11.3f %11.3f %9.2f\n", res.mechanism.c_str(), res.backend.c_str(), n,
              info.layers, info.heads, res.medianMs, res.minMs, res.maxMs, res.gflops);
  if (a.has("json")) {
    QJsonObject o = timingToJson(res);
    o["model"] = QString::fromStdString(models::familyEntry(info.family).name());
    o["layers"] = info.layers;
    o["d_model"] = info.dModel;
    o["threads"] = s.threads > 0 ? s.threads : hardwareThreads();
    writeJsonList(a, QJsonArray{o});
  }
  return 0;
}

Qkv syntheticQkv(int n, int d, int heads, std::uint64_t seed) {
  Rng rng(seed);
  Qkv qkv;
  for (int h = 0; h < heads; ++h) qkv.addHead({rng.normalMatrix(n, d), rng.normalMatrix(n, d), rng.normalMatrix(n, d)});
  return qkv;
}

}  // namespace

int runBench(const Args& args) {
  const std::vector<OptionSpec> specs = benchSpecs();
  const ParsedArgs a = parseArgs(args, specs, "bench");
  if (a.has("help")) {
    std::cout << "usage: attnscope bench [OPTIONS]\n\nTimes the efficient forward pass of each "
                 "mechanism on seeded N(0,1) Q/K/V and prints\nmedian, min and max milliseconds "
                 "and GFLOP/s (the FLOP counts of docs/math.md). CPU times include\neverything; cuda times are "
                 "device time on data already on the GPU (no host<->device\ncopies).\n\noptions:\n"
              << formatOptions(specs);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("model")) return runBenchModel(a);
  for (const char* f : {"input", "sample", "tokens", "native-resolution", "model-heads", "weights"})
    if (a.has(f)) throw UsageError(std::string("--") + f + " needs --model PATH");
  if (a.has("sweep")) return runBenchSweep(a);

  // Registry ids (softmax, linear, mhla, and any registered mechanism); default: all of them.
  std::vector<const MechanismEntry*> mechs;
  if (!a.has("mechanisms"))
    for (const MechanismEntry& e : mechanismRegistry()) mechs.push_back(&e);
  else
    for (const std::string& m : splitList("mechanisms", a.value("mechanisms"))) {
      try {
        mechs.push_back(&mechanismEntry(m));
      } catch (const InvalidArgument& e) {
        throw UsageError(std::string("--mechanisms: ") + e.what());
      }
    }
  std::vector<int> ns;
  for (const std::string& s : splitList("n", a.value("n", "256,1024,4096")))
    ns.push_back(parseInt("n", s, 1, 1 << 22));
  const int d = parseInt("d", a.value("d", "64"), 1, 4096);
  const int heads = parseInt("heads", a.value("heads", "1"), 1, 64);
  const std::string blocksArg = a.value("blocks", "16");
  const bool sqrtBlocks = blocksArg == "sqrt";
  const int fixedBlocks = sqrtBlocks ? 0 : parseInt("blocks", blocksArg, 1, 1 << 22);
  const int repeats = parseInt("repeats", a.value("repeats", "5"), 1, 100000);
  const double maxSeconds = parseDouble("max-seconds", a.value("max-seconds", "60"), 0, 1e9);
  const int threads = a.has("threads") ? parseInt("threads", a.value("threads"), 1, 4096) : 0;
  const std::uint64_t seed = static_cast<std::uint64_t>(parseInt("seed", a.value("seed", "0"), 0, 1 << 30));
  const bool causal = a.has("causal");
  FeatureMapSpec phi;
  MixingInit init = MixingInit::Cos;
  std::string backendName = "eigen";
  try {
    if (a.has("feature-map")) phi.kind = parseFeatureMap(a.value("feature-map"));
    if (a.has("mixing")) init = parseMixingInit(a.value("mixing"));
    if (a.has("backend")) backendName = canonicalBackendName(a.value("backend"));
  } catch (const InvalidArgument& e) {
    throw UsageError(e.what());
  }
  phi.seed = seed;
  Session benchSession;  // what the registry builds the specs from
  benchSession.causal = causal;
  benchSession.seed = seed;
  benchSession.featureMap = phi.kind;
  const std::string precision = a.value("softmax-precision");
  if (a.has("softmax-precision") && !isSoftmaxPrecision(precision))
    throw UsageError("--softmax-precision: expected fp32, tf32 or fp32-blocked, not '" + precision +
                     "'");
  for (const char* cudaOnly : {"softmax-precision", "calibrate"})
    if (a.has(cudaOnly) && backendName != "cuda")
      throw UsageError(std::string("--") + cudaOnly + " needs --backend cuda");
  if (a.has("sgemm") && backendName != "eigen")
    throw UsageError("--sgemm measures the CPU (--backend cpu); for the GPU use --calibrate");
  const int usedThreads = threads > 0 ? std::min(threads, hardwareThreads()) : hardwareThreads();

  std::unique_ptr<Backend> backend = makeBackend(backendName, threads);
  if (a.has("softmax-precision")) applySoftmaxPrecision(*backend, precision);
  if (a.has("calibrate")) {
    printCudaCalibration(std::cout);
    std::cout << "\n";
  }
  // The machine's rate in this run, so that every row states its fraction of the limit.
  SgemmRate sgemm;
  std::string sgemmEngine;
  if (a.has("sgemm")) {
    // Both the BLAS the core runs on and Eigen's own product: the fractions are of the faster.
    const SgemmRate blas = measureSgemm(kBenchSgemmN, usedThreads, 5, SgemmEngine::Blas);
    const SgemmRate eigen = measureSgemm(kBenchSgemmN, usedThreads, 5, SgemmEngine::Eigen);
    std::printf("BLAS: %s\n", blasSummary().c_str());
    auto print = [](const char* name, const SgemmRate& rate) {
      if (!rate.available) {
        std::printf("sgemm (%s): not measured, no BLAS is loaded\n", name);
        return;
      }
      std::printf("sgemm (%s, %d^3 floats, %d thread%s): %.2f GFLOP/s (median of %d; min %.3f ms)\n", name,
                  rate.n, rate.threads, rate.threads == 1 ? "" : "s", rate.gflops, rate.repeats, rate.minMs);
    };
    print("BLAS", blas);
    print("Eigen", eigen);
    sgemm = blas.available && blas.gflops >= eigen.gflops ? blas : eigen;
    sgemmEngine = blas.available && blas.gflops >= eigen.gflops ? "blas" : "eigen";
    std::printf("fractions below are of the faster: %s\n", sgemmEngine.c_str());
  }
  const char* sgemmHeader = a.has("sgemm") ? " of sgemm" : "";
  std::vector<TimingResult> rows;
  std::printf("%-9s %-7s %7s %5s %5s %6s %11s %11s %11s %9s%s\n", "mechanism", "backend", "N", "d",
              "heads", "M", "median ms", "min ms", "max ms", "GFLOP/s", sgemmHeader);
  int refused = 0, skipped = 0;
  std::map<std::string, double> rates;  // mechanism → FLOP/s of its last run
  for (int n : ns) {
    // Q, K and V in float: refuse (with a message) rather than allocate past the memory budget.
    const double qkvBytes = 3.0 * n * double(d) * heads * sizeof(float);
    if (qkvBytes > double(backend->matrixBudget())) {
      std::ostringstream os;
      os.precision(3);
      os << "N=" << n << ": skipped: Q, K and V (" << heads << " heads, d=" << d << ") would need "
         << qkvBytes / (1 << 20) << " MiB, above the memory budget of "
         << double(backend->matrixBudget()) / (1 << 20) << " MiB";
      std::cerr << "attnscope: " << os.str() << "\n";
      refused += static_cast<int>(mechs.size());
      continue;
    }
    Input input;
    input.qkv = syntheticQkv(n, d, heads, seed);
    const Qkv& qkv = input.qkv;
    // Each mechanism's spec from the registry, on 1D blocks with the bench's mixing.
    const int m = std::max(1, std::min(n, sqrtBlocks ? static_cast<int>(std::lround(
                                                           std::sqrt(double(n))))
                                                     : fixedBlocks));
    auto layout = std::make_shared<const BlockLayout>(BlockLayout::oneD(n, m));
    const MatrixD mixing = makeMixing(*layout, causal ? MixingInit::Causal : init);
    const MechanismContext ctx{benchSession, input, layout, mixing, phi, benchSession.causal};
    for (const MechanismEntry* entry : mechs) {
      const MechanismSpec spec = entry->build(ctx);
      const std::string& k = entry->id;
      TimingResult t;
      try {
        // A case that would run past --max-seconds is skipped with its estimate: the rate (FLOP/s)
        // of this mechanism's last run, or of one untimed forward at a small N.
        const double flops = forwardFlops(spec, n, d, d) * heads * (repeats + 1);
        if (maxSeconds > 0 && flops > 0) {
          double& rate = rates[k];
          const int probeN = std::min(n, 1024);
          if (rate <= 0 && n > probeN) {
            Input probeInput;
            probeInput.qkv = syntheticQkv(probeN, d, 1, seed);
            auto probeLayout = std::make_shared<const BlockLayout>(
                BlockLayout::oneD(probeN, std::max(1, std::min(probeN, m))));
            const MatrixD probeMixing = makeMixing(*probeLayout, causal ? MixingInit::Causal : init);
            const MechanismContext pctx{benchSession, probeInput, probeLayout, probeMixing, phi, causal};
            const MechanismSpec probe = entry->build(pctx);
            const TimingResult pt = timeForward(*backend, probe, probeInput.qkv, 1);
            rate = forwardFlops(probe, probeN, d, d) / (pt.medianMs * 1e-3);
          }
          const double estimate = rate > 0 ? flops / rate : 0;
          if (estimate > maxSeconds) {
            std::printf("%-9s %-7s %7d %5d %5d %6s %11s %11s %11s %9s\n", k.c_str(), backend->name().c_str(), n,
                        d, heads, "-", "skipped", "-", "-", "-");
            std::fflush(stdout);
            std::cerr << "attnscope: " << k << " N=" << n << ": skipped: estimated " << std::lround(estimate)
                      << " s (warm-up + " << repeats << " runs at " << std::lround(rate / 1e9)
                      << " GFLOP/s) is over --max-seconds " << maxSeconds << "\n";
            ++skipped;
            continue;
          }
        }
        t = timeForward(*backend, spec, qkv, repeats,
                        terminalProgress(k + " N=" + std::to_string(n)));
      } catch (const BudgetExceeded& e) {
        // One mechanism over the budget (dense softmax at large N) does not stop the others.
        endProgress();
        std::printf("%-9s %-7s %7d %5d %5d %6s %11s %11s %11s %9s\n", k.c_str(),
                    backend->name().c_str(), n, d, heads, "-", "refused", "-", "-", "-");
        std::fflush(stdout);
        std::cerr << "attnscope: " << k << " N=" << n << ": refused: " << e.what()
                  << "\n";
        ++refused;
        continue;
      }
      endProgress();
      t.mechanism = k;
      if (t.medianMs > 0) rates[k] = forwardFlops(spec, n, d, d) * heads / (t.medianMs * 1e-3);
      std::printf("%-9s %-7s %7d %5d %5d %6d %11.3f %11.3f %11.3f %9.2f", k.c_str(),
                  t.backend.c_str(), t.n, t.d, t.heads, t.blocks, t.medianMs, t.minMs, t.maxMs,
                  t.gflops);
      if (sgemm.gflops > 0) std::printf(" %8.0f%%", 100 * t.gflops / sgemm.gflops);
      std::printf("\n");
      std::fflush(stdout);
      rows.push_back(t);
    }
  }
  if (rows.empty() && refused > 0 && skipped == 0)
    throw BudgetExceeded("every requested run was refused by the memory budget (see above)");
  if (rows.empty() && skipped > 0)
    throw InvalidArgument("every requested run was refused or skipped (see above; raise --max-seconds to run it)");
  if (!backend->timesIncludeTransfers())
    std::printf(
        "note: %s times are device time (CUDA events) on Q/K/V already on the device; "
        "host<->device copies are not included\n",
        backend->name().c_str());
  if (a.has("softmax-precision")) std::printf("softmax precision: %s\n", precision.c_str());
  if (a.has("json")) {
    QJsonArray list;
    for (const TimingResult& t : rows) {
      QJsonObject o = timingToJson(t);
      if (backendName == "eigen") o["threads"] = usedThreads;
      if (sgemm.gflops > 0) {
        o["sgemm_gflops"] = sgemm.gflops;
        o["sgemm_n"] = sgemm.n;
        o["fraction_of_sgemm"] = t.gflops / sgemm.gflops;
        o["sgemm_engine"] = QString::fromStdString(sgemmEngine);
      }
      if (a.has("softmax-precision") && t.mechanism == "softmax")
        o["softmax_precision"] = QString::fromStdString(precision);
      list.append(o);
    }
    writeJsonList(a, list);
  }
  return 0;
}

}  // namespace attnscope::cli
