#include "attnscope/models/bpe_tokenizer.h"

#include <algorithm>
#include <limits>

#include "attnscope/error.h"
#include "attnscope/models/byte_unicode.h"
#include "bpe_tokenizer_raw.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

std::uint64_t pairKey(int left, int right) {
  return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
}

std::string inQuotes(const std::string& s) { return "\"" + readableBytes(s) + "\""; }

/// The bytes a vocabulary symbol stands for: each character through the byte map; a character that
/// is not the image of a byte (only in added tokens) stands for its own UTF-8.
std::string symbolBytes(const std::string& symbol) {
  std::string bytes;
  std::size_t i = 0;
  char32_t cp;
  while (i < symbol.size()) {
    const std::size_t start = i;
    if (!decodeUtf8(symbol, i, cp)) {
      bytes += symbol[i++];
      continue;
    }
    const int b = codePointToByte(cp);
    if (b >= 0) {
      bytes += char(b);
    } else {
      bytes.append(symbol, start, i - start);
    }
  }
  return bytes;
}

// Pre-tokens up to this many bytes are cached per encode() call (longer ones are rare and unique).
constexpr std::size_t kCacheMaxPieceBytes = 256;
constexpr std::size_t kCacheMaxEntries = 1u << 16;

}  // namespace

BpeTokenizer::BpeTokenizer() { byteIds_.fill(-1); }

BpeTokenizer BpeTokenizer::build(RawModel raw) {
  BpeTokenizer t;
  int maxId = -1;
  for (const auto& [symbol, id] : raw.vocab) maxId = std::max(maxId, id);
  t.tokenBytes_.assign(std::size_t(maxId + 1), std::string());
  t.present_.assign(std::size_t(maxId + 1), false);
  std::vector<const std::string*> owner(std::size_t(maxId + 1), nullptr);
  t.vocab_.reserve(raw.vocab.size());
  for (const auto& [symbol, id] : raw.vocab) {
    if (owner[std::size_t(id)]) {
      throw FileError(raw.vocabSource + ": tokens " + inQuotes(*owner[std::size_t(id)]) + " and " +
                      inQuotes(symbol) + " both have id " + std::to_string(id));
    }
    if (!t.vocab_.emplace(symbol, id).second) {
      throw FileError(raw.vocabSource + ": token " + inQuotes(symbol) + " appears twice");
    }
    owner[std::size_t(id)] = &symbol;
    t.tokenBytes_[std::size_t(id)] = symbolBytes(symbol);
    t.present_[std::size_t(id)] = true;
  }
  for (int b = 0; b < 256; ++b) t.byteIds_[b] = t.tokenId(byteSymbol(std::uint8_t(b)));

  t.merges_.reserve(raw.merges.size());
  for (std::size_t rank = 0; rank < raw.merges.size(); ++rank) {
    const auto& [a, b] = raw.merges[rank];
    const int left = t.tokenId(a);
    const int right = t.tokenId(b);
    const int merged = t.tokenId(a + b);
    const std::string& where = raw.mergeWhere[rank];
    if (left < 0) throw FileError(where + ": symbol " + inQuotes(a) + " is not in the vocabulary");
    if (right < 0) throw FileError(where + ": symbol " + inQuotes(b) + " is not in the vocabulary");
    if (merged < 0) {
      throw FileError(where + ": merged symbol " + inQuotes(a + b) + " is not in the vocabulary");
    }
    t.merges_[pairKey(left, right)] = Merge{int(rank), merged};  // a repeated line: the last rank wins
  }
  if (!raw.unkToken.empty()) {
    t.unkId_ = t.tokenId(raw.unkToken);
    if (t.unkId_ < 0) {
      throw FileError(raw.unkWhere + ": unk token " + inQuotes(raw.unkToken) + " is not in the vocabulary");
    }
  }
  return t;
}

int BpeTokenizer::tokenId(const std::string& symbol) const {
  const auto it = vocab_.find(symbol);
  return it == vocab_.end() ? -1 : it->second;
}

void BpeTokenizer::encodePiece(const std::uint8_t* bytes, std::size_t n, std::size_t offset,
                               std::vector<Token>& out) const {
  // Symbols form a linked list over the piece's bytes; a symbol keeps the index of its first byte.
  std::vector<int> id(n);
  std::vector<std::uint32_t> length(n, 1);  // 0: merged into its left neighbour
  std::vector<std::ptrdiff_t> prev(n), next(n);
  for (std::size_t i = 0; i < n; ++i) {
    id[i] = byteIds_[bytes[i]];
    prev[i] = std::ptrdiff_t(i) - 1;
    next[i] = i + 1 < n ? std::ptrdiff_t(i + 1) : -1;
  }
  struct Candidate {
    int rank;
    std::uint32_t pos;  // left symbol
    int left, right;
  };
  // Min-heap on (rank, position): the lowest rank first, equal ranks (one pair) left to right.
  const auto later = [](const Candidate& x, const Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
  };
  std::vector<Candidate> heap;
  const auto push = [&](std::ptrdiff_t pos) {
    const std::ptrdiff_t nx = next[std::size_t(pos)];
    if (nx < 0) return;
    const int l = id[std::size_t(pos)], r = id[std::size_t(nx)];
    if (l < 0 || r < 0) return;
    const auto it = merges_.find(pairKey(l, r));
    if (it == merges_.end()) return;
    heap.push_back({it->second.rank, std::uint32_t(pos), l, r});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push(std::ptrdiff_t(i));

  std::vector<Candidate> batch;
  while (!heap.empty()) {
    // GPT-2's step: the lowest-ranked pair present, every occurrence left to right, before pairs
    // that these merges create are looked at (they cannot be the same pair: a+b differs from a and b).
    const int rank = heap.front().rank;
    batch.clear();
    while (!heap.empty() && heap.front().rank == rank) {
      std::pop_heap(heap.begin(), heap.end(), later);
      batch.push_back(heap.back());
      heap.pop_back();
    }
    for (const Candidate& c : batch) {
      const std::size_t pos = c.pos;
      const std::ptrdiff_t nx = next[pos];
      if (length[pos] == 0 || nx < 0 || id[pos] != c.left || id[std::size_t(nx)] != c.right) continue;  // stale
      id[pos] = merges_.at(pairKey(c.left, c.right)).merged;
      length[pos] += length[std::size_t(nx)];
      length[std::size_t(nx)] = 0;
      next[pos] = next[std::size_t(nx)];
      if (next[pos] >= 0) prev[std::size_t(next[pos])] = std::ptrdiff_t(pos);
      if (prev[pos] >= 0) push(prev[pos]);
      push(std::ptrdiff_t(pos));
    }
  }
  for (std::ptrdiff_t i = 0; i >= 0; i = next[std::size_t(i)]) {
    int tokenId = id[std::size_t(i)];
    if (tokenId < 0) {
      if (unkId_ < 0) {
        const std::uint8_t b = bytes[i];
        throw InvalidArgument("text byte " + readableBytes(std::string(1, char(b))) + " at byte offset " +
                              std::to_string(offset + std::size_t(i)) + ": its symbol " +
                              inQuotes(byteSymbol(b)) +
                              " is not in the vocabulary, and the tokenizer has no unk token");
      }
      tokenId = unkId_;
    }
    out.push_back({tokenId, length[std::size_t(i)]});
  }
}

Encoding BpeTokenizer::encode(std::string_view text) const {
  return encode(text, std::numeric_limits<std::size_t>::max());
}

Encoding BpeTokenizer::encode(std::string_view text, std::size_t maxTokens) const {
  Encoding enc;
  if (text.empty() || maxTokens == 0) return enc;

  std::unordered_map<std::string_view, std::vector<Token>> cache;
  std::vector<Token> tokens;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  // One piece [begin, end) of `text` into tokens; false once maxTokens are there.
  auto addPiece = [&](std::size_t begin, std::size_t end) {
    const std::string_view piece = text.substr(begin, end - begin);
    const std::vector<Token>* pieceTokens = nullptr;
    if (piece.size() <= kCacheMaxPieceBytes) {
      auto it = cache.find(piece);
      if (it == cache.end()) {
        if (cache.size() >= kCacheMaxEntries) cache.clear();
        tokens.clear();
        encodePiece(bytes + begin, piece.size(), begin, tokens);
        it = cache.emplace(piece, tokens).first;
      }
      pieceTokens = &it->second;
    } else {
      tokens.clear();
      encodePiece(bytes + begin, piece.size(), begin, tokens);
      pieceTokens = &tokens;
    }
    std::size_t at = begin;
    for (const Token& token : *pieceTokens) {
      if (enc.ids.size() == maxTokens) return false;
      enc.ids.push_back(token.id);
      enc.byteSpans.emplace_back(at, at + token.length);
      enc.pieces.push_back(readableBytes(text.substr(at, token.length)));
      at += token.length;
    }
    return enc.ids.size() < maxTokens;
  };

  // The regex needs valid UTF-8: it sees each invalid byte as U+FFFD; spans map back to `text`.
  const std::size_t firstBad = firstInvalidUtf8(text);
  if (firstBad == std::string_view::npos) {
    preTokenizer_.split(text, addPiece);
    return enc;
  }
  std::size_t invalid = 0;
  {
    std::size_t i = 0;
    char32_t cp;
    while (i < text.size())
      if (!decodeUtf8(text, i, cp)) ++i, ++invalid;
  }
  enc.notices.push_back("the text is not valid UTF-8: " + std::to_string(invalid) +
                        " invalid byte(s), the first at byte offset " + std::to_string(firstBad) +
                        "; the pre-split treats each as U+FFFD, the tokens keep the bytes as read");
  // The cleaned copy of a prefix of `window` bytes, doubled until it holds maxTokens tokens (or is
  // the whole text). A piece is kept only when a whole character follows it inside the prefix:
  // the pattern looks one character past a piece, so such pieces are those of the whole text.
  const std::size_t base = enc.notices.size();
  for (std::size_t window = std::max<std::size_t>(4096, maxTokens < text.size() / 64 ? maxTokens * 64 : text.size());;
       window = window > text.size() / 2 ? text.size() : window * 2) {
    window = std::min(window, text.size());
    const bool whole = window == text.size();
    std::string clean;
    std::vector<std::size_t> origin;  // clean offset → text offset
    clean.reserve(window + 16);
    origin.reserve(window + 17);
    std::size_t i = 0;
    char32_t cp;
    while (i < window) {
      const std::size_t start = i;
      if (decodeUtf8(text, i, cp)) {
        clean.append(text.substr(start, i - start));
        origin.insert(origin.end(), i - start, start);
      } else {
        ++i;
        clean += "\xEF\xBF\xBD";
        origin.insert(origin.end(), 3, start);
      }
    }
    origin.push_back(i);
    const std::size_t safeEnd = whole ? clean.size() : (clean.size() > 8 ? clean.size() - 8 : 0);
    enc.ids.clear();
    enc.byteSpans.clear();
    enc.pieces.clear();
    enc.notices.resize(base);
    bool full = false;
    preTokenizer_.split(clean, [&](std::size_t b, std::size_t e) {
      if (e > safeEnd) return false;
      full = !addPiece(origin[b], origin[e]);
      return !full;
    });
    if (full || whole) return enc;
  }
}

std::string BpeTokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const int id = ids[i];
    if (id < 0 || id >= vocabSize() || !present_[std::size_t(id)]) {
      throw InvalidArgument("decode: id " + std::to_string(id) + " at position " + std::to_string(i) +
                            " is not in the vocabulary (" + std::to_string(vocabSize()) + " ids)");
    }
    out += tokenBytes_[std::size_t(id)];
  }
  return out;
}

}  // namespace attnscope::models
