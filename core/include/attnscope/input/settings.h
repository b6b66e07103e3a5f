// Settings of the four input sources and of the embedding, with their defaults.
#pragma once

#include <cstdint>
#include <string>

#include "attnscope/input/rgb_image.h"

namespace attnscope {

/// Largest token budget any source accepts (the GUI offers at least 16384).
constexpr int kMaxTokenBudget = 65536;

/// How an image becomes a patch grid (see docs/tokens.md).
struct ImageInputSettings {
  int tokenBudget = 1024;  ///< at most this many patches, 1..kMaxTokenBudget
  int patchSize = 0;       ///< 0 = choose automatically; > 0 = fixed patch side in pixels
  int minPatchSize = 4;    ///< automatic choice never goes below this (unless the image is smaller)
  long long maxWorkingPixels = 4LL
                               << 20;  ///< larger images are area-downscaled first (aspect kept)
  std::string sourceName = "<image>";  ///< used in messages (the file name when there is one)
};

/// How text becomes tokens.
struct TextInputSettings {
  int tokenBudget =
      512;  ///< at most this many tokens, 1..kMaxTokenBudget; the rest is dropped with a notice
  std::string sourceName = "<text>";
};

/// Built-in sources (image, text) → per-head Q, K, V.
struct EmbeddingSettings {
  int heads = 4;                ///< H, 1..64
  int dHead = 64;               ///< d_k = d_v per head, 1..1024
  int dModel = 128;             ///< embedding width, a multiple of 4 in 4..4096
  double positionWeight = 0.5;  ///< λ ≥ 0: 0 = pure content, larger = more locality
  bool tieQK = true;            ///< W_K = W_Q (similarity attention)
  std::uint64_t seed = 0;
};

/// Seeded Gaussian Q/K/V in k clusters (block-structured softmax maps).
struct SyntheticSettings {
  int n = 256;          ///< tokens, 1..kMaxTokenBudget
  int clusters = 4;     ///< k, 1..n; token i is in cluster ⌊i·k/n⌋
  double spread = 0.5;  ///< noise relative to the cluster centres, ≥ 0 (0 = exact clusters)
  int heads = 4;        ///< H, 1..64
  int dHead = 64;       ///< d_k = d_v, 1..1024
  bool tieQK = false;   ///< true: K = Q exactly
  std::uint64_t seed = 0;
};

/// Q, K, V dumped from another framework as .npy ([N, d] or [H, N, d], float32/float64).
struct NpyQkvSettings {
  std::string qPath, kPath, vPath;
  std::string labelsPath;  ///< optional: UTF-8 text file, one label per line (N lines)
  int gridRows = 0;        ///< optional grid shape for image-like tokens (both or neither)
  int gridCols = 0;
  int gridFirstToken =
      0;                ///< tokens before this index are not on the grid (e.g. 1 for a CLS token)
  RgbImage background;  ///< optional background image (the app decodes it); needs a grid
};

}  // namespace attnscope
