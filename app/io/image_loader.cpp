#include "io/image_loader.h"

#include <QBuffer>
#include <QColorSpace>
#include <QFile>
#include <QFileInfo>
#include <QImageIOHandler>
#include <QImageReader>
#include <cmath>

#include "attnscope/error.h"
#include "io/truncation.h"

namespace attnscope {

namespace {
std::string str(const QString& s) {
  return s.toStdString();
}

// Bytes per pixel a full decode will need (4 when the reader does not say).
int bytesPerPixel(const QImageReader& reader) {
  const QImage::Format f = reader.imageFormat();
  if (f == QImage::Format_Invalid) return 4;
  return std::max(1, QImage::toPixelFormat(f).bitsPerPixel() / 8);
}

void requireComplete(const uchar* data, qint64 size, const QString& name) {
  const std::string problem = truncationProblem(data, size);
  if (!problem.empty())
    throw FileError(str(name) + ": the image file is truncated (" + problem + ")");
}

LoadedImage readWith(QImageReader& reader, const QString& name, const ImageLoadOptions& opt) {
  reader.setAutoTransform(true);
  QImageReader::setAllocationLimit(opt.maxDecodeMegabytes);
  if (!reader.canRead())
    throw FileError(str(name) + ": not a readable image (" + str(reader.errorString()) + ")");

  LoadedImage out;
  const QSize size = reader.size();
  if (size.isValid()) {
    out.fileWidth = size.width();
    out.fileHeight = size.height();
    const long long pixels = static_cast<long long>(size.width()) * size.height();
    if (pixels > opt.maxFilePixels)
      throw FileError(str(name) + ": the image is " + std::to_string(size.width()) + "×" +
                      std::to_string(size.height()) +
                      " pixels, too large to decode (the limit is " +
                      std::to_string(opt.maxFilePixels / 1000000) + " Mpixel)");
    const bool nativeScaling = reader.supportsOption(QImageIOHandler::ScaledSize);
    const long long fullBytes = pixels * bytesPerPixel(reader);
    if (!nativeScaling && fullBytes > static_cast<long long>(opt.maxDecodeMegabytes) * 1024 * 1024)
      throw FileError(str(name) + ": the image is " + std::to_string(size.width()) + "×" +
                      std::to_string(size.height()) + " pixels, too large to decode within the " +
                      std::to_string(opt.maxDecodeMegabytes) + " MB memory limit");
    if (pixels > opt.maxPixels) {
      const double f = std::sqrt(static_cast<double>(opt.maxPixels) / static_cast<double>(pixels));
      const QSize scaled(std::max(1, static_cast<int>(size.width() * f)),
                         std::max(1, static_cast<int>(size.height() * f)));
      reader.setScaledSize(scaled);
      out.notices.push_back(str(name) + ": the " + std::to_string(size.width()) + "×" +
                            std::to_string(size.height()) + " image is read scaled down to " +
                            std::to_string(scaled.width()) + "×" + std::to_string(scaled.height()));
    }
  }
  QImage img;
  if (!reader.read(&img) || img.isNull())
    throw FileError(str(name) + ": cannot decode the image (" + str(reader.errorString()) + ")");
  if (out.fileWidth == 0) {
    out.fileWidth = img.width();
    out.fileHeight = img.height();
  }
  if (img.colorSpace().isValid() && img.colorSpace() != QColorSpace(QColorSpace::SRgb))
    img.convertToColorSpace(QColorSpace(QColorSpace::SRgb));
  out.image = toRgbImage(img);
  return out;
}
}  // namespace

RgbImage toRgbImage(const QImage& source) {
  RgbImage out;
  if (source.isNull()) return out;
  out.width = source.width();
  out.height = source.height();
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  const bool deep = source.depth() > 32 || source.format() == QImage::Format_Grayscale16;
  const QImage img = source.convertToFormat(deep ? QImage::Format_RGBA64 : QImage::Format_RGBA8888);
  for (int y = 0; y < out.height; ++y) {
    float* dst = out.rgb.data() + static_cast<std::size_t>(y) * out.width * 3;
    if (deep) {
      const auto* px = reinterpret_cast<const quint16*>(img.constScanLine(y));
      for (int x = 0; x < out.width; ++x, px += 4) {
        const float a = px[3] / 65535.0f;
        for (int c = 0; c < 3; ++c) dst[3 * x + c] = px[c] / 65535.0f * a + (1.0f - a);
      }
    } else {
      const uchar* px = img.constScanLine(y);
      for (int x = 0; x < out.width; ++x, px += 4) {
        const float a = px[3] / 255.0f;
        for (int c = 0; c < 3; ++c) dst[3 * x + c] = px[c] / 255.0f * a + (1.0f - a);
      }
    }
  }
  return out;
}

LoadedImage loadImageFile(const QString& path, const ImageLoadOptions& options) {
  const QFileInfo info(path);
  if (!info.exists()) throw FileError(str(path) + ": file not found");
  if (info.isDir()) throw FileError(str(path) + ": is a folder, not an image file");
  if (info.size() == 0) throw FileError(str(path) + ": the file is empty (0 bytes)");
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly))
    throw FileError(str(path) + ": cannot open the file (" + str(file.errorString()) + ")");
  if (const uchar* mapped = file.map(0, file.size())) {
    requireComplete(mapped, file.size(), path);
    file.unmap(const_cast<uchar*>(mapped));
  }
  QImageReader reader(&file);
  reader.setDecideFormatFromContent(true);  // the bytes decide, never the suffix (picture.txt)
  return readWith(reader, path, options);
}

LoadedImage loadImageData(const QByteArray& data, const QString& name,
                          const ImageLoadOptions& options) {
  if (data.isEmpty()) throw FileError(str(name) + ": the file is empty (0 bytes)");
  requireComplete(reinterpret_cast<const uchar*>(data.constData()), data.size(), name);
  QBuffer buffer;
  buffer.setData(data);
  buffer.open(QIODevice::ReadOnly);
  QImageReader reader(&buffer);
  return readWith(reader, name, options);
}

}  // namespace attnscope
