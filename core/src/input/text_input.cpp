#include <sstream>

#include "attnscope/error.h"
#include "attnscope/input/embedding.h"
#include "attnscope/input/input.h"
#include "attnscope/input/positional.h"
#include "attnscope/input/text_features.h"
#include "attnscope/input/text_tokenizer.h"

namespace attnscope {

Input makeTextInput(std::string_view utf8, const TextInputSettings& s, const EmbeddingSettings& e) {
  validateEmbedding(e);
  if (s.tokenBudget < 1 || s.tokenBudget > kMaxTokenBudget) {
    std::ostringstream os;
    os << s.sourceName << ": token budget " << s.tokenBudget << " must be between 1 and "
       << kMaxTokenBudget;
    throw InvalidArgument(os.str());
  }
  if (utf8.empty()) throw InvalidArgument(s.sourceName + ": the text is empty (0 bytes)");

  Input in;
  in.tokens = tokenizeText(utf8, s.tokenBudget, s.sourceName);
  if (in.tokens.tokens.empty())
    throw InvalidArgument(s.sourceName + ": the text has no tokens (it is only whitespace or " +
                          "control characters)");

  const int n = in.tokens.size();
  const MatrixD features = textTokenFeatures(in.tokens, e.seed);           // N × 128
  const MatrixD positions = sinusoidal1D(n, e.dModel, kTextPositionBase);  // N × d_model
  const MatrixD x = embedTokens(features, positions, e, "embed/content/text");
  in.qkv = projectHeads(x, e);
  in.qkv.validate(s.sourceName);
  return in;
}

}  // namespace attnscope
