// HfTokenizer's BPE model and added-token matcher (see hf_tokenizer_impl.h).
#include <algorithm>
#include <queue>

#include "attnscope/models/byte_unicode.h"
#include "hf_tokenizer_impl.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

struct Symbol {
  int id;
  std::size_t start, length;
  std::ptrdiff_t prev, next;
  bool alive;
};

struct Candidate {
  int rank;
  std::size_t pos;  // the left symbol
  int merged;
};

/// Min-heap order: the lowest rank first, then the leftmost (as Word::merge_all's heap).
struct Later {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

}  // namespace

void HfBpeModel::tokenize(std::string_view text, std::vector<HfModelToken>& out, std::size_t& dropped,
                          std::size_t& firstDropped) const {
  if (text.empty()) return;
  std::string key;
  if (ignoreMerges) {  // a pre-token that is a vocabulary entry is that entry, before any merging
    if (byteLevel) {
      key.reserve(text.size() * 2);
      for (unsigned char b : text) key += byteSymbol(b);
    } else {
      key.assign(text);
    }
    const auto it = vocab.find(key);
    if (it != vocab.end()) {
      out.push_back({it->second, 0, text.size()});
      return;
    }
  }

  // The initial symbols, as merge_word builds them: a character with no entry becomes its bytes'
  // <0xNN> tokens (byte_fallback, when all exist), else the unk token, a run of such characters one
  // unk when fuse_unk. As in the library, a pending unk is written when the next known character
  // comes (byte-fallback tokens do not write it), so it can follow them.
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  const auto add = [&syms](int id, std::size_t start, std::size_t length) {
    syms.push_back({id, start, length, std::ptrdiff_t(syms.size()) - 1, -1, true});
    if (syms.size() > 1) syms[syms.size() - 2].next = std::ptrdiff_t(syms.size() - 1);
  };
  bool unkPending = false;
  std::size_t unkStart = 0, unkLength = 0;
  const auto flushUnk = [&] {
    if (unkPending) add(unkId, unkStart, unkLength);
    unkPending = false;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    int id;
    if (byteLevel) {
      id = byteSymbolIds[static_cast<unsigned char>(text[i])];
      ++i;
    } else {
      char32_t cp;
      if (!decodeUtf8(text, i, cp)) ++i;  // (the text is valid UTF-8; a stray byte is one character)
      key.assign(text.substr(start, i - start));
      id = this->id(key);
    }
    if (id >= 0) {
      flushUnk();
      add(id, start, i - start);
      continue;
    }
    if (byteFallback && !byteLevel) {
      bool all = true;
      for (std::size_t k = start; k < i && all; ++k) all = byteFallbackIds[static_cast<unsigned char>(text[k])] >= 0;
      if (all) {
        for (std::size_t k = start; k < i; ++k) add(byteFallbackIds[static_cast<unsigned char>(text[k])], k, 1);
        continue;
      }
    }
    if (unkId < 0) {  // no unk token: the library leaves the character out
      if (firstDropped == std::string_view::npos) firstDropped = start;
      ++dropped;
      continue;
    }
    if (unkPending && fuseUnk) {
      unkLength += i - start;
      continue;
    }
    flushUnk();
    unkPending = true;
    unkStart = start;
    unkLength = i - start;
  }
  flushUnk();
  if (syms.empty()) return;

  // Word::merge_all without dropout.
  std::priority_queue<Candidate, std::vector<Candidate>, Later> heap;
  const auto push = [&](std::ptrdiff_t pos) {
    if (pos < 0) return;
    const std::ptrdiff_t nx = syms[std::size_t(pos)].next;
    if (nx < 0) return;
    const auto it = merges.find(pairKey(syms[std::size_t(pos)].id, syms[std::size_t(nx)].id));
    if (it != merges.end()) heap.push({it->second.rank, std::size_t(pos), it->second.merged});
  };
  for (std::size_t k = 0; k + 1 < syms.size(); ++k) push(std::ptrdiff_t(k));
  while (!heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    Symbol& left = syms[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = syms[std::size_t(left.next)];
    // A stale entry: the pair there now is not the one this entry would make.
    const auto it = merges.find(pairKey(left.id, right.id));
    if (it == merges.end() || it->second.merged != top.merged) continue;
    left.id = top.merged;
    left.length += right.length;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) syms[std::size_t(right.next)].prev = std::ptrdiff_t(top.pos);
    push(left.prev);
    push(std::ptrdiff_t(top.pos));
  }
  for (std::ptrdiff_t k = 0; k >= 0; k = syms[std::size_t(k)].next) {
    out.push_back({syms[std::size_t(k)].id, syms[std::size_t(k)].start, syms[std::size_t(k)].length});
  }
}

void HfAddedMatcher::add(const std::string& s, int index) {
  if (s.empty()) return;
  int node = 0;
  for (unsigned char b : s) {
    const std::uint64_t key = (std::uint64_t(node) << 8) | b;
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      terminal_.push_back(-1);
      it = edges_.emplace(key, int(terminal_.size() - 1)).first;
    }
    node = it->second;
  }
  terminal_[std::size_t(node)] = index;
  firstByte_[static_cast<unsigned char>(s[0])] = true;
  hasAny_ = true;
}

bool HfAddedMatcher::find(std::string_view text, std::size_t from, std::size_t& start, std::size_t& end,
                          int& index) const {
  if (!hasAny_) return false;
  for (std::size_t s = from; s < text.size(); ++s) {
    if (!firstByte_[static_cast<unsigned char>(text[s])]) continue;
    int node = 0;
    int found = -1;
    std::size_t foundEnd = 0;
    for (std::size_t k = s; k < text.size(); ++k) {
      const auto it = edges_.find((std::uint64_t(node) << 8) | static_cast<unsigned char>(text[k]));
      if (it == edges_.end()) break;
      node = it->second;
      if (terminal_[std::size_t(node)] >= 0) {
        found = terminal_[std::size_t(node)];
        foundEnd = k + 1;
      }
    }
    if (found >= 0) {
      start = s;
      end = foundEnd;
      index = found;
      return true;
    }
  }
  return false;
}

}  // namespace attnscope::models
