// Files → Input: what the GUI's "Open" and the command line both call. Each function decodes the
// file(s) in the app layer (Qt) and hands plain data to the core's make*/load* functions.
#pragma once

#include <QString>

#include "attnscope/input/input.h"
#include "io/image_loader.h"

namespace attnscope {

/// An image or text source as read, before it becomes tokens: a file's (`path` given) or the
/// built-in sample's (`path` empty), its name for messages ("<sample text>" for the sample) and
/// what reading it noticed (a scaled image, bytes that were not UTF-8).
struct SourceContent {
  bool text = false;
  std::string name;
  RgbImage image;    ///< image sources
  std::string utf8;  ///< text sources
  std::vector<std::string> notices;
};
/// The one reader of image and text sources (the synthetic Q/K/V, the native inputs and the
/// models' all start here). Throws FileError.
SourceContent readSource(bool text, const QString& path, const ImageLoadOptions& options = {});
/// Tokens and Q/K/V of what readSource read (the reader's notices first).
Input contentInput(SourceContent content, ImageInputSettings image, TextInputSettings text,
                   const EmbeddingSettings& embedding);

/// Image file → patch tokens + Q/K/V. settings.sourceName is replaced by `path`; the loader's
/// notices (scaled read) come first in tokens.notices. Throws FileError / InvalidArgument.
Input loadImageInput(const QString& path, ImageInputSettings settings,
                     const EmbeddingSettings& embedding, const ImageLoadOptions& options = {});

/// UTF-8 text file → word tokens + Q/K/V. settings.sourceName is replaced by `path`.
Input loadTextInput(const QString& path, TextInputSettings settings,
                    const EmbeddingSettings& embedding);

/// Q/K/V .npy files (+ optional labels, grid) with an optional background image file, decoded here
/// into settings.background. Throws FileError / InvalidArgument naming the file.
Input loadNpyQkvInput(NpyQkvSettings settings, const QString& backgroundPath = QString());

/// The built-in samples as inputs; defaultInput() is the sample image with default settings,
/// what the program shows when it starts without a file.
Input sampleImageInput(ImageInputSettings settings, const EmbeddingSettings& embedding);
Input sampleTextInput(TextInputSettings settings, const EmbeddingSettings& embedding);
Input defaultInput();

}  // namespace attnscope
