// Tokens with the geometry the views need: grid cell and pixel rectangle (images, image-like .npy),
// byte span in the original text (text), cluster (synthetic).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace attnscope {

enum class InputKind { Image, Text, Synthetic, Npy };

/// Name of a kind for messages and files: "image", "text", "synthetic", "npy".
const char* inputKindName(InputKind kind);

/// A pixel rectangle [x, x + width) × [y, y + height) in TokenSet::imageWidth × imageHeight pixels.
struct PixelRect {
  int x = 0, y = 0, width = 0, height = 0;
};

struct Token {
  std::string label;          ///< UTF-8 text shown for the token (invalid bytes appear as U+FFFD)
  int row = -1, col = -1;     ///< grid cell (image-like tokens), -1 otherwise
  PixelRect rect;             ///< pixels the token covers (image-like tokens)
  std::size_t byteBegin = 0;  ///< text: span [byteBegin, byteEnd) in the ORIGINAL bytes
  std::size_t byteEnd = 0;
  int group = -1;  ///< synthetic: the token's cluster; -1 otherwise
};

/// The tokens of one input, in order (row i of Q, K, V is token i).
struct TokenSet {
  InputKind kind = InputKind::Synthetic;
  std::string sourceName;  ///< file name or "<typed text>", "<sample image>"...
  std::vector<Token> tokens;
  int gridRows = 0, gridCols = 0;  ///< patch grid (0 when the tokens are not image-like)
  int gridFirstToken = 0;          ///< index of the first grid token (.npy with a CLS token: 1)
  int patchSize = 0;  ///< nominal patch side in pixels of the working image (images; patches differ by ≤ 1 px)
  int imageWidth = 0, imageHeight = 0;    ///< the (possibly resized) image the rects refer to
  int sourceWidth = 0, sourceHeight = 0;  ///< the image as given, before any resize
  std::size_t tokensBeforeBudget = 0;     ///< tokens found before the token budget truncated them
  std::vector<int> ids;  ///< a model's vocabulary ids, one per token (text through a checkpoint's tokenizer)
  bool causal = false;   ///< the tokens come with a causal mask of their own (a language model's)
  std::vector<std::string> notices;       ///< truncation, U+FFFD replacement, downscaling...

  int size() const { return static_cast<int>(tokens.size()); }
  bool hasGrid() const { return gridRows > 0 && gridCols > 0; }
};

}  // namespace attnscope
