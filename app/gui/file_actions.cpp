#include "gui/file_actions.h"

#include <QImageReader>

#include <QFileInfo>

#include "model/sample_models.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"

namespace attnscope::gui {

namespace {
QString imagePatterns() {
  QStringList pats;
  for (const QByteArray& f : QImageReader::supportedImageFormats()) pats << QStringLiteral("*.") + QString::fromLatin1(f);
  pats.removeDuplicates();
  return pats.join(QLatin1Char(' '));
}
}  // namespace

QString openFileFilter() {
  // All files first: texts without an extension (LICENSE, COPYING) are shown by default; the
  // program tells the kinds apart by content.
  return QObject::tr("All files (*);;All supported (%1 *.txt *.md *.npy *.json *.safetensors);;Images (%1);;"
                     "Text (*.txt *.md);;Q/K/V (*.npy);;Session (*.json);;Model (*.safetensors)")
      .arg(imagePatterns());
}

QString openFileFilter(SourceKind kind) {
  switch (kind) {
    case SourceKind::Image: return QObject::tr("Images (%1);;All files (*)").arg(imagePatterns());
    case SourceKind::Text: return QObject::tr("All files (*);;Text (*.txt *.md)");
    case SourceKind::Npy: return QObject::tr("Q/K/V (*.npy);;All files (*)");
    default: return openFileFilter();
  }
}

bool fileIsKind(const QString& path, SourceKind kind) {
  if (path.isEmpty()) return false;
  try {
    const FileKind k = classifyFile(path);
    return (kind == SourceKind::Image && k == FileKind::Image) ||
           (kind == SourceKind::Text && k == FileKind::Text) || (kind == SourceKind::Npy && k == FileKind::Npy);
  } catch (const Error&) {
    return false;
  }
}

bool isModelPath(const QString& path) {
  const QFileInfo f(path);
  return f.isDir() || path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) ||
         path.endsWith(QLatin1String(".safetensors.index.json"), Qt::CaseInsensitive);
}

Session sessionForModel(const QString& path, const Session& current) {
  return sessionWithModel(QFileInfo(path).absoluteFilePath().toStdString(), current);
}

FileKind classifyFile(const QString& path) { return sniffFileKind(path); }

Session sessionForFile(const QString& path, const Session& current, const QString& kPath,
                       const QString& vPath) {
  SessionSource src;
  switch (classifyFile(path)) {  // throws FileError naming a missing file
    case FileKind::Session: return loadSession(path);
    case FileKind::Image:
      src.kind = SourceKind::Image;
      src.path = path.toStdString();
      break;
    case FileKind::Text:
      src.kind = SourceKind::Text;
      src.path = path.toStdString();
      break;
    case FileKind::Npy:
      if (kPath.isEmpty() || vPath.isEmpty())
        throw InvalidArgument(path.toStdString() + ": a .npy Q needs its K and V files too");
      src.kind = SourceKind::Npy;
      src.qPath = path.toStdString();
      src.kPath = kPath.toStdString();
      src.vPath = vPath.toStdString();
      break;
  }
  Session s = current;
  s.setSource(src);
  return s;
}

void exportFigure(std::shared_ptr<const Results> results, const ViewSettings& view,
                  const std::vector<Panel>& panels, const QString& path, int dpi,
                  const FigureStyle& style) {
  if (!results) throw InvalidArgument("nothing to export yet: the analysis has not finished");
  const int width = panels.size() == 1 && panels[0] != Panel::Maps ? 700 : 1500;
  exportFigureFile(std::move(results), view, panels, path, dpi, exportStyle(path, style), width);
}

ExportOptions dataExportOptions(const Results& results) {
  ExportOptions o;
  o.matrixBudgetBytes = kDataExportMatrixBytes;
  o.matrices = denseMapBytes(results) <= kDataExportMatrixBytes;
  return o;
}

}  // namespace attnscope::gui
