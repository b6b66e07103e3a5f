#include "model/model_source.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <mutex>
#include <sstream>
#include <algorithm>
#include <cmath>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "attnscope/models/preprocess.h"
#include "model/pipeline.h"

namespace attnscope {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

bool isTextSource(SourceKind k) { return k == SourceKind::Text || k == SourceKind::SampleText; }
bool isImageSource(SourceKind k) { return k == SourceKind::Image || k == SourceKind::SampleImage; }

/// A text model: the text through its family's tokenizer, at most min(positions, text budget) tokens.
TokenSet textTokens(const Session& s, const models::Checkpoint& ckpt, models::ModelInput& in) {
  const models::ModelInfo& info = ckpt.info();
  TokenSet t;
  t.kind = InputKind::Text;
  SourceContent c = readSessionSource(s);
  t.sourceName = c.name;
  t.notices = std::move(c.notices);
  const std::size_t limit = static_cast<std::size_t>(std::min(info.positions, s.input.textTokenBudget));
  // One token past the limit: enough to know the text was cut, and the tokenizer stops there
  // (memory and time bounded by the budget, not by the text).
  models::Encoding e = models::familyEntry(info.family).tokenize(ckpt, c.utf8, limit + 1);
  for (const std::string& n : e.notices) t.notices.push_back(n);
  if (e.ids.empty()) throw InvalidArgument(t.sourceName + ": the text has no tokens");
  t.tokensBeforeBudget = e.ids.size();
  if (e.ids.size() > limit) {
    t.notices.push_back("the text has more than " + std::to_string(limit) + " tokens; the first " +
                        std::to_string(limit) + " are used (" +
                        (limit == static_cast<std::size_t>(info.positions)
                             ? std::string(info.family == models::Family::Gpt2 ? "the model's n_positions"
                                                                               : "the model's max_position_embeddings")
                             : std::string("the text token budget")) +
                        ")");
    e.ids.resize(limit);
  }
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    Token tok;
    tok.label = e.pieces[i];
    tok.byteBegin = e.byteSpans[i].first;
    tok.byteEnd = e.byteSpans[i].second;
    t.tokens.push_back(std::move(tok));
  }
  t.ids = e.ids;
  t.causal = models::familyEntry(info.family).causal;
  in.ids = e.ids;
  return t;
}

/// The ViTs: the image preprocessed as the checkpoint says (or at native resolution), tokens
/// [CLS, registers, patches row-major]; `working` is the preprocessed image before normalisation.
TokenSet imageTokens(const Session& s, const models::Checkpoint& ckpt, models::ModelInput& in, RgbImage& working) {
  const models::ModelInfo& info = ckpt.info();
  TokenSet t;
  t.kind = InputKind::Image;
  SourceContent c = readSessionSource(s);
  const RgbImage& image = c.image;
  t.notices = std::move(c.notices);
  t.sourceName = c.name;
  const models::ImagePreprocess pre = models::preprocessFor(ckpt);
  const int p = info.patchSize;
  models::PreprocessedImage px = s.model.nativeResolution
                                     ? models::preprocessNative(image, pre, p, s.input.imageTokenBudget)
                                     : models::preprocessImage(image, pre);
  t.notices.push_back("preprocessed " + std::string(s.model.nativeResolution ? "at native resolution: " : "") +
                      pre.describe());
  for (const std::string& n : px.notices) t.notices.push_back(n);
  // The working image (what the maps are drawn over): the model's pixels, un-normalised.
  working.width = px.width;
  working.height = px.height;
  working.rgb.resize(static_cast<std::size_t>(px.width) * px.height * 3);
  const std::size_t plane = static_cast<std::size_t>(px.width) * px.height;
  for (int c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < plane; ++i) {
      double v = px.chw[c * plane + i];
      if (pre.doNormalize) v = v * pre.std[c] + pre.mean[c];
      v = pre.doRescale ? v / (pre.rescaleFactor * 255.0) : v / 255.0;
      working.rgb[i * 3 + c] = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
  const int gh = px.height / p, gw = px.width / p;
  auto offGrid = [&](std::string label) {
    Token tok;
    tok.label = std::move(label);
    t.tokens.push_back(std::move(tok));
  };
  offGrid("[CLS]");
  for (int r = 0; r < info.registers; ++r) offGrid("[REG " + std::to_string(r) + "]");
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) {
      Token tok;
      tok.label = "(" + std::to_string(y) + "," + std::to_string(x) + ")";
      tok.row = y;
      tok.col = x;
      tok.rect = PixelRect{x * p, y * p, p, p};
      t.tokens.push_back(std::move(tok));
    }
  t.gridRows = gh;
  t.gridCols = gw;
  t.gridFirstToken = 1 + info.registers;
  t.patchSize = p;
  t.imageWidth = px.width;
  t.imageHeight = px.height;
  t.sourceWidth = image.width;
  t.sourceHeight = image.height;
  t.tokensBeforeBudget = t.tokens.size();
  in.pixels.width = px.width;
  in.pixels.height = px.height;
  in.pixels.chw = std::move(px.chw);
  return t;
}

}  // namespace

models::Checkpoint openSessionModel(const Session& s) {
  models::OpenOptions o;
  o.heads = s.model.heads;
  return models::Checkpoint::open(s.model.path, o);
}

int sessionLayer(const Session& s, int layers) {
  const int layer = s.model.layer < 0 ? layers - 1 : s.model.layer;
  if (layer >= layers)
    throw InvalidArgument("layer " + std::to_string(s.model.layer) + " does not exist: the model has " +
                          std::to_string(layers) + " layers (0 … " + std::to_string(layers - 1) + ")");
  return layer;
}

ModelTokens modelTokens(const Session& s, const models::Checkpoint& checkpoint) {
  const models::ModelInfo& info = checkpoint.info();
  const bool text = models::familyEntry(info.family).text;
  const std::string family = models::familyEntry(info.family).description;
  if (text && !isTextSource(s.source.kind))
    throw InvalidArgument(family + " reads text: give a text file (--input FILE.txt) or --sample text");
  if (!text && !isImageSource(s.source.kind))
    throw InvalidArgument(family + " reads images: give an image file (--input FILE.png) or --sample image");
  ModelTokens t;
  t.tokens = text ? textTokens(s, checkpoint, t.input) : imageTokens(s, checkpoint, t.input, t.image);
  return t;
}

namespace {

KvCacheSize kvCacheSize(const models::ModelInfo& info, int rank) {
  KvCacheSize c;
  c.mha = 2 * info.heads * info.dHead;
  c.gqa = 2 * info.keyValueHeads() * info.dHead;
  c.latent = rank > 0 ? std::min(rank, c.gqa) : 0;
  c.layers = info.layers;
  return c;
}

std::string fixed(double v, int digits) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

/// mean over rows of KL(P_i ‖ Q_i), over the entries where P_i > 0.
double meanRowKl(const MatrixF& p, const MatrixF& q) {
  double total = 0;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    double kl = 0;
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      const double a = p(i, j), b = q(i, j);
      if (a > 0) kl += a * (std::log(a) - std::log(std::max(b, 1e-30)));
    }
    total += std::max(0.0, kl);
  }
  return p.rows() > 0 ? total / static_cast<double>(p.rows()) : 0;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

std::string KvRankReport::summary(int layer) const {
  std::string out = "K/V at rank " + std::to_string(rank) + " (" +
                    (rankLayer < 0 ? std::string("every layer") : "layer " + std::to_string(rankLayer)) + ")";
  if (rank >= fullRank) out += ": at or above the full rank " + std::to_string(fullRank) + ", K/V unchanged";
  if (text) out += "; ΔNLL " + std::string(lowRankNll >= nll ? "+" : "") + fixed(lowRankNll - nll, 4) + " nats/token";
  if (layer >= 0 && layer < static_cast<int>(kl.size()) && !kl[static_cast<std::size_t>(layer)].empty()) {
    const std::vector<double>& k = kl[static_cast<std::size_t>(layer)];
    const auto [lo, hi] = std::minmax_element(k.begin(), k.end());
    out += "; KL of layer " + std::to_string(layer) + "'s maps to the model's " + fixed(*lo, 4) + " … " + fixed(*hi, 4);
  }
  out += "; KV cache per token and layer " + std::to_string(cache.latent) + " numbers (this model " +
         std::to_string(cache.gqa) + ", multi-head " + std::to_string(cache.mha) +
         "); RoPE is applied after the low-rank step (not TransMLA's RoRoPE, arXiv 2502.07864)";
  return out;
}

std::string KvRankReport::json() const {
  std::ostringstream o;
  o.precision(17);
  o << "{\n  \"rank\": " << rank << ",\n  \"rank_layer\": " << (rankLayer < 0 ? std::string("\"all\"") : std::to_string(rankLayer))
    << ",\n  \"full_rank\": " << fullRank << ",\n  \"alpha\": [";
  for (std::size_t l = 0; l < alpha.size(); ++l) o << (l ? ", " : "") << alpha[l];
  o << "],\n  \"kl\": [";
  for (std::size_t l = 0; l < kl.size(); ++l) {
    o << (l ? ",\n         [" : "[");
    for (std::size_t h = 0; h < kl[l].size(); ++h) o << (h ? ", " : "") << kl[l][h];
    o << "]";
  }
  o << "]";
  if (text) o << ",\n  \"nll\": " << nll << ",\n  \"nll_low_rank\": " << lowRankNll << ",\n  \"delta_nll\": " << lowRankNll - nll;
  o << ",\n  \"cache_numbers_per_token_layer\": {\"mha\": " << cache.mha << ", \"gqa\": " << cache.gqa
    << ", \"latent\": " << cache.latent << "}"
    << ",\n  \"cache_bytes_per_token_bf16\": {\"mha\": " << KvCacheSize::bytes(cache.mha, cache.layers)
    << ", \"gqa\": " << KvCacheSize::bytes(cache.gqa, cache.layers)
    << ", \"latent\": " << KvCacheSize::bytes(cache.latent, cache.layers) << "}"
    << ",\n  \"rope\": \"applied after the low-rank step (not TransMLA's RoRoPE)\"\n}\n";
  return o.str();
}

namespace {

/// The same forward on the model's own K/V, and per layer and head the KL of its maps to those of
/// `lowRank` (recomputed from the kept Q and K, one head at a time), the losses and the cache.
std::shared_ptr<const KvRankReport> kvRankReport(const Session& s, const models::ModelRunner& runner,
                                                 const models::ModelInput& input, const models::ForwardResult& lowRank,
                                                 const JobControl& job) {
  const models::ModelInfo& info = runner.info();
  models::ForwardOptions own;
  own.threads = s.threads;
  for (const models::LayerAttention& a : lowRank.layers) own.keepLayers.push_back(a.layer);
  const models::ForwardResult base = runner.run(input, own, job);
  auto report = std::make_shared<KvRankReport>();
  report->rank = s.model.kvRank;
  report->rankLayer = s.model.kvRankLayer;
  report->kl.resize(static_cast<std::size_t>(info.layers));
  report->alpha.resize(static_cast<std::size_t>(info.layers), 1.0);
  for (const models::LayerAttention& a : lowRank.layers) {
    job.check();
    const auto l = static_cast<std::size_t>(a.layer);
    report->fullRank = std::max(report->fullRank, static_cast<int>(a.kvSpectrum.singularValues.size()));
    report->alpha[l] = a.kvSpectrum.alpha;
    for (int h = 0; h < a.qkv.numHeads(); ++h)
      report->kl[l].push_back(meanRowKl(base.probabilities(a.layer, h), lowRank.probabilities(a.layer, h)));
  }
  report->text = models::familyEntry(info.family).text;
  if (report->text) {
    report->nll = mean(runner.tokenLosses(base, input.ids, job));
    report->lowRankNll = mean(runner.tokenLosses(lowRank, input.ids, job));
  }
  report->cache = kvCacheSize(info, s.model.kvRank);
  return report;
}

}  // namespace

ModelRun runSessionModel(const Session& s, const models::Checkpoint& checkpoint, const models::ModelRunner& runner,
                         models::ForwardOptions options, const JobControl& job) {
  const models::ModelInfo& info = runner.info();
  ModelRun run;
  run.layer = sessionLayer(s, info.layers);
  const bool lowRank = s.model.kvRank > 0;
  if (lowRank) {
    if (s.model.kvRankLayer >= info.layers)
      throw InvalidArgument("--kv-rank-layer " + std::to_string(s.model.kvRankLayer) + " does not exist: the model has " +
                            std::to_string(info.layers) + " layers (0 … " + std::to_string(info.layers - 1) + ")");
    options.kvRank = s.model.kvRank;
    if (s.model.kvRankLayer >= 0) options.kvRankLayers = {s.model.kvRankLayer};
    options.kvSpectra = true;
  }
  if (!options.keepLayers.empty() &&
      std::find(options.keepLayers.begin(), options.keepLayers.end(), run.layer) == options.keepLayers.end())
    options.keepLayers.push_back(run.layer);
  if (options.threads == 0) options.threads = s.threads;
  ModelTokens t = modelTokens(s, checkpoint);

  run.input.tokens = std::move(t.tokens);
  run.input.image = std::move(t.image);
  run.forward = runner.run(t.input, options, job);
  if (run.forward.slidingWindow > 0 && run.forward.tokens > run.forward.slidingWindow)
    run.input.tokens.notices.push_back(
        "the model's sliding window (" + std::to_string(run.forward.slidingWindow) + " positions) is shorter than the " +
        std::to_string(run.forward.tokens) +
        " tokens: its own attention masks older keys; the mechanisms here see every earlier key");
  run.input.qkv = run.forward.layer(run.layer).qkv;
  // (Validated for the layer asked for, in loadModelInput: a non-finite value elsewhere does not
  // refuse this one.)
  run.info = info;
  if (lowRank) run.kvRank = kvRankReport(s, runner, t.input, run.forward, job);
  return run;
}

namespace {

/// What makes a forward the same: the model's files and the source as read, by path, size and
/// modification time, and every setting marked stale::kForward (not the layer: all layers are kept).
std::string forwardKey(const Session& s) {
  std::ostringstream key;
  auto file = [&](const std::string& path) {
    const QFileInfo f(qs(path));
    key << path << '|' << f.size() << '|' << f.lastModified().toMSecsSinceEpoch() << '|';
    if (f.isDir())
      for (const QFileInfo& e : QDir(f.absoluteFilePath()).entryInfoList(QDir::Files, QDir::Name))
        key << e.fileName().toStdString() << ':' << e.size() << ':' << e.lastModified().toMSecsSinceEpoch() << '|';
  };
  file(s.model.path);
  if (!s.source.path.empty()) file(s.source.path);
  key << settingsKey(s, stale::kForward);
  return key.str();
}

/// The last forward, every layer kept: another layer of the same model and input (the window's
/// layer switch) is a copy of its Q/K/V, not a new forward.
struct ForwardCache {
  std::mutex mutex;
  std::string key;
  std::shared_ptr<const ModelRun> run;
};

ForwardCache& forwardCache() {
  static ForwardCache cache;
  return cache;
}

}  // namespace

std::shared_ptr<const ModelRun> sessionModelRun(const Session& s, const JobControl& job) {
  const std::string key = forwardKey(s);
  std::shared_ptr<const ModelRun> run;
  {
    ForwardCache& c = forwardCache();
    const std::lock_guard<std::mutex> lock(c.mutex);
    if (c.key == key) run = c.run;
  }
  if (!run) {
    const models::Checkpoint checkpoint = openSessionModel(s);
    const models::ModelRunner runner(checkpoint);
    Session last = s;
    last.model.layer = -1;
    run = std::make_shared<const ModelRun>(runSessionModel(last, checkpoint, runner, {}, job));
    ForwardCache& c = forwardCache();
    const std::lock_guard<std::mutex> lock(c.mutex);
    c.key = key;
    c.run = run;
  }
  return run;
}

Input loadModelInput(const Session& s, const JobControl& job) {
  const std::shared_ptr<const ModelRun> run = sessionModelRun(s, job);
  const int layer = sessionLayer(s, static_cast<int>(run->forward.layers.size()));
  Input in = run->input;
  in.qkv = run->forward.layer(layer).qkv;
  try {
    in.qkv.validate(s.model.path + " layer " + std::to_string(layer));
  } catch (const InvalidArgument& e) {
    // Say where it comes from: the checkpoint's tensors that are not finite.
    std::string where;
    try {
      const std::vector<std::string> bad = openSessionModel(s).nonFiniteTensors();
      for (std::size_t i = 0; i < bad.size(); ++i) where += (i ? ", " : "") + bad[i];
    } catch (const Error&) {
    }
    throw InvalidArgument(std::string(e.what()) +
                          (where.empty() ? std::string("; every weight of the checkpoint is finite")
                                         : "; the checkpoint's " + where + " is not finite"));
  }
  const models::ModelInfo& info = run->info;
  in.tokens.notices.push_back(models::familyEntry(info.family).description + ", layer " + std::to_string(layer) +
                              " of " + std::to_string(info.layers) + ", " + std::to_string(info.heads) + " heads" +
                              (info.keyValueHeads() != info.heads
                                   ? " (" + std::to_string(info.keyValueHeads()) + " key/value heads, " +
                                         std::to_string(info.heads / info.keyValueHeads()) + " query heads each)"
                                   : std::string()) +
                              " of " +
                              std::to_string(info.dHead) + ", " + std::to_string(in.qkv.n()) + " tokens");
  if (run->kvRank) in.tokens.notices.push_back(run->kvRank->summary(layer));
  return in;
}

std::string KvSweep::csv() const {
  std::ostringstream o;
  o.precision(10);
  o << "rank,cache_numbers_per_token_layer,cache_bytes_per_token_bf16,gqa_bytes_per_token_bf16,delta_nll,mean_kl,max_kl\n";
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const int numbers = std::min(ranks[i], cache.gqa);
    o << ranks[i] << ',' << numbers << ',' << KvCacheSize::bytes(numbers, cache.layers) << ','
      << KvCacheSize::bytes(cache.gqa, cache.layers) << ',';
    if (text) o << deltaNll[i];
    o << ',' << meanKl[i] << ',' << maxKl[i] << '\n';
  }
  return o.str();
}

std::string KvSweep::energyCsv() const {
  std::ostringstream o;
  o << "layer,rank_90,rank_95,rank_99,full_rank\n";
  for (std::size_t l = 0; l < energyRanks.size(); ++l)
    o << l << ',' << energyRanks[l][0] << ',' << energyRanks[l][1] << ',' << energyRanks[l][2] << ','
      << spectra[l].size() << '\n';
  return o.str();
}

KvSweep kvRankSweep(const Session& s, const JobControl& job) {
  const models::Checkpoint checkpoint = openSessionModel(s);
  const models::ModelRunner runner(checkpoint);
  const models::ModelInfo& info = runner.info();
  const ModelTokens t = modelTokens(s, checkpoint);
  KvSweep out;
  out.text = models::familyEntry(info.family).text;
  out.cache = kvCacheSize(info, 0);
  models::ForwardOptions base;
  base.threads = s.threads;
  base.kvSpectra = true;
  const models::ForwardResult own = runner.run(t.input, base, job);
  for (const models::LayerAttention& a : own.layers) {
    out.spectra.push_back(a.kvSpectrum.singularValues);
    std::vector<int> r;
    for (double e : KvSweep::kEnergy) r.push_back(models::energyRank(a.kvSpectrum.singularValues, e));
    out.energyRanks.push_back(r);
    out.fullRank = std::max(out.fullRank, static_cast<int>(a.kvSpectrum.singularValues.size()));
  }
  if (out.text) out.nll = mean(runner.tokenLosses(own, t.input.ids, job));
  for (int r = 1; r < out.fullRank; r *= 2) out.ranks.push_back(r);
  out.ranks.push_back(out.fullRank);
  // Each rank: a forward with every layer at that rank, its loss and each head's KL to the model.
  for (std::size_t i = 0; i < out.ranks.size(); ++i) {
    JobControl sub;
    sub.cancel = job.cancel;
    const double from = double(i + 1) / double(out.ranks.size() + 1), width = 1.0 / double(out.ranks.size() + 1);
    sub.progress = [&job, from, width](double f) { job.report(from + width * f); };
    models::ForwardOptions o = base;
    o.kvSpectra = false;
    o.kvRank = out.ranks[i];
    const models::ForwardResult low = runner.run(t.input, o, sub);
    double sum = 0, mx = 0;
    int count = 0;
    for (const models::LayerAttention& a : low.layers)
      for (int h = 0; h < a.qkv.numHeads(); ++h) {
        sub.check();
        const double kl = meanRowKl(own.probabilities(a.layer, h), low.probabilities(a.layer, h));
        sum += kl;
        mx = std::max(mx, kl);
        ++count;
      }
    out.meanKl.push_back(count ? sum / count : 0);
    out.maxKl.push_back(mx);
    out.deltaNll.push_back(out.text ? mean(runner.tokenLosses(low, t.input.ids, sub)) - out.nll : 0.0);
  }
  job.report(1.0);
  return out;
}

std::shared_ptr<const ModelFacts> sessionModelFacts(const Session& s, const JobControl& job) {
  const std::shared_ptr<const ModelRun> run = sessionModelRun(s, job);
  const models::ModelInfo& info = run->info;
  auto f = std::make_shared<ModelFacts>();
  f->family = info.family.name();
  f->architecture = info.architecture;
  f->layers = info.layers;
  f->heads = info.heads;
  f->kvHeads = info.keyValueHeads();
  f->dHead = info.dHead;
  f->rope = info.rope.describe();
  f->cache = kvCacheSize(info, s.model.kvRank);
  f->kvRank = run->kvRank;
  return f;
}

}  // namespace attnscope
