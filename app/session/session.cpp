#include "session/session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "attnscope/atomic_file.h"
#include "attnscope/error.h"

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

QJsonObject Session::toJson() const {
  QJsonObject out{{"format", "attnscope-session"}, {"version", kVersion}};
  writeSettings(*this, out);
  return out;
}

bool ViewSettings::Explorer::operator==(const Explorer& o) const {
  return mechanism == o.mechanism && metric == o.metric && thumbnails == o.thumbnails && fusion == o.fusion &&
         discardRatio == o.discardRatio && clsMass == o.clsMass && panel == o.panel;
}

Session Session::fromJson(const QJsonObject& obj, const std::string& name, const QString& baseDir) {
  Session s;
  if (obj.contains(QLatin1String("format")) &&
      (!obj.value(QLatin1String("format")).isString() || obj.value(QLatin1String("format")).toString() != "attnscope-session"))
    throw FileError(name + ": field 'format' must be \"attnscope-session\" (this is not an attnscope session file)");
  if (obj.contains(QLatin1String("version"))) {
    const QJsonValue v = obj.value(QLatin1String("version"));
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || d != std::floor(d) || d < 1 || d > std::numeric_limits<int>::max())
      throw FileError(name + ": field 'version' must be a positive integer");
    if (d > kVersion)
      throw FileError(name + ": field 'version' is " + std::to_string(int(d)) + ", newer than this program reads (" +
                      std::to_string(kVersion) + ")");
  }
  readSettings(obj, s, name, baseDir.toStdString());
  if ((s.windowRows > 0) != (s.windowCols > 0))
    throw FileError(name + ": field 'mhla.windowRows' and 'mhla.windowCols' must both be set or both be 0");
  return s;
}

void saveSession(const Session& session, const QString& path) {
  // A full disk or a failed write keeps the old file (atomic_file.h).
  writeFileAtomically(path.toStdString(),
                      QJsonDocument(session.toJson()).toJson(QJsonDocument::Indented).toStdString());
}

namespace {

/// The key path ("model.path", "source.labels[2]") of the first string value that holds a NUL, or "".
std::string firstStringWithNul(const QJsonObject& root) {
  std::vector<std::pair<QJsonValue, std::string>> todo{{QJsonValue(root), std::string()}};
  while (!todo.empty()) {
    auto [v, at] = std::move(todo.back());
    todo.pop_back();
    if (v.isString() && v.toString().contains(QChar(0))) return at;
    if (v.isObject()) {
      const QJsonObject o = v.toObject();
      for (auto it = o.begin(); it != o.end(); ++it) {
        const std::string key = it.key().toStdString();
        if (key.find('\0') != std::string::npos) return at.empty() ? "(a key)" : at + ".(a key)";
        todo.emplace_back(it.value(), at.empty() ? key : at + "." + key);
      }
    } else if (v.isArray()) {
      const QJsonArray a = v.toArray();
      for (qsizetype i = 0; i < a.size(); ++i) todo.emplace_back(a[i], at + "[" + std::to_string(i) + "]");
    }
  }
  return {};
}

}  // namespace

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
  // No setting may hold a NUL (a path with one made Qt print "Broken filename" and lose the reason).
  const std::string nul = firstStringWithNul(doc.object());
  if (!nul.empty())
    throw FileError(name + ": field '" + nul + "' contains a NUL character (\\u0000), which no path or setting can hold");
  return Session::fromJson(doc.object(), name, QFileInfo(path).absolutePath());
}

}  // namespace attnscope
