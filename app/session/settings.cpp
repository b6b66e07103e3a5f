#include "session/settings.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <QStringList>
#include <regex>
#include <sstream>

#include "attnscope/error.h"
#include "session/session.h"

namespace attnscope {

std::vector<Setting> builtInSettings();  // session_settings.cpp

namespace {

struct Registry {
  std::vector<Setting> list = builtInSettings();
};

Registry& registry() {
  static Registry r;
  return r;
}

std::vector<std::string> splitKey(const std::string& key) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream is(key);
  while (std::getline(is, part, '.')) parts.push_back(part);
  return parts;
}

QString qs(const std::string& s) { return QString::fromStdString(s); }

/// The JSON value at `key` in `root` (Undefined when a part is missing or not an object).
QJsonValue getPath(const QJsonObject& root, const std::string& key) {
  const std::vector<std::string> parts = splitKey(key);
  QJsonObject obj = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const QJsonValue v = obj.value(qs(parts[i]));
    if (!v.isObject()) return QJsonValue(QJsonValue::Undefined);
    obj = v.toObject();
  }
  return obj.value(qs(parts.back()));
}

void putPath(QJsonObject& obj, const std::vector<std::string>& parts, std::size_t at, const QJsonValue& v) {
  const QString k = qs(parts[at]);
  if (at + 1 == parts.size()) {
    obj[k] = v;
    return;
  }
  QJsonObject child = obj.value(k).toObject();
  putPath(child, parts, at + 1, v);
  obj[k] = child;
}

bool written(const Setting& d, const Session& s) { return !d.writeIf || d.writeIf(s); }

QJsonValue toJsonValue(const Setting& d, const Session& s) {
  if (d.toJson) return d.toJson(s);
  const SettingValue v = d.get ? d.get(s) : settingValue(s, d.key);
  return std::visit(
      [](const auto& x) -> QJsonValue {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return QString::fromStdString(x);
        else if constexpr (std::is_same_v<T, std::int64_t>)
          return double(x);
        else
          return x;
      },
      v);
}

std::string numberText(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

void store(Session& s, const Setting& d, const SettingValue& v) {
  if (d.set)
    d.set(s, v);
  else
    s.extra[d.key] = v;
}

}  // namespace

const std::vector<Setting>& settings() { return registry().list; }

const Setting* findSetting(const std::string& key) {
  for (const Setting& d : settings())
    if (d.key == key) return &d;
  return nullptr;
}

const Setting* findSettingByFlag(const std::string& flag) {
  if (flag.empty()) return nullptr;
  for (const Setting& d : settings())
    if (d.flag == flag) return &d;
  return nullptr;
}

void registerSetting(Setting d) {
  if (d.key.empty() || d.key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
                           std::string::npos || d.key.front() == '.' || d.key.back() == '.')
    throw InvalidArgument("setting key '" + d.key + "': use letters, digits, '_' and '.'");
  // A key may not be another's, nor inside or around it (one JSON place each).
  auto within = [](const std::string& a, const std::string& b) { return a.rfind(b + ".", 0) == 0; };
  for (const Setting& o : settings())
    if (o.key == d.key || within(d.key, o.key) || within(o.key, d.key))
      throw InvalidArgument("setting '" + d.key + "' collides with the setting '" + o.key + "'");
  if (findSettingByFlag(d.flag)) throw InvalidArgument("flag --" + d.flag + " is taken");
  if (d.type == SettingType::Structured && (!d.toJson || !d.fromJson))
    throw InvalidArgument("setting '" + d.key + "': a structured setting needs toJson and fromJson");
  if (d.type != SettingType::Structured) validateSetting(d, d.def);
  d.get = nullptr;  // registered settings live in Session::extra
  d.set = nullptr;
  registry().list.push_back(std::move(d));
}

void unregisterSetting(const std::string& key) {
  auto& list = registry().list;
  for (auto it = list.begin(); it != list.end(); ++it)
    if (it->key == key && !it->get) {
      list.erase(it);
      return;
    }
}

SettingValue settingValue(const Session& s, const std::string& key) {
  const Setting* d = findSetting(key);
  if (!d) throw InvalidArgument("no setting '" + key + "'");
  if (d->get) return d->get(s);
  const auto it = s.extra.find(key);
  return it != s.extra.end() ? it->second : d->def;
}

std::string settingText(const SettingValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return x;
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t>)
          return std::to_string(x);
        else
          return numberText(x);
      },
      v);
}

std::string settingExpectation(const Setting& d) {
  switch (d.type) {
    case SettingType::Bool: return "true or false";
    case SettingType::Int: return "an integer in " + numberText(d.min) + ".." + numberText(d.max);
    case SettingType::Number: return "a number in [" + numberText(d.min) + ", " + numberText(d.max) + "]";
    case SettingType::Choice: {
      std::string out;
      for (std::size_t i = 0; i < d.choices.size(); ++i)
        out += (i == 0 ? "" : i + 1 == d.choices.size() ? " or " : ", ") + d.choices[i];
      return out;
    }
    case SettingType::Text: return "a string";
    case SettingType::Structured: return d.what;
  }
  return "?";
}

namespace {
/// The value has the setting's type and lies in its range or choices.
bool withinType(const Setting& d, const SettingValue& v) {
  switch (d.type) {
    case SettingType::Bool: return std::holds_alternative<bool>(v);
    case SettingType::Int:
      return std::holds_alternative<std::int64_t>(v) && double(std::get<std::int64_t>(v)) >= d.min &&
             double(std::get<std::int64_t>(v)) <= d.max;
    case SettingType::Number: {
      if (!std::holds_alternative<double>(v)) return false;
      const double x = std::get<double>(v);
      return std::isfinite(x) && x >= d.min && x <= d.max;
    }
    case SettingType::Choice: {
      if (!std::holds_alternative<std::string>(v)) return false;
      for (const std::string& c : d.choices)
        if (c == std::get<std::string>(v)) return true;
      return false;
    }
    case SettingType::Text: return std::holds_alternative<std::string>(v);
    case SettingType::Structured: return true;
  }
  return false;
}
}  // namespace

void JsonRead::fail(const std::string& what) const { throw FileError(file + ": field '" + key + "' " + what); }
void JsonRead::fail(const std::string& sub, const std::string& what) const {
  throw FileError(file + ": field '" + key + "." + sub + "' " + what);
}

void validateSetting(const Setting& d, const SettingValue& v) {
  if (!withinType(d, v))
    throw InvalidArgument("expected " + settingExpectation(d) + ", got '" + settingText(v) + "'");
  if (d.check) d.check(v);
}

SettingValue parseSettingText(const Setting& d, const std::string& text) {
  auto bad = [&] { throw InvalidArgument("expected " + settingExpectation(d) + ", got '" + text + "'"); };
  SettingValue v;
  switch (d.type) {
    case SettingType::Bool:
      if (text == "true" || text == "1" || text == "on") v = true;
      else if (text == "false" || text == "0" || text == "off") v = false;
      else bad();
      break;
    case SettingType::Int: {
      errno = 0;
      char* end = nullptr;
      const long long x = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) bad();
      v = std::int64_t(x);
      break;
    }
    case SettingType::Number: {
      errno = 0;
      char* end = nullptr;
      const double x = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno == ERANGE) bad();
      v = x;
      break;
    }
    case SettingType::Choice:
    case SettingType::Text:
    case SettingType::Structured:
      v = text;
      break;
  }
  validateSetting(d, v);
  return v;
}

void editSetting(Session& s, const Setting& d, const SettingValue& v) {
  validateSetting(d, v);
  if (d.edit)
    d.edit(s, v);
  else
    store(s, d, v);
}

std::string settingsKey(const Session& s, unsigned mask) {
  std::string key;
  for (const Setting& d : settings()) {
    if (!(d.stale & mask)) continue;
    QJsonObject o;
    if (written(d, s)) o[QStringLiteral("v")] = toJsonValue(d, s);
    key += d.key + "=" + QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString() + "|";
  }
  return key;
}

unsigned staleBetween(const QJsonObject& before, const QJsonObject& after) {
  unsigned out = 0;
  for (const Setting& d : settings())
    if (getPath(before, d.key) != getPath(after, d.key)) out |= d.stale;
  // A key no setting covers (a newer program's, a hand-edited file's) changes numbers.
  auto covered = [](const std::string& path) {
    for (const Setting& d : settings())
      if (d.key == path || path.rfind(d.key + ".", 0) == 0) return true;
    return false;
  };
  auto holdsSettings = [](const std::string& path) {
    for (const Setting& d : settings())
      if (d.key.rfind(path + ".", 0) == 0) return true;
    return false;
  };
  std::function<void(const QJsonObject&, const QJsonObject&, const std::string&)> walk =
      [&](const QJsonObject& a, const QJsonObject& b, const std::string& prefix) {
        QStringList keys = a.keys() + b.keys();
        keys.removeDuplicates();
        for (const QString& k : keys) {
          const std::string path = prefix + k.toStdString();
          if (a.value(k) == b.value(k) || covered(path) || path == "format" || path == "version") continue;
          if (holdsSettings(path))
            walk(a.value(k).toObject(), b.value(k).toObject(), path + ".");
          else
            out |= stale::kAnalysis;
        }
      };
  walk(before, after, "");
  return out;
}

void writeSettings(const Session& s, QJsonObject& root) {
  for (const Setting& d : settings())
    if (written(d, s)) putPath(root, splitKey(d.key), 0, toJsonValue(d, s));
}

void readSettings(const QJsonObject& root, Session& s, const std::string& file, const std::string& baseDir) {
  for (const Setting& d : settings()) {
    const std::vector<std::string> parts = splitKey(d.key);
    // Each object on the way must be an object.
    QJsonObject obj = root;
    std::string outer;
    bool present = true;
    for (std::size_t i = 0; i + 1 < parts.size() && present; ++i) {
      outer += (i ? "." : "") + parts[i];
      const QJsonValue v = obj.value(qs(parts[i]));
      if (v.isUndefined()) {
        present = false;
      } else if (!v.isObject()) {
        throw FileError(file + ": field '" + outer + "' must be an object");
      } else {
        obj = v.toObject();
      }
    }
    if (!present || !obj.contains(qs(parts.back()))) continue;
    const QJsonValue v = obj.value(qs(parts.back()));
    const JsonRead at{file, baseDir, d.key};
    const auto fail = [&](const std::string& what) { at.fail(what); };
    const std::string must = "must be " + (d.what.empty() ? settingExpectation(d) : d.what);
    if (d.fromJson) {
      d.fromJson(v, s, at);
      continue;
    }
    SettingValue value;
    switch (d.type) {
      case SettingType::Bool:
        if (!v.isBool()) fail("must be true or false");
        value = v.toBool();
        break;
      case SettingType::Int: {
        const double x = v.toDouble(std::nan(""));
        if (!v.isDouble() || x != std::floor(x) || x < d.min || x > d.max) fail(must);
        value = std::int64_t(x);
        break;
      }
      case SettingType::Number:
        if (!v.isDouble()) fail(must);
        value = v.toDouble();
        break;
      case SettingType::Choice:
      case SettingType::Text:
        if (!v.isString()) fail("must be a string");
        value = v.toString().toStdString();
        break;
      case SettingType::Structured:
        fail("cannot be read");  // registerSetting requires fromJson
    }
    if (!withinType(d, value)) fail(must);
    if (d.check) {
      try {
        d.check(value);
      } catch (const InvalidArgument& e) {
        fail(std::string("is invalid: ") + e.what());
      }
    }
    if (d.path && !baseDir.empty()) {
      const QString p = qs(std::get<std::string>(value));
      if (!p.isEmpty() && QFileInfo(p).isRelative())
        value = QDir(qs(baseDir)).absoluteFilePath(p).toStdString();
    }
    store(s, d, value);
  }
}

std::string wordSettings(const std::string& text, SettingWording how) {
  static const std::regex ref(R"(\{([A-Za-z0-9_.]+)\})");
  std::string out;
  auto it = std::sregex_iterator(text.begin(), text.end(), ref);
  std::size_t last = 0;
  for (; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += text.substr(last, std::size_t(m.position(0)) - last);
    last = std::size_t(m.position(0) + m.length(0));
    const std::string key = m[1].str();
    const Setting* d = findSetting(key);
    if (!d) {
      out += key;
    } else if (how == SettingWording::Flag) {
      out += d->flag.empty() ? key : "--" + d->flag;
    } else if (!d->label.empty()) {
      out += "“" + d->label + "”" + (d->section.empty() ? "" : " (" + d->section + ")");
    } else {
      out += key;
    }
  }
  return out + text.substr(last);
}

}  // namespace attnscope
