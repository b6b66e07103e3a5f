#include "io/samples.h"

#include <QFile>

#include "attnscope/error.h"
#include "io/image_loader.h"

// Registers the resources of this static library (must be called outside any namespace).
static void initAttnscopeResources() {
  Q_INIT_RESOURCE(attnscope);
}

namespace attnscope {

QString sampleImagePath() {
  initAttnscopeResources();
  return QStringLiteral(":/attnscope/sample.png");
}

QString sampleTextPath() {
  initAttnscopeResources();
  return QStringLiteral(":/attnscope/sample.txt");
}

RgbImage sampleImage() {
  return loadImageFile(sampleImagePath()).image;
}

std::string sampleText() {
  QFile f(sampleTextPath());
  if (!f.open(QIODevice::ReadOnly)) throw FileError("built-in sample text is missing");
  const QByteArray bytes = f.readAll();
  return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size()));
}

}  // namespace attnscope
