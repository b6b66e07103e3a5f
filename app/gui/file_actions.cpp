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
  Session s = current;
  switch (classifyFile(path)) {  // throws FileError naming a missing file
    case FileKind::Session: return loadSession(path);
    case FileKind::Image:
      s.source = SessionSource{};
      s.source.kind = SourceKind::Image;
      s.source.path = path.toStdString();
      break;
    case FileKind::Text:
      s.source = SessionSource{};
      s.source.kind = SourceKind::Text;
      s.source.path = path.toStdString();
      break;
    case FileKind::Npy:
      if (kPath.isEmpty() || vPath.isEmpty())
        throw InvalidArgument(path.toStdString() + ": a .npy Q needs its K and V files too");
      s.source = SessionSource{};
      s.source.kind = SourceKind::Npy;
      s.source.qPath = path.toStdString();
      s.source.kPath = kPath.toStdString();
      s.source.vPath = vPath.toStdString();
      break;
  }
  s.query = s.queryRow = s.queryCol = -1;
  s.customMixing = MatrixD();
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
