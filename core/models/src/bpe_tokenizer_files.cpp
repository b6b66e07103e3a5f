// Reading GPT-2 tokenizer files: vocab.json + merges.txt, or Hugging Face tokenizer.json.
#include <filesystem>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "bounded_file.h"
#include "bpe_tokenizer_raw.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

using nlohmann::json;

/// vocab.json or tokenizer.json (bounded_file.h: a regular file under its cap, nesting and
/// repeated keys refused, a key repeated inside one object named).
json parseJson(const std::string& path, std::uintmax_t maxBytes, const char* kind) {
  return readBoundedJson(path, maxBytes, kind);
}

/// token → id object; ids must be integers in [0, 2^31 − 1).
std::vector<std::pair<std::string, int>> readVocab(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) throw FileError(where + ": the vocabulary is not a JSON object (token → id)");
  if (vocab.empty()) throw FileError(where + ": the vocabulary is empty");
  std::vector<std::pair<std::string, int>> out;
  out.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const json& v = it.value();
    if (!v.is_number_integer()) {
      throw FileError(where + ": token " + quoteShort(it.key()) + ": the id is not an integer (found " +
                      shortValue(v) + ")");
    }
    const auto id = v.get<long long>();
    if (id < 0 || id >= std::numeric_limits<int>::max()) {
      throw FileError(where + ": token " + quoteShort(it.key()) + ": id " + std::to_string(id) +
                      " is out of range");
    }
    if (it.key().empty()) throw FileError(where + ": an empty token has id " + std::to_string(id));
    out.emplace_back(it.key(), int(id));
  }
  return out;
}

/// "a b": two non-empty symbols and one space.
bool splitMergeLine(const std::string& line, std::pair<std::string, std::string>& merge) {
  const std::size_t space = line.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == line.size()) return false;
  if (line.find(' ', space + 1) != std::string::npos) return false;
  merge = {line.substr(0, space), line.substr(space + 1)};
  return true;
}

void readMergesTxt(const std::string& path, RawBpeModel& raw) {
  const std::string text = readBoundedFile(path, kMaxVocabFileBytes, "a merges.txt");
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();  // trailing newlines
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string& line = lines[n];
    const std::string where = path + " line " + std::to_string(n + 1);
    if (n == 0 && line.rfind("#version", 0) == 0) continue;
    std::pair<std::string, std::string> merge;
    if (!splitMergeLine(line, merge)) {
      throw FileError(where + ": expected two symbols separated by one space, found " + quoteShort(line));
    }
    raw.merges.push_back(std::move(merge));
    raw.mergeWhere.push_back(where);
  }
}

void readJsonMerges(const json& merges, const std::string& where, RawBpeModel& raw) {
  if (!merges.is_array()) throw FileError(where + ": is not an array");
  raw.merges.reserve(merges.size());
  for (std::size_t n = 0; n < merges.size(); ++n) {
    const json& m = merges[n];
    const std::string at = where + "[" + std::to_string(n) + "]";
    std::pair<std::string, std::string> merge;
    if (m.is_string()) {
      if (!splitMergeLine(m.get<std::string>(), merge)) {
        throw FileError(at + ": expected two symbols separated by one space, found " + shortValue(m));
      }
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string() &&
               !m[0].get<std::string>().empty() && !m[1].get<std::string>().empty()) {
      merge = {m[0].get<std::string>(), m[1].get<std::string>()};
    } else {
      throw FileError(at + ": a merge is \"a b\" or [\"a\", \"b\"], found " + shortValue(m));
    }
    raw.merges.push_back(std::move(merge));
    raw.mergeWhere.push_back(at);
  }
}

/// tokenizer.json parts that would change the ids and GPT-2 does not use: refused by name.
void checkGpt2Pipeline(const json& doc, const std::string& path) {
  if (doc.contains("normalizer") && !doc["normalizer"].is_null()) {
    const json& n = doc["normalizer"];
    const std::string type = n.is_object() && n.contains("type") && n["type"].is_string()
                                 ? quoteShort(n["type"].get_ref<const std::string&>())
                                 : shortValue(n);
    throw FileError(path + ": normalizer " + type + " is not supported (GPT-2's byte-level BPE has none)");
  }
  if (doc.contains("pre_tokenizer") && !doc["pre_tokenizer"].is_null()) {
    const json& pre = doc["pre_tokenizer"];
    if (!pre.is_object() || pre.value("type", "") != "ByteLevel") {
      const std::string type = pre.is_object() && pre.contains("type") && pre["type"].is_string()
                                   ? quoteShort(pre["type"].get_ref<const std::string&>())
                                   : shortValue(pre);
      throw FileError(path + ": pre_tokenizer " + type + " is not GPT-2's ByteLevel");
    }
    if (pre.contains("add_prefix_space") && pre["add_prefix_space"] != false) {
      throw FileError(path + ": pre_tokenizer.add_prefix_space must be false (GPT-2 adds no space)");
    }
    if (pre.contains("use_regex") && pre["use_regex"] != true) {
      throw FileError(path + ": pre_tokenizer.use_regex must be true (GPT-2 pre-splits with its regex)");
    }
  }
}

}  // namespace

BpeTokenizer BpeTokenizer::fromFiles(const std::string& vocabJsonPath, const std::string& mergesTxtPath) {
  RawModel raw;
  raw.vocabSource = vocabJsonPath;
  raw.vocab = readVocab(parseJson(vocabJsonPath, kMaxVocabFileBytes, "a vocab.json"), vocabJsonPath);
  readMergesTxt(mergesTxtPath, raw);
  return build(std::move(raw));
}

BpeTokenizer BpeTokenizer::fromTokenizerJson(const std::string& path) {
  const json doc = parseJson(path, kMaxTokenizerJsonBytes, "a tokenizer.json");
  if (!doc.is_object()) throw FileError(path + ": is not a JSON object");
  if (!doc.contains("model") || !doc["model"].is_object()) {
    throw FileError(path + ": has no \"model\" object");
  }
  const json& model = doc["model"];
  if (model.contains("type") && model["type"] != "BPE") {
    throw FileError(path + ": model.type is " + shortValue(model["type"]) + ", not \"BPE\"");
  }
  for (const char* key : {"vocab", "merges"}) {
    if (!model.contains(key)) throw FileError(path + ": model." + key + " is missing");
  }
  checkGpt2Pipeline(doc, path);
  RawModel raw;
  raw.vocabSource = path + ": model.vocab";
  raw.vocab = readVocab(model["vocab"], raw.vocabSource);
  readJsonMerges(model["merges"], path + ": model.merges", raw);
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    if (!model["unk_token"].is_string()) throw FileError(path + ": model.unk_token is not a string");
    raw.unkToken = model["unk_token"].get<std::string>();
    raw.unkWhere = path + ": model.unk_token";
  }
  return build(std::move(raw));
}

BpeTokenizer BpeTokenizer::fromFolder(const std::string& folder) {
  namespace fs = std::filesystem;
  const fs::path dir(folder);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw FileError(folder + ": is not a folder");
  const fs::path tokenizerJson = dir / "tokenizer.json";
  if (fs::exists(tokenizerJson, ec)) return fromTokenizerJson(tokenizerJson.string());
  const fs::path vocab = dir / "vocab.json";
  const fs::path merges = dir / "merges.txt";
  if (fs::exists(vocab, ec) && fs::exists(merges, ec)) return fromFiles(vocab.string(), merges.string());
  throw FileError(folder + ": no GPT-2 tokenizer here (looked for tokenizer.json, or vocab.json and merges.txt)");
}

}  // namespace attnscope::models
