// Image files → attnscope::RgbImage with Qt's image readers (PNG, JPEG, BMP, GIF, WebP... whatever
// plugins are installed). Grey, alpha (composited on white), 16-bit and indexed images all work.
// Big images are read scaled down; what cannot be decoded within the memory limit is refused.
#pragma once

#include <QByteArray>
#include <QImage>
#include <QString>
#include <string>
#include <vector>

#include "attnscope/input/rgb_image.h"

namespace attnscope {

struct ImageLoadOptions {
  long long maxPixels = 64LL * 1000 * 1000;        ///< larger images are read scaled down to fit
  long long maxFilePixels = 1000LL * 1000 * 1000;  ///< larger images are refused outright
  int maxDecodeMegabytes = 1024;  ///< memory a full decode may use (Qt allocation limit)
};

struct LoadedImage {
  RgbImage image;                     ///< what was decoded (possibly scaled down)
  int fileWidth = 0, fileHeight = 0;  ///< the size stored in the file
  std::vector<std::string> notices;   ///< e.g. "read scaled down from ... to ..."
};

/// Decodes the image file at `path`. Throws FileError naming the file: missing, empty (0 bytes),
/// not an image, corrupt (with Qt's reason), truncated (PNG, JPEG), or too large to decode.
LoadedImage loadImageFile(const QString& path, const ImageLoadOptions& options = {});

/// Decodes image bytes held in memory; `name` stands for the file in messages.
LoadedImage loadImageData(const QByteArray& data, const QString& name,
                          const ImageLoadOptions& options = {});

/// Any QImage format → RGB floats in [0, 1]; alpha is composited on white. 16-bit images keep
/// their precision. Returns an empty RgbImage for a null QImage.
RgbImage toRgbImage(const QImage& image);

}  // namespace attnscope
