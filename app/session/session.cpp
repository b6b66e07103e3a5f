#include "session/session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <cmath>
#include <limits>

#include "attnscope/atomic_file.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"

namespace attnscope {

std::string toString(SourceKind k) {
  switch (k) {
    case SourceKind::SampleImage: return "sample-image";
    case SourceKind::SampleText: return "sample-text";
    case SourceKind::Image: return "image";
    case SourceKind::Text: return "text";
    case SourceKind::Synthetic: return "synthetic";
    case SourceKind::Npy: return "npy";
  }
  return "?";
}

SourceKind parseSourceKind(const std::string& name) {
  for (SourceKind k : {SourceKind::SampleImage, SourceKind::SampleText, SourceKind::Image,
                       SourceKind::Text, SourceKind::Synthetic, SourceKind::Npy})
    if (toString(k) == name) return k;
  throw InvalidArgument("unknown source kind '" + name +
                        "' (expected sample-image, sample-text, image, text, synthetic or npy)");
}

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

/// Reads typed fields of one JSON object; every failure names "<file>: field '<path>'".
class Reader {
 public:
  Reader(QJsonObject obj, std::string file, std::string prefix)
      : obj_(std::move(obj)), file_(std::move(file)), prefix_(std::move(prefix)) {}

  bool has(const char* key) const { return obj_.contains(QLatin1String(key)); }
  QJsonValue value(const char* key) const { return obj_.value(QLatin1String(key)); }
  std::string field(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  [[noreturn]] void fail(const char* key, const std::string& what) const {
    throw FileError(file_ + ": field '" + field(key) + "' " + what);
  }

  Reader object(const char* key) const {
    if (!has(key)) return Reader(QJsonObject(), file_, field(key));
    if (!value(key).isObject()) fail(key, "must be an object");
    return Reader(value(key).toObject(), file_, field(key));
  }
  void integer(const char* key, int& out, int lo, int hi, const char* what) const {
    if (!has(key)) return;
    const QJsonValue v = value(key);
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || d != std::floor(d) || d < lo || d > hi) fail(key, std::string("must be ") + what);
    out = static_cast<int>(d);
  }
  void number(const char* key, double& out, double lo, double hi, const char* what) const {
    if (!has(key)) return;
    const QJsonValue v = value(key);
    if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < lo || v.toDouble() > hi)
      fail(key, std::string("must be ") + what);
    out = v.toDouble();
  }
  void boolean(const char* key, bool& out) const {
    if (!has(key)) return;
    if (!value(key).isBool()) fail(key, "must be true or false");
    out = value(key).toBool();
  }
  void string(const char* key, std::string& out) const {
    if (!has(key)) return;
    if (!value(key).isString()) fail(key, "must be a string");
    out = value(key).toString().toStdString();
  }
  void path(const char* key, std::string& out, const QString& baseDir) const {
    string(key, out);
    if (!out.empty() && !baseDir.isEmpty() && QFileInfo(qs(out)).isRelative())
      out = QDir(baseDir).absoluteFilePath(qs(out)).toStdString();
  }
  template <class Enum, class Parse>
  void choice(const char* key, Enum& out, Parse parse) const {
    if (!has(key)) return;
    if (!value(key).isString()) fail(key, "must be a string");
    try {
      out = parse(value(key).toString().toStdString());
    } catch (const InvalidArgument& e) {
      fail(key, std::string("is invalid: ") + e.what());
    }
  }

 private:
  QJsonObject obj_;
  std::string file_, prefix_;
};

QJsonValue headToJson(int head) {
  if (head == Session::kHeadAll) return QStringLiteral("all");
  if (head == Session::kHeadMean) return QStringLiteral("mean");
  return head;
}

QJsonArray matrixToJson(const MatrixD& m) {
  QJsonArray rows;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    QJsonArray row;
    for (Eigen::Index j = 0; j < m.cols(); ++j) row.append(m(i, j));
    rows.append(row);
  }
  return rows;
}

MatrixD matrixFromJson(const Reader& r, const char* key) {
  const QJsonValue v = r.value(key);
  if (!v.isArray()) r.fail(key, "must be a list of rows");
  const QJsonArray rows = v.toArray();
  const int m = rows.size();
  MatrixD out(m, m);
  for (int i = 0; i < m; ++i) {
    if (!rows[i].isArray() || rows[i].toArray().size() != m)
      r.fail(key, "must be a square matrix (row " + std::to_string(i) + " has the wrong length)");
    const QJsonArray row = rows[i].toArray();
    for (int j = 0; j < m; ++j) {
      if (!row[j].isDouble())
        r.fail(key, "must hold numbers (row " + std::to_string(i) + ", column " +
                        std::to_string(j) + ")");
      out(i, j) = row[j].toDouble();
    }
  }
  if (m > 0) {
    try {
      validateMixing(out, m);
    } catch (const InvalidArgument& e) {
      r.fail(key, std::string("is not a valid mixing matrix: ") + e.what());
    }
  }
  return out;
}

}  // namespace

QJsonObject Session::toJson() const {
  QJsonObject src{{"kind", qs(toString(source.kind))}};
  if (!source.path.empty()) src["path"] = qs(source.path);
  if (source.kind == SourceKind::Npy) {
    src["q"] = qs(source.qPath);
    src["k"] = qs(source.kPath);
    src["v"] = qs(source.vPath);
    if (!source.labelsPath.empty()) src["labels"] = qs(source.labelsPath);
    if (!source.backgroundPath.empty()) src["background"] = qs(source.backgroundPath);
    src["gridRows"] = source.gridRows;
    src["gridCols"] = source.gridCols;
    src["gridFirstToken"] = source.gridFirstToken;
  }
  const QJsonObject in{{"imageTokenBudget", input.imageTokenBudget},
                       {"patchSize", input.patchSize},
                       {"textTokenBudget", input.textTokenBudget},
                       {"heads", input.heads},
                       {"dHead", input.dHead},
                       {"dModel", input.dModel},
                       {"positionWeight", input.positionWeight},
                       {"tieQK", input.tieQK},
                       {"syntheticN", input.syntheticN},
                       {"syntheticClusters", input.syntheticClusters},
                       {"syntheticSpread", input.syntheticSpread},
                       {"syntheticTieQK", input.syntheticTieQK}};
  QJsonObject q;
  if (queryRow >= 0 && queryCol >= 0)
    q = QJsonObject{{"row", queryRow}, {"col", queryCol}};
  else
    q = QJsonObject{{"index", query}};
  QJsonObject mhla{{"blocks", blocks},
                   {"windowRows", windowRows},
                   {"windowCols", windowCols},
                   {"mixing", qs(mixing)},
                   {"normaliser", qs(toString(normaliser))}};
  if (!mixingFile.empty()) mhla["mixingFile"] = qs(mixingFile);
  if (customMixing.size() > 0) mhla["customMixing"] = matrixToJson(customMixing);
  const QJsonObject compute{{"backend", qs(backend)},
                            {"threads", threads},
                            {"spectrumRelTol", spectrumRelTol},
                            {"maxDenseN", maxDenseN},
                            {"matrixBudgetBytes", double(matrixBudgetBytes)}};
  const QJsonObject v{{"colormap", qs(view.colormap)},
                      {"logScale", view.logScale},
                      {"sharedScale", view.sharedScale},
                      {"overlayOpacity", view.overlayOpacity},
                      {"showImage", view.showImage},
                      {"mapMode", qs(view.mapMode)},
                      {"rangeWithoutQuery", view.rangeWithoutQuery},
                      {"explorer", QJsonObject{{"mechanism", qs(view.explorer.mechanism)},
                                               {"metric", qs(view.explorer.metric)},
                                               {"thumbnails", qs(view.explorer.thumbnails)},
                                               {"fusion", qs(view.explorer.fusion)},
                                               {"discardRatio", view.explorer.discardRatio},
                                               {"clsMass", view.explorer.clsMass},
                                               {"panel", qs(view.explorer.panel)}}}};
  QJsonObject out{{"format", "attnscope-session"},
                     {"version", kVersion},
                     {"source", src},
                     {"input", in},
                     // Seeds above 2^53 would lose bits as a JSON number: stored as a string.
                     {"seed", QString::number(seed)},
                     {"head", headToJson(head)},
                     {"query", q},
                     {"softmax", QJsonObject{{"temperature", temperature}}},
                     {"featureMap", QJsonObject{{"kind", qs(toString(featureMap))},
                                                {"favorFeatures", favorFeatures}}},
                     {"mhla", mhla},
                     {"causal", causal},
                     {"compute", compute},
                     {"view", v}};
  if (model.active())
    out["model"] = QJsonObject{{"path", qs(model.path)},
                               {"layer", model.layer},
                               {"nativeResolution", model.nativeResolution},
                               {"heads", model.heads}};
  return out;
}

bool ViewSettings::Explorer::operator==(const Explorer& o) const {
  return mechanism == o.mechanism && metric == o.metric && thumbnails == o.thumbnails && fusion == o.fusion &&
         discardRatio == o.discardRatio && clsMass == o.clsMass && panel == o.panel;
}

Session Session::fromJson(const QJsonObject& obj, const std::string& name, const QString& baseDir) {
  Session s;
  const Reader top(obj, name, "");
  int version = kVersion;
  if (top.has("format") &&
      (!top.value("format").isString() || top.value("format").toString() != "attnscope-session"))
    top.fail("format", "must be \"attnscope-session\" (this is not an attnscope session file)");
  top.integer("version", version, 1, std::numeric_limits<int>::max(), "a positive integer");
  if (version > kVersion)
    top.fail("version", "is " + std::to_string(version) + ", newer than this program reads (" +
                            std::to_string(kVersion) + ")");

  const Reader src = top.object("source");
  src.choice("kind", s.source.kind, parseSourceKind);
  src.path("path", s.source.path, baseDir);
  src.path("q", s.source.qPath, baseDir);
  src.path("k", s.source.kPath, baseDir);
  src.path("v", s.source.vPath, baseDir);
  src.path("labels", s.source.labelsPath, baseDir);
  src.path("background", s.source.backgroundPath, baseDir);
  src.integer("gridRows", s.source.gridRows, 0, kMaxTokenBudget, "a non-negative integer");
  src.integer("gridCols", s.source.gridCols, 0, kMaxTokenBudget, "a non-negative integer");
  src.integer("gridFirstToken", s.source.gridFirstToken, 0, kMaxTokenBudget,
              "a non-negative integer");
  if ((s.source.kind == SourceKind::Image || s.source.kind == SourceKind::Text) &&
      s.source.path.empty())
    src.fail("path", "is required for a " + toString(s.source.kind) + " source");
  if (s.source.kind == SourceKind::Npy &&
      (s.source.qPath.empty() || s.source.kPath.empty() || s.source.vPath.empty()))
    src.fail(s.source.qPath.empty() ? "q" : s.source.kPath.empty() ? "k" : "v",
             "is required for an npy source");

  const Reader model = top.object("model");
  model.path("path", s.model.path, baseDir);
  model.integer("layer", s.model.layer, -1, 4096, "a layer index (-1 = the last)");
  model.boolean("nativeResolution", s.model.nativeResolution);
  model.integer("heads", s.model.heads, 0, 4096, "a head count (0 = from the config)");

  const Reader in = top.object("input");
  in.integer("imageTokenBudget", s.input.imageTokenBudget, 1, kMaxTokenBudget,
             "an integer in 1..65536");
  in.integer("patchSize", s.input.patchSize, 0, 1 << 20, "a non-negative integer");
  in.integer("textTokenBudget", s.input.textTokenBudget, 1, kMaxTokenBudget,
             "an integer in 1..65536");
  in.integer("heads", s.input.heads, 1, 64, "an integer in 1..64");
  in.integer("dHead", s.input.dHead, 1, 1024, "an integer in 1..1024");
  in.integer("dModel", s.input.dModel, 4, 4096, "a multiple of 4 in 4..4096");
  in.number("positionWeight", s.input.positionWeight, 0, 1e6, "a non-negative number");
  in.boolean("tieQK", s.input.tieQK);
  in.integer("syntheticN", s.input.syntheticN, 1, kMaxTokenBudget, "an integer in 1..65536");
  in.integer("syntheticClusters", s.input.syntheticClusters, 1, kMaxTokenBudget,
             "a positive integer");
  in.number("syntheticSpread", s.input.syntheticSpread, 0, 1e6, "a non-negative number");
  in.boolean("syntheticTieQK", s.input.syntheticTieQK);

  if (top.has("seed")) {
    const QJsonValue v = top.value("seed");
    bool ok = false;
    if (v.isString()) {
      s.seed = v.toString().toULongLong(&ok);
    } else if (v.isDouble() && v.toDouble() >= 0 && v.toDouble() == std::floor(v.toDouble()) &&
               v.toDouble() < 9007199254740992.0) {
      s.seed = static_cast<std::uint64_t>(v.toDouble());
      ok = true;
    }
    if (!ok) top.fail("seed", "must be a non-negative integer");
  }

  if (top.has("head")) {
    const QJsonValue v = top.value("head");
    if (v.isString() && v.toString() == "all")
      s.head = kHeadAll;
    else if (v.isString() && v.toString() == "mean")
      s.head = kHeadMean;
    else
      top.integer("head", s.head, 0, 63, "a head index, \"all\" or \"mean\"");
  }

  if (top.has("query")) {
    const QJsonValue v = top.value("query");
    if (v.isDouble()) {
      top.integer("query", s.query, -1, std::numeric_limits<int>::max(), "a token index");
    } else {
      const Reader q = top.object("query");
      q.integer("index", s.query, -1, std::numeric_limits<int>::max(),
                "a token index (-1 = automatic)");
      q.integer("row", s.queryRow, -1, std::numeric_limits<int>::max(), "a grid row");
      q.integer("col", s.queryCol, -1, std::numeric_limits<int>::max(), "a grid column");
    }
  }

  top.object("softmax").number("temperature", s.temperature, 1e-12, 1e12, "a positive number");
  const Reader fm = top.object("featureMap");
  fm.choice("kind", s.featureMap, parseFeatureMap);
  fm.integer("favorFeatures", s.favorFeatures, 1, 65536, "a positive integer");

  const Reader mh = top.object("mhla");
  mh.integer("blocks", s.blocks, 0, kMaxTokenBudget, "a positive integer (0 = automatic)");
  mh.integer("windowRows", s.windowRows, 0, kMaxTokenBudget, "a non-negative integer");
  mh.integer("windowCols", s.windowCols, 0, kMaxTokenBudget, "a non-negative integer");
  if ((s.windowRows > 0) != (s.windowCols > 0))
    mh.fail("windowRows", "and 'mhla.windowCols' must both be set or both be 0");
  mh.string("mixing", s.mixing);
  try {
    parseMixingInit(s.mixing);
  } catch (const InvalidArgument& e) {
    mh.fail("mixing", std::string("is invalid: ") + e.what());
  }
  mh.path("mixingFile", s.mixingFile, baseDir);
  if (mh.has("customMixing")) s.customMixing = matrixFromJson(mh, "customMixing");
  mh.choice("normaliser", s.normaliser, parseNormaliser);
  top.boolean("causal", s.causal);

  const Reader co = top.object("compute");
  co.string("backend", s.backend);
  co.integer("threads", s.threads, 0, 4096, "a non-negative integer (0 = all cores)");
  co.number("spectrumRelTol", s.spectrumRelTol, 0, 1, "a number in [0, 1]");
  co.integer("maxDenseN", s.maxDenseN, 2, kMaxTokenBudget, "an integer in 2..65536");
  double budget = double(s.matrixBudgetBytes);
  co.number("matrixBudgetBytes", budget, 1, 1e18, "a positive number of bytes");
  s.matrixBudgetBytes = static_cast<std::size_t>(budget);

  const Reader vw = top.object("view");
  vw.string("colormap", s.view.colormap);
  if (s.view.colormap != "viridis" && s.view.colormap != "magma" && s.view.colormap != "cividis" &&
      s.view.colormap != "greyscale")
    vw.fail("colormap", "must be viridis, magma, cividis or greyscale");
  vw.boolean("logScale", s.view.logScale);
  vw.boolean("sharedScale", s.view.sharedScale);
  vw.number("overlayOpacity", s.view.overlayOpacity, 0, 1, "a number in [0, 1]");
  vw.boolean("showImage", s.view.showImage);
  vw.string("mapMode", s.view.mapMode);
  if (s.view.mapMode != "row" && s.view.mapMode != "matrix" && s.view.mapMode != "difference")
    vw.fail("mapMode", "must be row, matrix or difference");
  vw.boolean("rangeWithoutQuery", s.view.rangeWithoutQuery);
  const Reader ex = vw.object("explorer");
  ViewSettings::Explorer& e = s.view.explorer;
  ex.string("mechanism", e.mechanism);
  ex.string("metric", e.metric);
  if (e.metric != "entropy" && e.metric != "rank" && e.metric != "kl") ex.fail("metric", "must be entropy, rank or kl");
  ex.string("thumbnails", e.thumbnails);
  if (e.thumbnails != "auto" && e.thumbnails != "rows" && e.thumbnails != "cls" && e.thumbnails != "matrix")
    ex.fail("thumbnails", "must be auto, rows, cls or matrix");
  ex.string("fusion", e.fusion);
  if (e.fusion != "mean" && e.fusion != "max" && e.fusion != "min") ex.fail("fusion", "must be mean, max or min");
  ex.number("discardRatio", e.discardRatio, 0, 0.999, "a number in [0, 0.999]");
  ex.number("clsMass", e.clsMass, 0.01, 1, "a number in [0.01, 1]");
  ex.string("panel", e.panel);
  return s;
}

void saveSession(const Session& session, const QString& path) {
  // A full disk or a failed write keeps the old file (atomic_file.h).
  writeFileAtomically(path.toStdString(),
                      QJsonDocument(session.toJson()).toJson(QJsonDocument::Indented).toStdString());
}

Session loadSession(const QString& path) {
  QFile f(path);
  const std::string name = path.toStdString();
  if (!f.exists()) throw FileError(name + ": no such file");
  if (!f.open(QIODevice::ReadOnly))
    throw FileError(name + ": cannot read: " + f.errorString().toStdString());
  // Sessions are a few KiB (a hand-edited 256×256 mixing matrix is about 1.3 MiB); a bigger file
  // is not one, and parsing it could take gigabytes.
  if (f.size() > kMaxSessionFileBytes)
    throw FileError(name + ": " + std::to_string(f.size()) + " bytes, more than the " +
                    std::to_string(kMaxSessionFileBytes >> 20) + " MiB a session file may have");
  QJsonParseError err;
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
  if (err.error != QJsonParseError::NoError)
    throw FileError(name + ": not valid JSON at offset " + std::to_string(err.offset) + ": " +
                    err.errorString().toStdString());
  if (!doc.isObject()) throw FileError(name + ": a session must be a JSON object");
  return Session::fromJson(doc.object(), name, QFileInfo(path).absolutePath());
}

}  // namespace attnscope
