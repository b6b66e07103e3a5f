#include "attnscope/models/json_config.h"

#include <sys/stat.h>

#include <cmath>
#include <limits>

#include "attnscope/error.h"
#include "bounded_file.h"

namespace attnscope::models {

nlohmann::json readJsonFile(const std::string& path) {
  nlohmann::json j = readBoundedJson(path, kMaxConfigFileBytes, "a config file");
  if (!j.is_object()) throw FileError(path + ": not a JSON object (found " + jsonKind(j) + ")");
  return j;
}

int configInt(const nlohmann::json& config, const std::string& key, int fallback, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (fallback < 0) throw FileError(file + ": no \"" + key + "\"");
    return fallback;
  }
  if (!it->is_number_integer() || it->get<long long>() <= 0 ||
      it->get<long long>() > std::numeric_limits<int>::max())
    throw FileError(file + ": \"" + key + "\" must be a positive integer (found " + shortValue(*it) + ")");
  return it->get<int>();
}

double configDouble(const nlohmann::json& config, const std::string& key, double fallback,
                    const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number() || !std::isfinite(it->get<double>()))
    throw FileError(file + ": \"" + key + "\" must be a number (found " + shortValue(*it) + ")");
  return it->get<double>();
}

double configEpsilon(const nlohmann::json& config, const std::string& key, double fallback, const std::string& file) {
  const double eps = configDouble(config, key, fallback, file);
  if (eps < 0) throw FileError(file + ": \"" + key + "\" must not be negative (found " + shortValue(config[key]) + ")");
  return eps;
}

std::string configChoice(const nlohmann::json& config, const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& accepted, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw FileError(file + ": \"" + key + "\" must be a string (found " + shortValue(*it) + ")");
  const std::string& v = it->get_ref<const std::string&>();
  for (const std::string& a : accepted)
    if (v == a) return v;
  std::string list;
  for (const std::string& a : accepted) list += (list.empty() ? "" : ", ") + a;
  throw FileError(file + ": \"" + key + "\" " + quoteShort(v) + " is not supported (attnscope computes " + list + ")");
}

bool configBool(const nlohmann::json& config, const std::string& key, bool fallback, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw FileError(file + ": \"" + key + "\" must be true or false (found " + shortValue(*it) + ")");
  return it->get<bool>();
}

std::string configString(const nlohmann::json& config, const std::string& key, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return {};
  if (!it->is_string()) throw FileError(file + ": \"" + key + "\" must be a string (found " + shortValue(*it) + ")");
  return it->get<std::string>();
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool pathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string parentDir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace attnscope::models
