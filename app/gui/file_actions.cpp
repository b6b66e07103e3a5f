#include "gui/file_actions.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"

namespace attnscope::gui {

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
  FigureComposer composer(std::move(results), view, panels, style, width);
  composer.exportTo(path, dpi);
}

ExportOptions dataExportOptions(const Results& results) {
  ExportOptions o;
  o.matrixBudgetBytes = kDataExportMatrixBytes;
  o.matrices = denseMapBytes(results) <= kDataExportMatrixBytes;
  return o;
}

}  // namespace attnscope::gui
