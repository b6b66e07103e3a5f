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
  models::Encoding e = models::familyEntry(info.family).tokenize(ckpt, c.utf8);
  for (const std::string& n : e.notices) t.notices.push_back(n);
  if (e.ids.empty()) throw InvalidArgument(t.sourceName + ": the text has no tokens");
  const std::size_t limit = static_cast<std::size_t>(std::min(info.positions, s.input.textTokenBudget));
  t.tokensBeforeBudget = e.ids.size();
  if (e.ids.size() > limit) {
    t.notices.push_back("the text has " + std::to_string(e.ids.size()) + " tokens; the first " +
                        std::to_string(limit) + " are used (" +
                        (limit == static_cast<std::size_t>(info.positions) ? "the model's n_positions"
                                                                           : "the text token budget") +
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

ModelRun runSessionModel(const Session& s, const models::Checkpoint& checkpoint, const models::ModelRunner& runner,
                         models::ForwardOptions options, const JobControl& job) {
  const models::ModelInfo& info = runner.info();
  ModelRun run;
  run.layer = sessionLayer(s, info.layers);
  if (!options.keepLayers.empty() &&
      std::find(options.keepLayers.begin(), options.keepLayers.end(), run.layer) == options.keepLayers.end())
    options.keepLayers.push_back(run.layer);
  if (options.threads == 0) options.threads = s.threads;
  ModelTokens t = modelTokens(s, checkpoint);
  run.input.tokens = std::move(t.tokens);
  run.input.image = std::move(t.image);
  run.forward = runner.run(t.input, options, job);
  run.input.qkv = run.forward.layer(run.layer).qkv;
  run.input.qkv.validate(s.model.path + " layer " + std::to_string(run.layer));
  run.info = info;
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
  const models::ModelInfo& info = run->info;
  in.tokens.notices.push_back(models::familyEntry(info.family).description + ", layer " + std::to_string(layer) +
                              " of " + std::to_string(info.layers) + ", " + std::to_string(info.heads) + " heads" +
                              (info.keyValueHeads() != info.heads
                                   ? " (" + std::to_string(info.keyValueHeads()) + " key/value heads)"
                                   : std::string()) +
                              " of " +
                              std::to_string(info.dHead) + ", " + std::to_string(in.qkv.n()) + " tokens");
  return in;
}

}  // namespace attnscope
