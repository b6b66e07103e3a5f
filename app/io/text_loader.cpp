#include "io/text_loader.h"

#include <QFile>
#include <QFileInfo>

#include "attnscope/error.h"

namespace attnscope {

std::string readTextFile(const QString& path, long long maxBytes) {
  const std::string name = path.toStdString();
  const QFileInfo info(path);
  if (!info.exists()) throw FileError(name + ": file not found");
  if (info.isDir()) throw FileError(name + ": is a folder, not a text file");
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

}  // namespace attnscope
