#include "io/file_kind.h"

#include <QFile>
#include <QFileInfo>
#include <QStringList>
#include <algorithm>
#include <cstring>

#include "attnscope/error.h"

namespace attnscope {

namespace {

// `c` is one of the (NUL-free) characters of `set`.
bool isOneOf(char c, const char* set) { return c != '\0' && std::strchr(set, c) != nullptr; }

bool startsWith(const QByteArray& head, const char* magic, int size) {
  return head.size() >= size && std::equal(magic, magic + size, head.constData());
}

bool isImageMagic(const QByteArray& h) {
  if (startsWith(h, "\x89PNG\r\n\x1a\n", 8)) return true;
  if (startsWith(h, "\xFF\xD8\xFF", 3)) return true;
  if (startsWith(h, "GIF87a", 6) || startsWith(h, "GIF89a", 6)) return true;
  // "BM" alone starts English words; a BMP's bytes 6..9 are reserved and zero.
  if (startsWith(h, "BM", 2) && h.size() >= 14 && h[6] == 0 && h[7] == 0 && h[8] == 0 && h[9] == 0)
    return true;
  if (startsWith(h, "RIFF", 4) && h.size() >= 12 && h.mid(8, 4) == "WEBP") return true;
  return startsWith(h, "II*\0", 4) || startsWith(h, "MM\0*", 4);
}

// PNM ("P1".."P7" then whitespace) and XPM: formats that are text at their start.
bool isWeakImageMagic(const QByteArray& h) {
  if (h.size() >= 3 && h[0] == 'P' && h[1] >= '1' && h[1] <= '7' &&
      isOneOf(h[2], " \t\r\n"))
    return true;
  return h.startsWith("/* XPM */");
}

// Length of the UTF-8 sequence that starts with lead byte `c`, 0 when `c` cannot start one.
int sequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// NUL or other control bytes, or invalid UTF-8 (a sequence cut off by the end of `h` is allowed:
// the head is only the start of the file).
bool looksBinary(const QByteArray& h) {
  const auto* p = reinterpret_cast<const unsigned char*>(h.constData());
  const int n = static_cast<int>(h.size());
  for (int i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1B)
      return true;
    if (c == 0x7F) return true;
    const int len = sequenceLength(c);
    if (len == 0) return true;
    for (int k = 1; k < len; ++k) {
      if (i + k >= n) return false;
      if ((p[i + k] & 0xC0) != 0x80) return true;
    }
    i += len;
  }
  return false;
}

bool startsWithBrace(const QByteArray& h) {
  int i = h.startsWith("\xEF\xBB\xBF") ? 3 : 0;
  while (i < h.size() && isOneOf(h[i], " \t\r\n\f\v")) ++i;
  return i < h.size() && h[i] == '{';
}

FileKind byExtension(const QString& name) {
  static const QStringList images = {"png", "jpg",  "jpeg", "bmp", "gif", "webp", "tif",
                                     "tiff", "ppm", "pgm",  "pbm", "pnm", "pam",  "xpm"};
  const QString ext = QFileInfo(name).suffix().toLower();
  if (images.contains(ext)) return FileKind::Image;
  if (ext == "npy") return FileKind::Npy;
  if (ext == "json") return FileKind::Session;
  return FileKind::Text;
}

}  // namespace

FileKind sniffBytes(const QByteArray& head, const QString& nameForTieBreak) {
  if (isImageMagic(head)) return FileKind::Image;
  if (head.startsWith("\x93NUMPY")) return FileKind::Npy;
  if (startsWithBrace(head)) return FileKind::Session;
  if (isWeakImageMagic(head) || looksBinary(head)) return byExtension(nameForTieBreak);
  return FileKind::Text;
}

FileKind sniffFileKind(const QString& path) {
  const std::string name = path.toStdString();
  const QFileInfo info(path);
  if (!info.exists()) throw FileError(name + ": no such file");
  if (info.isDir()) throw FileError(name + ": is a folder, not an input file");
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly))
    throw FileError(name + ": cannot open the file (" + f.errorString().toStdString() + ")");
  const QByteArray head = f.read(kSniffBytes);
  if (head.isEmpty() && f.error() != QFileDevice::NoError)
    throw FileError(name + ": cannot read the file (" + f.errorString().toStdString() + ")");
  return sniffBytes(head, path);
}

const char* fileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::Session: return "session";
    case FileKind::Image: return "image";
    case FileKind::Text: return "text";
    case FileKind::Npy: return "npy";
  }
  return "?";
}

}  // namespace attnscope
