// What a tokenizer's files say, before BpeTokenizer checks and indexes it (internal).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attnscope/models/bpe_tokenizer.h"

namespace attnscope::models {

struct RawBpeModel {
  std::string vocabSource;                               // e.g. "/m/vocab.json" or "/m/tokenizer.json: model.vocab"
  std::vector<std::pair<std::string, int>> vocab;        // symbol → id, ids already range-checked
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::vector<std::string> mergeWhere;                   // per merge: "FILE line N" / "FILE: model.merges[N]"
  std::string unkToken;                                  // empty: none
  std::string unkWhere;
};

}  // namespace attnscope::models
