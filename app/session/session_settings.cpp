// The built-in settings table (settings.h): every setting of a Session, once. The order is the
// order of the command-line help and of the window's controls within a section.
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "attnscope/fitted_mixing.h"
#include "attnscope/input/settings.h"
#include "attnscope/mixing.h"
#include "session/session.h"
#include "session/settings.h"

namespace attnscope {

namespace {

using namespace stale;

QString qs(const std::string& s) { return QString::fromStdString(s); }

std::string absolute(const std::string& path) {
  return QFileInfo(qs(path)).absoluteFilePath().toStdString();
}

std::string resolved(const std::string& path, const std::string& baseDir) {
  if (path.empty() || baseDir.empty() || !QFileInfo(qs(path)).isRelative()) return path;
  return QDir(qs(baseDir)).absoluteFilePath(qs(path)).toStdString();
}

/// Command-line text → an integer in lo..hi (InvalidArgument otherwise).
int intIn(const std::string& text, long lo, long hi) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    throw InvalidArgument("expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" +
                          text + "'");
  return int(v);
}

// Values to and from the members' own types.
SettingValue toValue(bool v) { return v; }
SettingValue toValue(int v) { return std::int64_t(v); }
SettingValue toValue(double v) { return v; }
SettingValue toValue(const std::string& v) { return v; }
SettingValue toValue(FeatureMapKind v) { return toString(v); }
SettingValue toValue(Normaliser v) { return toString(v); }
void fromValue(const SettingValue& v, bool& out) { out = std::get<bool>(v); }
void fromValue(const SettingValue& v, int& out) { out = int(std::get<std::int64_t>(v)); }
void fromValue(const SettingValue& v, double& out) { out = std::get<double>(v); }
void fromValue(const SettingValue& v, std::string& out) { out = std::get<std::string>(v); }
void fromValue(const SettingValue& v, FeatureMapKind& out) { out = parseFeatureMap(std::get<std::string>(v)); }
void fromValue(const SettingValue& v, Normaliser& out) { out = parseNormaliser(std::get<std::string>(v)); }

/// One row of the table, written as a chain.
struct Def {
  Setting s;
  Def(std::string key, SettingType type) {
    s.key = std::move(key);
    s.type = type;
  }
  /// Binds the setting to a member: `ref` returns a reference to it.
  template <class Ref>
  Def& member(Ref ref) {
    s.get = [ref](const Session& x) { return toValue(ref(const_cast<Session&>(x))); };
    s.set = [ref](Session& x, const SettingValue& v) { fromValue(v, ref(x)); };
    s.def = s.get(Session{});
    return *this;
  }
  Def& range(double lo, double hi, std::string what = {}) {
    s.min = lo;
    s.max = hi;
    s.what = std::move(what);
    return *this;
  }
  Def& choices(std::vector<std::string> values, std::vector<std::string> labels = {}) {
    s.choices = std::move(values);
    s.choiceLabels = std::move(labels);
    return *this;
  }
  Def& flag(std::string name, std::string metavar, std::string help, FlagGroup group = FlagGroup::Session) {
    s.flag = std::move(name);
    s.metavar = std::move(metavar);
    s.help = std::move(help);
    s.group = group;
    return *this;
  }
  Def& help(std::string h) {
    s.help = std::move(h);
    return *this;
  }
  Def& sets(bool v) {
    s.flagSets = v;
    return *this;
  }
  Def& control(ControlKind k, std::string section, std::string label, double step = 1) {
    s.control = k;
    s.section = std::move(section);
    s.label = std::move(label);
    s.step = step;
    return *this;
  }
  Def& named(std::string section, std::string label) {  // worded in messages, no generated control
    s.section = std::move(section);
    s.label = std::move(label);
    return *this;
  }
  Def& stale(unsigned bits) {
    s.stale = bits;
    return *this;
  }
  Def& writeIf(std::function<bool(const Session&)> f) {
    s.writeIf = std::move(f);
    return *this;
  }
  Def& applyFlag(std::function<void(Session&, const std::string&)> f) {
    s.applyFlag = std::move(f);
    return *this;
  }
  Def& edit(std::function<void(Session&, const SettingValue&)> f) {
    s.edit = std::move(f);
    return *this;
  }
  Def& json(std::string what, std::function<QJsonValue(const Session&)> to,
            std::function<void(const QJsonValue&, Session&, const JsonRead&)> from) {
    s.what = std::move(what);
    s.toJson = std::move(to);
    s.fromJson = std::move(from);
    return *this;
  }
  Def& check(std::function<void(const SettingValue&)> f) {
    s.check = std::move(f);
    return *this;
  }
  Def& special(std::string text) {
    s.specialText = std::move(text);
    return *this;
  }
  Def& slider(int max) {
    s.sliderMax = max;
    return *this;
  }
  Def& path() {
    s.path = true;
    return *this;
  }
};

#define FIELD(m) [](Session& x) -> auto& { return x.m; }

// --- Structured settings: their JSON forms -------------------------------------------------------

/// Reads typed fields of one JSON object setting; every failure names "<key>.<field>".
class ObjectReader {
 public:
  ObjectReader(const QJsonObject& o, const JsonRead& at) : o_(o), at_(at) {}
  bool has(const char* k) const { return o_.contains(QLatin1String(k)); }
  QJsonValue value(const char* k) const { return o_.value(QLatin1String(k)); }
  [[noreturn]] void fail(const char* k, const std::string& what) const { at_.fail(k, what); }
  void integer(const char* k, int& out, int lo, int hi, const char* what) const {
    if (!has(k)) return;
    const double d = value(k).toDouble(std::nan(""));
    if (!value(k).isDouble() || d != std::floor(d) || d < lo || d > hi) fail(k, std::string("must be ") + what);
    out = int(d);
  }
  void path(const char* k, std::string& out) const {
    if (!has(k)) return;
    if (!value(k).isString()) fail(k, "must be a string");
    out = resolved(value(k).toString().toStdString(), at_.baseDir);
  }

 private:
  const QJsonObject& o_;
  const JsonRead& at_;
};

QJsonValue sourceToJson(const Session& s) {
  const SessionSource& source = s.source;
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
  return src;
}

void sourceFromJson(const QJsonValue& v, Session& s, const JsonRead& at) {
  if (!v.isObject()) at.fail("must be an object");
  const QJsonObject o = v.toObject();
  const ObjectReader r(o, at);
  SessionSource& src = s.source;
  if (r.has("kind")) {
    if (!r.value("kind").isString()) r.fail("kind", "must be a string");
    try {
      src.kind = parseSourceKind(r.value("kind").toString().toStdString());
    } catch (const InvalidArgument& e) {
      r.fail("kind", std::string("is invalid: ") + e.what());
    }
  }
  r.path("path", src.path);
  r.path("q", src.qPath);
  r.path("k", src.kPath);
  r.path("v", src.vPath);
  r.path("labels", src.labelsPath);
  r.path("background", src.backgroundPath);
  r.integer("gridRows", src.gridRows, 0, kMaxTokenBudget, "a non-negative integer");
  r.integer("gridCols", src.gridCols, 0, kMaxTokenBudget, "a non-negative integer");
  r.integer("gridFirstToken", src.gridFirstToken, 0, kMaxTokenBudget, "a non-negative integer");
  if ((src.kind == SourceKind::Image || src.kind == SourceKind::Text) && src.path.empty())
    r.fail("path", "is required for a " + toString(src.kind) + " source");
  if (src.kind == SourceKind::Npy && (src.qPath.empty() || src.kPath.empty() || src.vPath.empty()))
    r.fail(src.qPath.empty() ? "q" : src.kPath.empty() ? "k" : "v", "is required for an npy source");
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

MatrixD matrixFromJson(const QJsonValue& v, const JsonRead& at) {
  const auto fail = [&](const std::string& what) { at.fail(what); };
  if (!v.isArray()) fail("must be a list of rows");
  const QJsonArray rows = v.toArray();
  const int m = rows.size();
  MatrixD out(m, m);
  for (int i = 0; i < m; ++i) {
    if (!rows[i].isArray() || rows[i].toArray().size() != m)
      fail("must be a square matrix (row " + std::to_string(i) + " has the wrong length)");
    const QJsonArray row = rows[i].toArray();
    for (int j = 0; j < m; ++j) {
      if (!row[j].isDouble())
        fail("must hold numbers (row " + std::to_string(i) + ", column " + std::to_string(j) + ")");
      out(i, j) = row[j].toDouble();
    }
  }
  if (m > 0) {
    try {
      validateMixing(out, m);
    } catch (const InvalidArgument& e) {
      fail(std::string("is not a valid mixing matrix: ") + e.what());
    }
  }
  return out;
}

QJsonValue queryToJson(const Session& s) {
  if (s.queryRow >= 0 && s.queryCol >= 0) return QJsonObject{{"row", s.queryRow}, {"col", s.queryCol}};
  return QJsonObject{{"index", s.query}};
}

void queryFromJson(const QJsonValue& v, Session& s, const JsonRead& at) {
  const auto fail = [&](const std::string& what) { at.fail(what); };
  const int big = std::numeric_limits<int>::max();
  if (v.isDouble()) {
    const double d = v.toDouble();
    if (d != std::floor(d) || d < -1 || d > big) fail("must be a token index");
    s.query = int(d);
    return;
  }
  if (!v.isObject()) fail("must be an object");
  const QJsonObject o = v.toObject();
  const ObjectReader q(o, at);
  q.integer("index", s.query, -1, big, "a token index (-1 = automatic)");
  q.integer("row", s.queryRow, -1, big, "a grid row");
  q.integer("col", s.queryCol, -1, big, "a grid column");
}

}  // namespace

std::vector<Setting> builtInSettings() {
  const auto hasModel = [](const Session& s) { return s.model.active(); };
  std::vector<Def> t;

  t.push_back(Def("source", SettingType::Structured)
                  .json("an object", sourceToJson,
                        sourceFromJson)
                  .named("Input", "source")
                  .help("where the tokens come from (--input, --sample, --synthetic, --qkv)")
                  .stale(kInput | kForward));
  t.push_back(Def("model.path", SettingType::Text)
                  .member(FIELD(model.path))
                  .path()
                  .writeIf(hasModel)
                  .flag("model", "PATH", "a trained checkpoint (folder or .safetensors): its Q/K/V on --input")
                  .applyFlag([](Session& s, const std::string& v) { s.model.path = absolute(v); })
                  .named("Model", "File ▸ Open model…")
                  .stale(kInput | kForward));
  t.push_back(Def("model.layer", SettingType::Int)
                  .member(FIELD(model.layer))
                  .range(-1, 4096, "a layer index (-1 = the last)")
                  .writeIf(hasModel)
                  .flag("layer", "L", "with --model: the layer (0-based; default the last); compute: 'all' writes layers.csv")
                  // "--layer all" (compute: every layer's metrics table) keeps the session's layer (the last).
                  .applyFlag([](Session& s, const std::string& v) {
                    if (v != "all") s.model.layer = intIn(v, 0, 4096);
                  })
                  .named("Model", "layer")
                  .stale(kInput | kTiming));
  t.push_back(Def("model.nativeResolution", SettingType::Bool)
                  .member(FIELD(model.nativeResolution))
                  .writeIf(hasModel)
                  .flag("native-resolution", "", "with --model: keep the image's aspect ratio (positions resampled)")
                  .stale(kInput | kForward));
  t.push_back(Def("model.heads", SettingType::Int)
                  .member(FIELD(model.heads))
                  .range(0, 4096, "a head count (0 = from the config)")
                  .writeIf(hasModel)
                  .flag("model-heads", "H", "with --model: heads, for a checkpoint whose config does not say")
                  .applyFlag([](Session& s, const std::string& v) { s.model.heads = intIn(v, 1, 4096); })
                  .named("Model", "model heads")
                  .stale(kInput | kForward));
  t.push_back(Def("model.kvRank", SettingType::Int)
                  .member(FIELD(model.kvRank))
                  .range(0, 1 << 16, "a rank (0 = the model's own K/V)")
                  .writeIf(hasModel)
                  .flag("kv-rank", "R",
                        "with --model: run on the rank-R latent of [K/α | V] (what MLA keeps; RoPE after the low-rank "
                        "step, not TransMLA's RoRoPE); 0 = off")
                  .control(ControlKind::Spin, "Model", "K/V rank")
                  .special("full")
                  .stale(kInput | kForward));
  t.back().s.help =
      "low-rank K/V (TransMLA, arXiv 2502.07864): the layer's K and V replaced by the rank-R latent of "
      "[K/α | V] before RoPE (RoPE is applied after the low-rank step, not TransMLA's RoRoPE); 0 = the model's own";
  t.push_back(Def("model.kvRankLayer", SettingType::Int)
                  .member(FIELD(model.kvRankLayer))
                  .range(-1, 4096, "a layer index (-1 = every layer)")
                  .writeIf(hasModel)
                  .flag("kv-rank-layer", "L", "with --kv-rank: the one layer it applies to (default: every layer)")
                  .applyFlag([](Session& s, const std::string& v) { s.model.kvRankLayer = v == "all" ? -1 : intIn(v, 0, 4096); })
                  .control(ControlKind::Spin, "Model", "at layer")
                  .special("all layers")
                  .stale(kInput | kForward));

  t.push_back(Def("input.imageTokenBudget", SettingType::Int)
                  .member(FIELD(input.imageTokenBudget))
                  .range(1, kMaxTokenBudget)
                  .flag("tokens", "N", "token budget (image default 1024, text 512)")
                  .applyFlag([](Session& s, const std::string& v) {
                    s.input.imageTokenBudget = s.input.textTokenBudget = intIn(v, 1, kMaxTokenBudget);
                  })
                  .control(ControlKind::Spin, "Input", "image tokens", 256)
                  .stale(kInput | kForward));
  t.back().s.help = "token budget (image default 1024, text 512)";
  t.push_back(Def("input.textTokenBudget", SettingType::Int)
                  .member(FIELD(input.textTokenBudget))
                  .range(1, kMaxTokenBudget)
                  .help("most tokens a text becomes (default 512)")
                  .control(ControlKind::Spin, "Input", "text tokens")
                  .stale(kInput | kForward));
  t.push_back(Def("input.syntheticN", SettingType::Int)
                  .member(FIELD(input.syntheticN))
                  .range(1, kMaxTokenBudget)
                  .flag("synthetic-n", "N", "tokens of --synthetic (default 256)")
                  .control(ControlKind::Spin, "Input", "synthetic N")
                  .stale(kInput));
  t.push_back(Def("input.patchSize", SettingType::Int)
                  .member(FIELD(input.patchSize))
                  .range(0, 1 << 20, "a non-negative integer")
                  .flag("patch-size", "P", "image patch side in pixels (0 = automatic, the default)")
                  .stale(kInput));
  t.push_back(Def("input.positionWeight", SettingType::Number)
                  .member(FIELD(input.positionWeight))
                  .range(0, 1e6, "a non-negative number")
                  .flag("position-weight", "W", "embedding locality weight λ: 0 = pure content (default 0.5)")
                  .control(ControlKind::DoubleSpin, "Input", "position λ", 0.1)
                  .stale(kInput));
  t.push_back(Def("input.heads", SettingType::Int)
                  .member(FIELD(input.heads))
                  .range(1, 64)
                  .flag("heads", "H", "embedding heads of images and text (default 4)")
                  .control(ControlKind::Spin, "Input", "heads")
                  .stale(kInput));
  t.push_back(Def("input.dHead", SettingType::Int)
                  .member(FIELD(input.dHead))
                  .range(1, 1024)
                  .flag("d-head", "D", "d_k = d_v per head (default 64)")
                  .control(ControlKind::Spin, "Input", "d_head")
                  .stale(kInput));
  t.push_back(Def("input.dModel", SettingType::Int)
                  .member(FIELD(input.dModel))
                  .range(4, 4096, "a multiple of 4 in 4..4096")
                  .help("width of the hand-made embedding (default 128)")
                  .stale(kInput));
  t.push_back(Def("input.tieQK", SettingType::Bool)
                  .member(FIELD(input.tieQK))
                  .help("tied Q/K: W_K = W_Q in the hand-made embedding")
                  .control(ControlKind::Check, "Input", "tied Q/K (W_K = W_Q)")
                  .stale(kInput));
  t.push_back(Def("input.syntheticClusters", SettingType::Int)
                  .member(FIELD(input.syntheticClusters))
                  .range(1, kMaxTokenBudget, "a positive integer")
                  .help("clusters of the synthetic source")
                  .stale(kInput));
  t.push_back(Def("input.syntheticSpread", SettingType::Number)
                  .member(FIELD(input.syntheticSpread))
                  .range(0, 1e6, "a non-negative number")
                  .help("spread of the synthetic clusters")
                  .stale(kInput));
  t.push_back(Def("input.syntheticTieQK", SettingType::Bool)
                  .member(FIELD(input.syntheticTieQK))
                  .help("synthetic source: K = Q")
                  .stale(kInput));
  t.push_back(Def("seed", SettingType::Structured)
                  // Seeds above 2^53 would lose bits as a JSON number: stored as a string.
                  .json("a non-negative integer", [](const Session& s) -> QJsonValue { return QString::number(s.seed); },
                        [](const QJsonValue& v, Session& s, const JsonRead& at) {
                          bool ok = false;
                          if (v.isString()) {
                            s.seed = v.toString().toULongLong(&ok);
                          } else if (v.isDouble() && v.toDouble() >= 0 && v.toDouble() == std::floor(v.toDouble()) &&
                                     v.toDouble() < 9007199254740992.0) {
                            s.seed = static_cast<std::uint64_t>(v.toDouble());
                            ok = true;
                          }
                          if (!ok) at.fail("must be a non-negative integer");
                        })
                  .flag("seed", "S", "seed of the embedding, synthetic data and favor (default 0)")
                  .applyFlag([](Session& s, const std::string& v) {
                    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
                      throw InvalidArgument("expected a non-negative integer, got '" + v + "'");
                    s.seed = std::stoull(v);
                  })
                  .named("Input", "seed")
                  .stale(kInput));

  t.push_back(Def("head", SettingType::Structured)
                  .json("a head index, \"all\" or \"mean\"",
                        [](const Session& s) -> QJsonValue {
                          if (s.head == Session::kHeadAll) return QStringLiteral("all");
                          if (s.head == Session::kHeadMean) return QStringLiteral("mean");
                          return s.head;
                        },
                        [](const QJsonValue& v, Session& s, const JsonRead& at) {
                          if (v.isString() && v.toString() == "all") {
                            s.head = Session::kHeadAll;
                          } else if (v.isString() && v.toString() == "mean") {
                            s.head = Session::kHeadMean;
                          } else {
                            const double d = v.toDouble(std::nan(""));
                            if (!v.isDouble() || d != std::floor(d) || d < 0 || d > 63)
                              at.fail("must be a head index, \"all\" or \"mean\"");
                            s.head = int(d);
                          }
                        })
                  .flag("head", "H|all|mean", "which head (default 0); all: every head, rows averaged")
                  .applyFlag([](Session& s, const std::string& v) {
                    s.head = v == "all" ? Session::kHeadAll : v == "mean" ? Session::kHeadMean : intIn(v, 0, 63);
                  })
                  .named("Mechanisms", "head")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("query", SettingType::Structured)
                  .json("a token index or an object", queryToJson,
                        queryFromJson)
                  .flag("query", "I|ROW,COL", "query token index or grid cell (default: centre)")
                  .applyFlag([](Session& s, const std::string& v) {
                    const std::size_t at = v.find(',');
                    if (at != std::string::npos)
                      s.pinQueryCell(intIn(v.substr(0, at), 0, 1 << 20), intIn(v.substr(at + 1), 0, 1 << 20));
                    else
                      s.pinQuery(intIn(v, 0, kMaxTokenBudget));
                  })
                  .named("View", "query")
                  .stale(kQuery));

  t.push_back(Def("featureMap.kind", SettingType::Choice)
                  .member(FIELD(featureMap))
                  .choices({"relu", "elu1", "softplus", "favor"})
                  .flag("feature-map", "NAME", "φ of linear attention and MHLA: relu (default), elu1, softplus or favor")
                  .control(ControlKind::Combo, "Mechanisms", "φ")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("featureMap.favorFeatures", SettingType::Int)
                  .member(FIELD(favorFeatures))
                  .range(1, 65536, "a positive integer")
                  .flag("favor-features", "R", "random features of favor (default 256)")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("softmax.temperature", SettingType::Number)
                  .member(FIELD(temperature))
                  .range(1e-12, 1e12, "a positive number")
                  .flag("temperature", "T", "softmax temperature τ: s = 1/(τ·√d_k) (default 1)")
                  .control(ControlKind::DoubleSpin, "Mechanisms", "temperature", 0.1)
                  .stale(kAnalysis));
  t.push_back(Def("mhla.blocks", SettingType::Int)
                  .member(FIELD(blocks))
                  .range(0, kMaxTokenBudget, "a positive integer (0 = automatic)")
                  .flag("blocks", "M", "MHLA blocks (0 = automatic: images about 16 windows; 1D: 8)")
                  .edit([](Session& s, const SettingValue& v) { s.setBlocks(int(std::get<std::int64_t>(v))); })
                  .control(ControlKind::Spin, "Mechanisms", "MHLA M")
                  .special("auto")
                  .slider(64)
                  .stale(kAnalysis));
  t.push_back(Def("mhla.windowRows", SettingType::Int)
                  .member(FIELD(windowRows))
                  .range(0, kMaxTokenBudget, "a non-negative integer")
                  .flag("window", "RxC", "MHLA 2D windows of R×C patches (images)")
                  .applyFlag([](Session& s, const std::string& text) {
                    std::string t = text;
                    for (std::size_t p; (p = t.find("\xC3\x97")) != std::string::npos;) t.replace(p, 2, 1, 'x');
                    const std::size_t at = t.find_first_of("xX");
                    if (at == std::string::npos) throw InvalidArgument("expected AxB, got '" + text + "'");
                    s.setWindows(intIn(t.substr(0, at), 1, 1 << 20), intIn(t.substr(at + 1), 1, 1 << 20));
                  })
                  .named("Mechanisms", "MHLA windows")
                  .stale(kAnalysis));
  t.push_back(Def("mhla.windowCols", SettingType::Int)
                  .member(FIELD(windowCols))
                  .range(0, kMaxTokenBudget, "a non-negative integer")
                  .help("MHLA 2D windows: columns (with mhla.windowRows)")
                  .stale(kAnalysis));
  t.push_back(Def("mhla.mixing", SettingType::Text)
                  .member(FIELD(mixing))
                  .check([](const SettingValue& v) {
                    if (std::get<std::string>(v) != kFittedMixingName) parseMixingInit(std::get<std::string>(v));
                  })
                  .flag("mixing", "INIT|fitted|FILE",
                        "cos (default), linear, exp, gaussian, local, uniform, identity, causal; fitted (per head, "
                        "the 𝓜 closest to softmax: docs/math.md \"Fitted mixing\"); a .npy/.csv; or FILE.safetensors#TENSOR, a "
                        "learned matrix of an MHLA checkpoint (attnscope info --mixing FILE lists them)")
                  .applyFlag([](Session& s, const std::string& v) {
                    std::string ext = v.size() >= 4 ? v.substr(v.size() - 4) : v;
                    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
                    if (ext == ".npy" || ext == ".csv" || v.find(".safetensors#") != std::string::npos) {
                      s.setMixingFile(absolute(v));
                    } else {
                      if (v != kFittedMixingName) parseMixingInit(v);
                      s.setMixingInit(v);
                    }
                  })
                  .named("Mechanisms", "mixing")
                  .stale(kAnalysis));
  t.push_back(Def("mhla.mixingFile", SettingType::Text)
                  .member(FIELD(mixingFile))
                  .path()
                  .writeIf([](const Session& s) { return !s.mixingFile.empty(); })
                  .help("the M×M mixing read from a CSV or .npy file (overrides mhla.mixing)")
                  .stale(kAnalysis));
  t.push_back(Def("mhla.customMixing", SettingType::Structured)
                  .json("a square matrix", [](const Session& s) -> QJsonValue { return matrixToJson(s.customMixing); },
                        [](const QJsonValue& v, Session& s, const JsonRead& at) { s.customMixing = matrixFromJson(v, at); })
                  .writeIf([](const Session& s) { return s.customMixing.size() > 0; })
                  .help("a hand-edited M×M mixing (overrides the file and the initialisation)")
                  .stale(kAnalysis));
  t.push_back(Def("mhla.normaliser", SettingType::Choice)
                  .member(FIELD(normaliser))
                  .choices({"paper", "official"})
                  .flag("normaliser", "paper|official", "MHLA normaliser: the paper's (default) or the official code's (equal blocks only)")
                  .control(ControlKind::Combo, "Mechanisms", "normaliser")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("causal", SettingType::Bool)
                  .member(FIELD(causal))
                  .flag("causal", "", "causal masks (MHLA then uses 1D blocks)")
                  .control(ControlKind::Check, "Mechanisms", "causal (text)")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("compute.backend", SettingType::Text)
                  .member(FIELD(backend))
                  .flag("backend", "cpu|cuda", "compute backend (default cpu)")
                  .named("Mechanisms", "backend")
                  .stale(kAnalysis | kTiming));
  t.push_back(Def("compute.threads", SettingType::Int)
                  .member(FIELD(threads))
                  .range(0, 4096, "a non-negative integer (0 = all cores)")
                  .flag("threads", "T", "worker threads (0 = all cores, the default; more than the cores are clamped)")
                  .control(ControlKind::Spin, "Mechanisms", "threads")
                  .special("all")
                  .stale(kAnalysis | kTiming | kForward));
  t.push_back(Def("compute.spectrumRelTol", SettingType::Number)
                  .member(FIELD(spectrumRelTol))
                  .range(0, 1)
                  .flag("rel-tol", "TOL", "numerical-rank tolerance relative to sigma_1 (default 1e-4)")
                  .named("Mechanisms", "rank tolerance")
                  .stale(kAnalysis));
  t.push_back(Def("compute.maxDenseN", SettingType::Int)
                  .member(FIELD(maxDenseN))
                  .range(2, kMaxTokenBudget)
                  .flag("max-dense-n", "N",
                        "largest N for dense spectra (softmax, causal maps; default 4096, about 30 s on two cores, "
                        "8× per doubling); above it they are skipped with a note")
                  .control(ControlKind::Spin, "Mechanisms", "dense spectra ≤ N")
                  .stale(kAnalysis));
  t.push_back(Def("compute.matrixBudgetBytes", SettingType::Number)
                  .range(1, 1e18, "a positive number of bytes")
                  .flag("matrix-budget", "MIB", "largest dense N×N map in MiB (default 2048)")
                  .applyFlag([](Session& s, const std::string& v) {
                    s.matrixBudgetBytes = std::size_t(intIn(v, 1, 1 << 30)) << 20;
                  })
                  .named("Mechanisms", "matrix budget")
                  .stale(kAnalysis));
  {
    Setting& b = t.back().s;
    b.get = [](const Session& s) -> SettingValue { return double(s.matrixBudgetBytes); };
    b.set = [](Session& s, const SettingValue& v) { s.matrixBudgetBytes = std::size_t(std::get<double>(v)); };
    b.def = b.get(Session{});
  }

  const auto viewFlag = FlagGroup::View;
  t.push_back(Def("view.mapMode", SettingType::Choice)
                  .member(FIELD(view.mapMode))
                  .choices({"row", "matrix", "difference"})
                  .flag("map-mode", "MODE",
                        "row (default: the query's row), matrix (the whole N×N map, tokens in block order) or "
                        "difference (each map minus softmax's); matrix and difference need N ≤ 2048",
                        viewFlag)
                  .control(ControlKind::Combo, "View", "maps")
                  .stale(kView));
  t.push_back(Def("view.colormap", SettingType::Choice)
                  .member(FIELD(view.colormap))
                  .choices({"viridis", "magma", "cividis", "greyscale"})
                  .flag("colormap", "NAME", "viridis (default), magma, cividis or greyscale", viewFlag)
                  .applyFlag([](Session& s, const std::string& v) {
                    const std::string c = v == "grayscale" ? "greyscale" : v;
                    editSetting(s, *findSetting("view.colormap"), c);
                  })
                  .control(ControlKind::Combo, "View", "colormap")
                  .stale(kView));
  t.push_back(Def("view.logScale", SettingType::Bool)
                  .member(FIELD(view.logScale))
                  .flag("log-scale", "", "logarithmic colour scale for the maps", viewFlag)
                  .control(ControlKind::Check, "View", "log colour scale")
                  .stale(kView));
  t.push_back(Def("view.sharedScale", SettingType::Bool)
                  .member(FIELD(view.sharedScale))
                  .flag("shared-scale", "", "one colour scale shared by the maps (default: one per map)", viewFlag)
                  .sets(true)
                  .control(ControlKind::Check, "View", "shared colour scale")
                  .stale(kView));
  t.push_back(Def("view.showImage", SettingType::Bool)
                  .member(FIELD(view.showImage))
                  .flag("no-image", "", "draw the bare patch grid, without the image", viewFlag)
                  .sets(false)
                  .control(ControlKind::Check, "View", "image under maps")
                  .stale(kView));
  t.push_back(Def("view.rangeWithoutQuery", SettingType::Bool)
                  .member(FIELD(view.rangeWithoutQuery))
                  .flag("range-with-query", "", "let the query's own weight set the top of the colour range", viewFlag)
                  .sets(false)
                  .control(ControlKind::Check, "View", "colour range without the query")
                  .stale(kView));
  t.push_back(Def("view.overlayOpacity", SettingType::Number)
                  .member(FIELD(view.overlayOpacity))
                  .range(0, 1)
                  .flag("opacity", "A", "heatmap opacity over the image, 0..1 (default 0.75)", viewFlag)
                  .control(ControlKind::DoubleSpin, "View", "opacity", 0.05)
                  .stale(kView));

  t.push_back(Def("view.steps.mechanism", SettingType::Choice)
                  .member(FIELD(view.stepMechanism))
                  .choices({"softmax", "linear", "mhla"})
                  .flag("step-mechanism", "ID",
                        "steps panel: the mechanism the pinned query is stepped through: softmax (default), linear "
                        "or mhla",
                        viewFlag)
                  .stale(kView));
  t.push_back(Def("view.steps.step", SettingType::Int)
                  .member(FIELD(view.step))
                  .range(-1, 99, "a stage number (0 = the first; -1 = every stage)")
                  .flag("step", "K",
                        "steps panel: draw stage K (0 = the first); without it a PDF gets one page per stage "
                        "(slides), a PNG or SVG the first stage",
                        viewFlag)
                  .stale(kView));

  const auto ex = FlagGroup::Explorer;
  t.push_back(Def("view.explorer.mechanism", SettingType::Text)
                  .member(FIELD(view.explorer.mechanism))
                  .flag("view-mechanism", "ID", "model view and CLS maps: the mechanism shown (default softmax)", ex)
                  .named("Model", "view")
                  .stale(kView));
  t.push_back(Def("view.explorer.metric", SettingType::Choice)
                  .member(FIELD(view.explorer.metric))
                  .choices({"entropy", "rank", "kl", "fitted-kl", "previous", "sink", "distance", "induction"},
                           {"normalised entropy", "effective rank", "KL to softmax", "KL of fitted MHLA",
                            "previous-token score", "sink score", "attention distance", "induction score"})
                  .flag("metric", "NAME",
                        "model view: the metric in each cell: entropy (default), rank, kl, fitted-kl (KL to softmax of "
                        "MHLA with each head's fitted mixing: the floor MHLA can reach), or a head score: previous "
                        "(mean A[t,t-1]), sink (mean A[t,0]), distance (images: mean attention distance in patches), "
                        "induction (text: on 50 random tokens repeated twice, mean A[t,t-49] over the second copy)",
                        ex)
                  .control(ControlKind::Combo, "Model", "metric")
                  .stale(kView));
  t.push_back(Def("view.explorer.thumbnails", SettingType::Choice)
                  .member(FIELD(view.explorer.thumbnails))
                  .choices({"auto", "rows", "cls", "matrix"}, {"auto", "query rows", "CLS rows", "whole maps"})
                  .flag("thumbnails", "MODE",
                        "model view: auto (default: whole maps for texts ≤ 512 tokens, else the query's rows), rows, "
                        "cls (the CLS token's rows) or matrix",
                        ex)
                  .control(ControlKind::Combo, "Model", "thumbnails")
                  .stale(kView));
  t.push_back(Def("view.explorer.fusion", SettingType::Choice)
                  .member(FIELD(view.explorer.fusion))
                  .choices({"mean", "max", "min"})
                  .flag("fusion", "NAME", "rollout head fusion: mean (default), max or min", ex)
                  .control(ControlKind::Combo, "Model", "rollout")
                  .stale(kView | kRollout));
  t.push_back(Def("view.explorer.discardRatio", SettingType::Number)
                  .member(FIELD(view.explorer.discardRatio))
                  .range(0, 0.999)
                  .flag("discard", "R", "rollout: the lowest fraction R of each fused map set to 0 (default 0.9)", ex)
                  .control(ControlKind::DoubleSpin, "Model", "discard", 0.05)
                  .stale(kView | kRollout));
  t.push_back(Def("view.explorer.clsMass", SettingType::Number)
                  .member(FIELD(view.explorer.clsMass))
                  .range(0.01, 1)
                  .flag("cls-mass", "F", "CLS maps: keep the fewest patches holding F of the mass (default 0.6)", ex)
                  .control(ControlKind::DoubleSpin, "Model", "CLS mass", 0.05)
                  .stale(kView));
  t.push_back(Def("view.explorer.panel", SettingType::Text)
                  .member(FIELD(view.explorer.panel))
                  .help("the window's selected view (maps | model-view | layer-curves | rollout | cls-maps)")
                  .stale(kView));

  std::vector<Setting> out;
  for (Def& d : t) out.push_back(std::move(d.s));
  return out;
}

#undef FIELD

}  // namespace attnscope
