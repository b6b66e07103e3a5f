// Reading tokenizer.json (+ tokenizer_config.json) into HfTokenizer's pipeline. Every component the
// file names is either implemented with the tokenizers library's meaning or refused by name; the
// file's "truncation" and "padding" are request options (transformers sets them per call), not
// part of what a text's tokens are, and are not read.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "attnscope/error.h"
#include "attnscope/models/byte_unicode.h"
#include "attnscope/models/gpt2_pretokenizer.h"
#include "hf_tokenizer_impl.h"
#include "hf_tokenizer_json.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

using hfjson::json;
using hfjson::Node;
using hfjson::quoteShort;

constexpr long long kMaxId = 0x7FFFFFFE;

bool oneCharacter(const std::string& s) {
  std::size_t i = 0;
  char32_t cp;
  return decodeUtf8(s, i, cp) && i == s.size();
}

class Loader {
 public:
  explicit Loader(HfPipeline& impl) : t_(impl) {}

  void model(const Node& m);
  void normalizer(const Node& n);
  void preTokenizer(const Node& n);
  void finishPipeline(const Node& pre);
  void addedTokens(const Node& list);
  void postProcessor(const Node& n);
  void config(const std::string& path);
  void decoder(const Node& n);
  void describe();

 private:
  /// {"String": s} (→ literal) or {"Regex": r} (→ compiled, index in regexes).
  void pattern(const Node& n, std::string& literal, int& regex);
  int compile(const Node& where, const std::string& onigPattern);
  void templateProcessing(const Node& n);
  HfPrependScheme prependScheme(const Node& n);
  int anyTokenId(const std::string& token) const;

  HfPipeline& t_;
  int gpt2Regex_ = -1;
};

void Loader::model(const Node& m) {
  if (!m.exists()) m.fail("the file has no \"model\"");
  m.requireObject("an object (the model)");
  const Node type = m["type"];
  if (type.exists() && type.str() != "BPE") {
    type.fail("model type " + quoteShort(type.str()) +
              " is not supported (only \"BPE\": byte-level and SentencePiece-style BPE)");
  }
  const Node dropout = m["dropout"];
  if (!dropout.isNull() && !(dropout.value().is_number() && dropout.value().get<double>() == 0.0)) {
    dropout.fail("BPE dropout is not supported (tokens would change from run to run)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const Node n = m[key];
    if (!n.isNull() && !n.str().empty()) {
      n.fail(std::string(key) + " " + quoteShort(n.str()) + " is not supported (Llama-family files have none)");
    }
  }

  // Vocabulary: token → id. Ids must be unique (decoding would be ambiguous).
  const Node vocab = m["vocab"];
  if (!vocab.exists()) vocab.fail("missing");
  if (!vocab.value().is_object()) vocab.expected("an object (token → id)");
  HfBpeModel& bpe = t_.model;
  bpe.vocab.reserve(vocab.value().size());
  long long maxId = -1;
  for (auto it = vocab.value().begin(); it != vocab.value().end(); ++it) {
    const json& v = it.value();
    if (!v.is_number_integer() || (v.is_number_unsigned() ? v.get<std::uint64_t>() > std::uint64_t(kMaxId)
                                                           : v.get<long long>() < 0 || v.get<long long>() > kMaxId)) {
      vocab.fail("token " + quoteShort(it.key()) + ": expected an id in [0, " + std::to_string(kMaxId) + "], found " +
                 (v.is_number_integer() ? "an out-of-range number" : hfjson::kindOf(v)));
    }
    maxId = std::max(maxId, v.get<long long>());
    bpe.vocab.emplace(it.key(), int(v.get<long long>()));
  }
  bpe.tokens.assign(std::size_t(maxId + 1), std::string());
  bpe.present.assign(std::size_t(maxId + 1), false);
  for (const auto& [token, id] : bpe.vocab) {
    if (bpe.present[std::size_t(id)]) {
      // Name the pair in a fixed order (the map's order is not).
      const std::string& a = std::min(token, bpe.tokens[std::size_t(id)]);
      const std::string& b = std::max(token, bpe.tokens[std::size_t(id)]);
      vocab.fail("tokens " + quoteShort(a) + " and " + quoteShort(b) + " both have id " + std::to_string(id));
    }
    bpe.tokens[std::size_t(id)] = token;
    bpe.present[std::size_t(id)] = true;
  }

  // Merges: "a b" strings (a "#version" line skipped, as the library does) or ["a", "b"] pairs;
  // a, b and a+b must be entries. A pair listed twice keeps its last rank.
  const Node merges = m["merges"];
  if (!merges.exists()) merges.fail("missing");
  const std::size_t n = merges.size();
  bpe.merges.reserve(n);
  int rank = 0;
  std::string a, b;
  for (std::size_t k = 0; k < n; ++k) {
    const Node item = merges[k];
    const json& v = item.value();
    if (v.is_string()) {
      const std::string& line = v.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      const std::size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        item.fail("expected two symbols separated by one space, found " + quoteShort(line));
      }
      a.assign(line, 0, space);
      b.assign(line, space + 1, std::string::npos);
    } else if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) {
      a = v[0].get<std::string>();
      b = v[1].get<std::string>();
    } else {
      item.expected("a string \"a b\" or a pair [\"a\", \"b\"]");
    }
    const int left = bpe.id(a), right = bpe.id(b), merged = bpe.id(a + b);
    if (left < 0) item.fail("symbol " + quoteShort(a) + " is not in the vocabulary");
    if (right < 0) item.fail("symbol " + quoteShort(b) + " is not in the vocabulary");
    if (merged < 0) item.fail("merged symbol " + quoteShort(a + b) + " is not in the vocabulary");
    bpe.merges[HfBpeModel::pairKey(left, right)] = HfBpeModel::Merge{rank++, merged};
  }

  const Node unk = m["unk_token"];
  if (!unk.isNull()) {
    const std::string token = unk.str();
    bpe.unkId = bpe.id(token);
    if (bpe.unkId < 0) unk.fail("unk token " + quoteShort(token) + " is not in the vocabulary");
  }
  bpe.fuseUnk = m["fuse_unk"].boolean(false);
  bpe.byteFallback = m["byte_fallback"].boolean(false);
  bpe.ignoreMerges = m["ignore_merges"].boolean(false);
  char name[8];
  for (int byte = 0; byte < 256; ++byte) {
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    bpe.byteFallbackIds[std::size_t(byte)] = bpe.id(name);
  }
}

int Loader::compile(const Node& where, const std::string& onigPattern) {
  try {
    t_.regexes.emplace_back(translateOnigurumaPattern(onigPattern));
  } catch (const InvalidArgument& e) {
    where.fail("pattern " + quoteShort(onigPattern) + " " + e.what());
  }
  return int(t_.regexes.size() - 1);
}

void Loader::pattern(const Node& n, std::string& literal, int& regex) {
  n.requireObject("{\"String\": …} or {\"Regex\": …}");
  const Node s = n["String"], r = n["Regex"];
  if (s.exists() == r.exists()) n.fail("expected exactly one of \"String\" and \"Regex\"");
  if (s.exists()) {
    literal = s.str();
    if (literal.empty()) s.fail("an empty pattern is not supported");
  } else {
    regex = compile(r, r.str());
  }
}

void Loader::normalizer(const Node& n) {
  if (n.isNull()) return;
  const std::string type = n.type("normalizer");
  HfNormalizerStep step{};
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    step.kind = HfNormalizerStep::Kind::Unicode;
    step.form = type == "NFC"    ? UnicodeForm::NFC
                : type == "NFD"  ? UnicodeForm::NFD
                : type == "NFKC" ? UnicodeForm::NFKC
                                 : UnicodeForm::NFKD;
  } else if (type == "Prepend") {
    step.kind = HfNormalizerStep::Kind::Prepend;
    step.text = n["prepend"].str();
  } else if (type == "Replace") {
    step.kind = HfNormalizerStep::Kind::Replace;
    pattern(n["pattern"], step.literal, step.regex);
    step.text = n["content"].str();
  } else if (type == "Strip") {
    step.kind = HfNormalizerStep::Kind::Strip;
    step.left = n["strip_left"].boolean(false);
    step.right = n["strip_right"].boolean(false);
  } else if (type == "Sequence") {
    const Node list = n["normalizers"];
    for (std::size_t i = 0, count = list.size(); i < count; ++i) normalizer(list[i]);
    return;
  } else {
    n["type"].fail("normalizer " + quoteShort(type) +
                   " is not supported (supported: NFC, NFD, NFKC, NFKD, Prepend, Replace, Strip, Sequence)");
  }
  t_.normalizer.push_back(std::move(step));
}

HfPrependScheme Loader::prependScheme(const Node& n) {
  HfPrependScheme scheme = HfPrependScheme::Always;  // the library's default
  const Node ps = n["prepend_scheme"];
  if (!ps.isNull()) {
    const std::string s = ps.str();
    if (s == "first") {
      scheme = HfPrependScheme::First;
    } else if (s == "always") {
      scheme = HfPrependScheme::Always;
    } else if (s == "never") {
      scheme = HfPrependScheme::Never;
    } else {
      ps.fail("prepend_scheme " + quoteShort(s) + " is not one of \"first\", \"always\", \"never\"");
    }
  }
  const Node legacy = n["add_prefix_space"];  // older files
  if (!legacy.isNull() && !legacy.boolean()) {
    if (!ps.isNull() && scheme != HfPrependScheme::Never) {
      legacy.fail("add_prefix_space false contradicts prepend_scheme " + quoteShort(ps.str()));
    }
    scheme = HfPrependScheme::Never;
  }
  return scheme;
}

void Loader::preTokenizer(const Node& n) {
  if (n.isNull()) return;
  const std::string type = n.type("pre-tokenizer");
  HfPreTokenizerStep step{};
  if (type == "Split") {
    step.kind = HfPreTokenizerStep::Kind::Split;
    pattern(n["pattern"], step.literal, step.regex);
    const Node behavior = n["behavior"];
    const std::string b = behavior.str();
    if (b == "Isolated") {
      step.behavior = HfSplitBehavior::Isolated;
    } else if (b == "Removed") {
      step.behavior = HfSplitBehavior::Removed;
    } else if (b == "MergedWithPrevious") {
      step.behavior = HfSplitBehavior::MergedWithPrevious;
    } else if (b == "MergedWithNext") {
      step.behavior = HfSplitBehavior::MergedWithNext;
    } else if (b == "Contiguous") {
      step.behavior = HfSplitBehavior::Contiguous;
    } else {
      behavior.fail("Split behavior " + quoteShort(b) +
                    " is not supported (Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous)");
    }
    step.invert = n["invert"].boolean(false);
  } else if (type == "ByteLevel") {
    step.kind = HfPreTokenizerStep::Kind::ByteLevel;
    step.addPrefixSpace = n["add_prefix_space"].boolean(true);  // the library's defaults
    if (n["use_regex"].boolean(true)) {
      if (gpt2Regex_ < 0) {
        t_.regexes.emplace_back(kGpt2SplitPattern);
        gpt2Regex_ = int(t_.regexes.size() - 1);
      }
      step.regex = gpt2Regex_;
    }
  } else if (type == "Digits") {
    step.kind = HfPreTokenizerStep::Kind::Digits;
    step.individualDigits = n["individual_digits"].boolean(false);
  } else if (type == "Metaspace") {
    step.kind = HfPreTokenizerStep::Kind::Metaspace;
    const Node r = n["replacement"];
    step.replacement = r.str();
    if (!oneCharacter(step.replacement)) r.fail("the replacement must be one character, found " + quoteShort(step.replacement));
    step.prepend = prependScheme(n);
    step.split = n["split"].boolean(true);
  } else if (type == "Sequence") {
    const Node list = n["pretokenizers"];
    for (std::size_t i = 0, count = list.size(); i < count; ++i) preTokenizer(list[i]);
    return;
  } else {
    n["type"].fail("pre-tokenizer " + quoteShort(type) +
                   " is not supported (supported: Split, ByteLevel, Digits, Metaspace, Sequence)");
  }
  t_.preTokenizer.push_back(std::move(step));
}

void Loader::finishPipeline(const Node& pre) {
  // ByteLevel maps the text to GPT-2's byte alphabet for what follows it: only the model may follow.
  HfBpeModel& bpe = t_.model;
  bool metaspace = false;
  for (std::size_t i = 0; i < t_.preTokenizer.size(); ++i) {
    const auto kind = t_.preTokenizer[i].kind;
    if (kind == HfPreTokenizerStep::Kind::Metaspace) metaspace = true;
    if (kind != HfPreTokenizerStep::Kind::ByteLevel) continue;
    if (i + 1 != t_.preTokenizer.size()) {
      pre.fail("ByteLevel must be the last pre-tokenizer (later ones would see its byte alphabet)");
    }
    bpe.byteLevel = true;
  }
  if (bpe.byteLevel && metaspace) pre.fail("Metaspace and ByteLevel together are not supported");
  if (bpe.byteLevel) {
    for (int b = 0; b < 256; ++b) {
      bpe.byteSymbolIds[std::size_t(b)] = bpe.id(byteSymbol(std::uint8_t(b)));
      if (bpe.byteSymbolIds[std::size_t(b)] < 0 && bpe.byteFallback) {
        pre.fail("byte-level model with byte_fallback lacks the symbol of byte " + std::to_string(b) +
                 " (not supported)");
      }
    }
  }
  // The character labels show as a space: Metaspace's replacement, or what Replace writes for " ".
  for (const auto& s : t_.preTokenizer) {
    if (s.kind == HfPreTokenizerStep::Kind::Metaspace) t_.spaceMark = s.replacement;
  }
  for (const auto& s : t_.normalizer) {
    if (s.kind == HfNormalizerStep::Kind::Replace && s.literal == " " && oneCharacter(s.text)) t_.spaceMark = s.text;
  }
}

void Loader::addedTokens(const Node& list) {
  if (list.isNull()) return;
  // Ids as the library gives them (AddedVocabulary::add_tokens): an entry of the model's
  // vocabulary keeps its id there; a new one gets the next id after the model's entries (their
  // count) and the earlier new ones. The file's ids must be those.
  int nextId = int(t_.model.vocab.size());
  for (std::size_t i = 0, count = list.size(); i < count; ++i) {
    const Node item = list[i];
    item.requireObject("an object (an added token)");
    HfAddedToken token;
    token.content = item["content"].str();
    if (token.content.empty()) continue;  // the library ignores them
    const int fileId = int(item["id"].integer(0, kMaxId));
    token.special = item["special"].boolean(false);
    token.lstrip = item["lstrip"].boolean(false);
    token.rstrip = item["rstrip"].boolean(false);
    token.normalized = item["normalized"].boolean(!token.special);
    if (item["single_word"].boolean(false)) {
      item["single_word"].fail("added token " + quoteShort(token.content) + ": single_word true is not supported");
    }
    token.match = token.normalized ? t_.normalize(token.content) : token.content;
    const auto known = t_.addedIds.find(token.content);
    if (known != t_.addedIds.end()) {
      token.id = known->second;  // the same content again: the later entry's settings
      if (fileId != token.id) item["id"].fail("added token " + quoteShort(token.content) + " appears again with another id");
      t_.added[t_.addedById.at(token.id)] = token;
      continue;
    }
    const int inVocab = t_.model.id(token.content);
    token.id = inVocab >= 0 ? inVocab : nextId++;
    // The library would use its own id where the file's differs (and only warn): ids that are not
    // the file's would be shown, so such a file is refused.
    if (token.id != fileId) {
      item["id"].fail("added token " + quoteShort(token.content) + " has id " + std::to_string(fileId) +
                      " but the tokenizers library gives it " + std::to_string(token.id) +
                      (inVocab >= 0 ? " (its vocabulary id)" : " (the next id after the vocabulary and earlier added tokens)"));
    }
    if (inVocab < 0 && std::size_t(token.id) < t_.model.present.size() && t_.model.present[std::size_t(token.id)]) {
      item["id"].fail("added token " + quoteShort(token.content) + ": id " + std::to_string(token.id) +
                      " is already the vocabulary's " + quoteShort(t_.model.tokens[std::size_t(token.id)]));
    }
    t_.addedIds.emplace(token.content, token.id);
    t_.addedById.emplace(token.id, t_.added.size());
    t_.added.push_back(std::move(token));
  }
  for (std::size_t k = 0; k < t_.added.size(); ++k) {
    const HfAddedToken& a = t_.added[k];
    if (a.match.empty()) continue;
    (a.normalized ? t_.normalizedMatcher : t_.rawMatcher).add(a.match, int(k));
  }
}

int Loader::anyTokenId(const std::string& token) const {
  const auto it = t_.addedIds.find(token);
  return it != t_.addedIds.end() ? it->second : t_.model.id(token);
}

void Loader::templateProcessing(const Node& n) {
  const Node single = n["single"];
  const Node specials = n["special_tokens"];
  if (!specials.isNull()) specials.requireObject("an object (special token name → ids and tokens)");
  std::vector<HfSpecialToken> before, after;
  int sequences = 0;
  for (std::size_t i = 0, count = single.size(); i < count; ++i) {
    const Node item = single[i];
    item.requireObject("{\"SpecialToken\": …} or {\"Sequence\": …}");
    const Node seq = item["Sequence"], special = item["SpecialToken"];
    if (seq.exists()) {
      const std::string id = seq["id"].str();
      if (id != "A") seq["id"].fail("the single-sequence template uses sequence " + quoteShort(id) + ", not \"A\"");
      ++sequences;
      continue;
    }
    if (!special.exists()) item.fail("expected {\"SpecialToken\": …} or {\"Sequence\": …}");
    const std::string name = special["id"].str();
    const Node entry = specials[name.c_str()];
    if (!entry.exists()) special["id"].fail("special token " + quoteShort(name) + " is not in special_tokens");
    const Node ids = entry["ids"], tokens = entry["tokens"];
    const std::size_t k = ids.size();
    if (tokens.size() != k) entry.fail("\"ids\" and \"tokens\" differ in length");
    for (std::size_t j = 0; j < k; ++j) {
      const int id = int(ids[j].integer(0, kMaxId));
      const bool inVocab = std::size_t(id) < t_.model.present.size() && t_.model.present[std::size_t(id)];
      if (!inVocab && t_.addedById.count(id) == 0) {
        ids[j].fail("id " + std::to_string(id) + " is neither in the vocabulary nor an added token");
      }
      (sequences == 0 ? before : after).push_back({id, tokens[j].str()});
    }
  }
  if (sequences != 1) single.fail("the single-sequence template must hold \"A\" once");
  // A later processor wraps what the earlier ones made.
  before.insert(before.end(), t_.prefix.begin(), t_.prefix.end());
  t_.prefix = std::move(before);
  t_.suffix.insert(t_.suffix.end(), after.begin(), after.end());
}

void Loader::postProcessor(const Node& n) {
  if (n.isNull()) return;
  const std::string type = n.type("post-processor");
  if (type == "ByteLevel") return;  // offsets only (trim_offsets); adds no token
  if (type == "TemplateProcessing") {
    templateProcessing(n);
  } else if (type == "Sequence") {
    const Node list = n["processors"];
    for (std::size_t i = 0, count = list.size(); i < count; ++i) postProcessor(list[i]);
  } else {
    n["type"].fail("post-processor " + quoteShort(type) +
                   " is not supported (supported: TemplateProcessing, ByteLevel, Sequence)");
  }
}

void Loader::config(const std::string& path) {
  // Only where the post-processor says nothing: transformers' add_bos_token / add_eos_token.
  const json doc = hfjson::parse(hfjson::readRegularFile(path, kMaxConfigFileBytes), path);
  const Node root(&doc, "", &path);
  root.requireObject("a JSON object");
  for (const bool bos : {true, false}) {
    const Node flag = root[bos ? "add_bos_token" : "add_eos_token"];
    if (flag.isNull() || !flag.boolean()) continue;
    Node token = root[bos ? "bos_token" : "eos_token"];
    if (token.isNull()) flag.fail(std::string("is true but ") + (bos ? "bos_token" : "eos_token") + " is not set");
    if (token.value().is_object()) token = token["content"];
    const std::string content = token.str();
    const int id = anyTokenId(content);
    if (id < 0) token.fail("token " + quoteShort(content) + " is not in the vocabulary");
    (bos ? t_.prefix : t_.suffix).push_back({id, content});
  }
}

void Loader::decoder(const Node& n) {
  if (n.isNull()) return;
  t_.hasDecoder = true;
  const std::string type = n.type("decoder");
  HfDecoderStep step{};
  if (type == "ByteLevel") {
    step.kind = HfDecoderStep::Kind::ByteLevel;
  } else if (type == "Metaspace") {
    step.kind = HfDecoderStep::Kind::Metaspace;
    step.replacement = n["replacement"].str();
    if (!oneCharacter(step.replacement)) n["replacement"].fail("the replacement must be one character");
    step.prepend = prependScheme(n);
  } else if (type == "Replace") {
    step.kind = HfDecoderStep::Kind::Replace;
    pattern(n["pattern"], step.literal, step.regex);
    step.content = n["content"].str();
  } else if (type == "ByteFallback") {
    step.kind = HfDecoderStep::Kind::ByteFallback;
  } else if (type == "Fuse") {
    step.kind = HfDecoderStep::Kind::Fuse;
  } else if (type == "Strip") {
    step.kind = HfDecoderStep::Kind::Strip;
    step.content = n["content"].str();
    if (!oneCharacter(step.content)) n["content"].fail("expected one character, found " + quoteShort(step.content));
    step.start = std::size_t(n["start"].integer(0, kMaxId));
    step.stop = std::size_t(n["stop"].integer(0, kMaxId));
  } else if (type == "Sequence") {
    const Node list = n["decoders"];
    for (std::size_t i = 0, count = list.size(); i < count; ++i) decoder(list[i]);
    return;
  } else {
    n["type"].fail("decoder " + quoteShort(type) +
                   " is not supported (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
  }
  t_.decoder.push_back(std::move(step));
}

void Loader::describe() {
  std::vector<std::string> parts;
  std::string norm;
  for (const auto& s : t_.normalizer) {
    static const char* const forms[] = {"NFC", "NFD", "NFKC", "NFKD"};
    const char* name = s.kind == HfNormalizerStep::Kind::Unicode   ? forms[int(s.form)]
                       : s.kind == HfNormalizerStep::Kind::Prepend ? "Prepend"
                       : s.kind == HfNormalizerStep::Kind::Replace ? "Replace"
                                                                   : "Strip";
    norm += (norm.empty() ? "" : " + ") + std::string(name);
  }
  if (!norm.empty()) parts.push_back(norm);
  for (const auto& s : t_.preTokenizer) {
    switch (s.kind) {
      case HfPreTokenizerStep::Kind::Split: parts.push_back(s.regex >= 0 ? "Split regex" : "Split"); break;
      case HfPreTokenizerStep::Kind::Digits: parts.push_back("Digits"); break;
      case HfPreTokenizerStep::Kind::Metaspace: parts.push_back("Metaspace"); break;
      case HfPreTokenizerStep::Kind::ByteLevel:
        if (s.regex >= 0) parts.push_back("GPT-2 regex");
        break;
    }
  }
  const HfBpeModel& m = t_.model;
  if (m.ignoreMerges) parts.push_back("ignore_merges");
  if (m.byteFallback) parts.push_back("byte_fallback");
  if (m.fuseUnk && m.unkId >= 0) parts.push_back("fuse_unk");
  std::string d = m.byteLevel ? "byte-level BPE" : m.byteFallback || !t_.spaceMark.empty() ? "SentencePiece-style BPE" : "BPE";
  if (!parts.empty()) {
    d += " (";
    for (std::size_t i = 0; i < parts.size(); ++i) d += (i ? ", " : "") + parts[i];
    d += ")";
  }
  if (t_.prefix.empty()) {
    d += ", no BOS";
  } else {
    d += ", BOS " + t_.prefix.front().token;
  }
  if (!t_.suffix.empty()) d += ", EOS " + t_.suffix.back().token;
  t_.description = std::move(d);
}

}  // namespace

HfTokenizer::HfTokenizer() = default;
HfTokenizer::HfTokenizer(HfTokenizer&&) noexcept = default;
HfTokenizer& HfTokenizer::operator=(HfTokenizer&&) noexcept = default;
HfTokenizer::~HfTokenizer() = default;

HfTokenizer HfTokenizer::fromTokenizerJson(const std::string& path, const std::string& tokenizerConfigPath) {
  const json doc = hfjson::parse(hfjson::readRegularFile(path, kMaxTokenizerJsonBytes), path);
  const Node root(&doc, "", &path);
  root.requireObject("a JSON object");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  Loader load(*impl);
  load.model(root["model"]);
  load.normalizer(root["normalizer"]);
  load.preTokenizer(root["pre_tokenizer"]);
  load.finishPipeline(root["pre_tokenizer"]);
  load.addedTokens(root["added_tokens"]);
  load.postProcessor(root["post_processor"]);
  if (root["post_processor"].isNull() && !tokenizerConfigPath.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(tokenizerConfigPath, ec)) load.config(tokenizerConfigPath);
  }
  load.decoder(root["decoder"]);
  int size = int(impl->model.tokens.size());
  for (const auto& a : impl->added) size = std::max(size, a.id + 1);
  impl->vocabSize = size;
  load.describe();
  HfTokenizer t;
  t.impl_ = std::move(impl);
  return t;
}

HfTokenizer HfTokenizer::fromFolder(const std::string& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw FileError(folder + ": is not a folder");
  const fs::path json = fs::path(folder) / "tokenizer.json";
  if (!fs::exists(json, ec)) throw FileError(folder + ": has no tokenizer.json");
  return fromTokenizerJson(json.string(), (fs::path(folder) / "tokenizer_config.json").string());
}

}  // namespace attnscope::models
