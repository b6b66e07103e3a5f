// The one entry point both the GUI and the command line use: any source → tokens + per-head Q/K/V.
#pragma once

#include <string_view>

#include "attnscope/input/rgb_image.h"
#include "attnscope/input/settings.h"
#include "attnscope/input/tokens.h"
#include "attnscope/qkv.h"

namespace attnscope {

/// What an input source yields. qkv has H heads of N×d_k Q, N×d_k K, N×d_v V (N = tokens.size()),
/// always passing Qkv::validate(). `image` is the working image the token rects refer to (image
/// sources, or the .npy background), empty otherwise.
struct Input {
  TokenSet tokens;
  Qkv qkv;
  RgbImage image;
};

/// Image → patch grid (≤ tokenBudget patches) → features → Q/K/V. Throws InvalidArgument naming
/// settings.sourceName for an empty image, a bad budget or a patch size that makes no grid.
Input makeImageInput(const RgbImage& image, const ImageInputSettings& settings,
                     const EmbeddingSettings& embedding);

/// UTF-8 text → word/punctuation tokens (≤ tokenBudget) → features → Q/K/V. Invalid UTF-8 is
/// replaced with U+FFFD (with a notice). Throws InvalidArgument for text with no tokens.
Input makeTextInput(std::string_view utf8, const TextInputSettings& settings,
                    const EmbeddingSettings& embedding);

/// Seeded clustered Gaussian Q/K/V. Throws InvalidArgument for out-of-range settings.
Input makeSyntheticInput(const SyntheticSettings& settings);

/// Q/K/V from three .npy files (+ optional labels and grid). Throws FileError naming the file for
/// unreadable or malformed files, non-finite values and shapes that disagree.
Input loadNpyInput(const NpyQkvSettings& settings);

}  // namespace attnscope
