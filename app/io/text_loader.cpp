#include "io/text_loader.h"

#include <QFile>
#include <QFileInfo>
#include <QStringDecoder>

#include "attnscope/error.h"

#include <algorithm>
#include <optional>

namespace attnscope {

std::string readTextFile(const QString& path, long long maxBytes) {
  const std::string name = path.toStdString();
  const QFileInfo info(path);
  if (!info.exists()) throw FileError(name + ": file not found");
  if (info.isDir()) throw FileError(name + ": is a folder, not a text file");
  if (!info.isFile())
    throw FileError(name + ": not a regular file (a device, pipe or socket); save the text to a "
                           "file first");
  if (info.size() == 0) throw FileError(name + ": the file is empty (0 bytes)");
  if (info.size() > maxBytes)
    throw FileError(name + ": the file is " + std::to_string(info.size()) +
                    " bytes, more than the " + std::to_string(maxBytes) + "-byte limit for text");
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly))
    throw FileError(name + ": cannot open the file (" + f.errorString().toStdString() + ")");
  const QByteArray bytes = f.read(maxBytes + 1);
  if (bytes.isEmpty()) throw FileError(name + ": the file is empty (0 bytes)");
  if (bytes.size() > maxBytes)
    throw FileError(name + ": the file is larger than the " + std::to_string(maxBytes) +
                    "-byte limit for text");
  return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size()));
}

namespace {

/// Which UTF-16 byte order the zero bytes of mostly-ASCII text give (none when neither does).
std::optional<QStringConverter::Encoding> bomlessUtf16(const std::string& b) {
  const std::size_t n = std::min<std::size_t>(b.size(), 4096) & ~std::size_t(1);
  if (n < 4) return std::nullopt;
  std::size_t zeroEven = 0, zeroOdd = 0;
  for (std::size_t i = 0; i < n; i += 2) {
    zeroEven += b[i] == '\0';
    zeroOdd += b[i + 1] == '\0';
  }
  const std::size_t pairs = n / 2;
  if (zeroOdd * 10 >= pairs * 4 && zeroEven * 50 <= pairs) return QStringConverter::Utf16LE;
  if (zeroEven * 10 >= pairs * 4 && zeroOdd * 50 <= pairs) return QStringConverter::Utf16BE;
  return std::nullopt;
}

/// Which UTF-32 byte order a BOM-less text has: every 4-byte unit (of the first 4096 bytes) a valid
/// code point in that order, and most of them below U+10000 (the two high bytes zero); none when
/// neither order fits.
std::optional<QStringConverter::Encoding> bomlessUtf32(const std::string& b) {
  if (b.size() < 8 || b.size() % 4 != 0) return std::nullopt;
  const std::size_t n = std::min<std::size_t>(b.size(), 4096) & ~std::size_t(3);
  auto fits = [&](bool little) {
    std::size_t bmp = 0, units = 0;
    for (std::size_t i = 0; i < n; i += 4, ++units) {
      std::uint32_t cp = 0;
      for (int k = 0; k < 4; ++k) {
        const auto byte = static_cast<std::uint32_t>(static_cast<unsigned char>(b[i + (little ? 3 - k : k)]));
        cp = (cp << 8) | byte;
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      bmp += cp < 0x10000;
    }
    return bmp * 10 >= units * 9;
  };
  if (fits(true)) return QStringConverter::Utf32LE;
  if (fits(false)) return QStringConverter::Utf32BE;
  return std::nullopt;
}

}  // namespace

std::string textAsUtf8(const std::string& bytes, const std::string& name,
                       std::vector<std::string>& notices) {
  auto starts = [&](const char* bom, std::size_t n) {
    return bytes.size() >= n && bytes.compare(0, n, bom, n) == 0;
  };
  if (starts("\xEF\xBB\xBF", 3)) return bytes.substr(3);
  std::optional<QStringConverter::Encoding> enc;
  std::size_t skip = 0;
  std::string what;
  if (starts("\xFF\xFE\0\0", 4)) {
    enc = QStringConverter::Utf32LE, skip = 4, what = "UTF-32LE (byte-order mark)";
  } else if (starts("\0\0\xFE\xFF", 4)) {
    enc = QStringConverter::Utf32BE, skip = 4, what = "UTF-32BE (byte-order mark)";
  } else if (starts("\xFF\xFE", 2)) {
    enc = QStringConverter::Utf16LE, skip = 2, what = "UTF-16LE (byte-order mark)";
  } else if (starts("\xFE\xFF", 2)) {
    enc = QStringConverter::Utf16BE, skip = 2, what = "UTF-16BE (byte-order mark)";
  } else if ((enc = bomlessUtf32(bytes))) {
    what = *enc == QStringConverter::Utf32LE ? "UTF-32LE (no byte-order mark; told by its zero bytes)"
                                             : "UTF-32BE (no byte-order mark; told by its zero bytes)";
  } else if ((enc = bomlessUtf16(bytes))) {
    what = *enc == QStringConverter::Utf16LE ? "UTF-16LE (no byte-order mark; told by its zero bytes)"
                                             : "UTF-16BE (no byte-order mark; told by its zero bytes)";
  }
  if (!enc) return bytes;
  QStringDecoder decode(*enc, QStringConverter::Flag::Stateless);
  const QString text = decode(QByteArrayView(bytes.data() + skip, qsizetype(bytes.size() - skip)));
  const QByteArray utf8 = text.toUtf8();
  std::string note = name + ": read as " + what + ", converted to UTF-8";
  if (decode.hasError()) note += "; ill-formed sequences became U+FFFD";
  notices.push_back(note);
  return std::string(utf8.constData(), static_cast<std::size_t>(utf8.size()));
}

}  // namespace attnscope
