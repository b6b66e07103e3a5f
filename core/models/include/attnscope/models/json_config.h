// Reading small JSON files (config.json, shard indexes) and typed fields of them, with errors that
// name the file and the key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace attnscope::models {

/// Parses the JSON object file `path` (a regular file of at most 16 MiB, nesting at most 64 deep,
/// no repeated keys). Throws FileError naming the file.
nlohmann::json readJsonFile(const std::string& path);

/// config[key] as a positive int; `fallback` when absent or null (fallback < 0: the key is required).
int configInt(const nlohmann::json& config, const std::string& key, int fallback, const std::string& file);
/// config[key] as a number; `fallback` when absent or null.
double configDouble(const nlohmann::json& config, const std::string& key, double fallback,
                    const std::string& file);
/// A LayerNorm epsilon: config[key] as a number >= 0 (`fallback` when absent or null).
double configEpsilon(const nlohmann::json& config, const std::string& key, double fallback, const std::string& file);
/// config[key] (`fallback` when absent or null) must be one of `accepted` (the first names what
/// attnscope computes): "FILE: "KEY" "relu" is not supported (attnscope computes gelu_new …)".
std::string configChoice(const nlohmann::json& config, const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& accepted, const std::string& file);
/// config[key] as a bool; `fallback` when absent or null.
bool configBool(const nlohmann::json& config, const std::string& key, bool fallback, const std::string& file);
/// config[key] as a string; empty when absent, an error when not a string.
std::string configString(const nlohmann::json& config, const std::string& key, const std::string& file);

bool fileExists(const std::string& path);
/// Something is at `path` (links followed): a file, a folder, a FIFO … — read it and let the
/// reader say what is wrong, rather than take a folder named config.json for no config.
bool pathExists(const std::string& path);
bool isDirectory(const std::string& path);
/// "dir/name" (dir may end in '/').
std::string joinPath(const std::string& dir, const std::string& name);
/// The folder part of `path` ("." when none).
std::string parentDir(const std::string& path);

}  // namespace attnscope::models
