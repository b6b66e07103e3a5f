#include "gui/file_actions.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include "attnscope/attention.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"
#include "model/results_json.h"

namespace attnscope::gui {

FileKind classifyFile(const QString& path) {
  const QString ext = QFileInfo(path).suffix().toLower();
  if (ext == "json") return FileKind::Session;
  if (ext == "npy") return FileKind::Npy;
  static const QStringList images = {"png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff", "ppm", "pgm"};
  if (images.contains(ext)) return FileKind::Image;
  return FileKind::Text;
}

Session sessionForFile(const QString& path, const Session& current, const QString& kPath,
                       const QString& vPath) {
  if (!QFileInfo::exists(path)) throw FileError(path.toStdString() + ": no such file");
  SessionSource src;
  switch (classifyFile(path)) {
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

namespace {
void writeText(const QString& path, const QString& text) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text))
    throw FileError(path.toStdString() + ": cannot write (" + f.errorString().toStdString() + ")");
  f.write(text.toUtf8());
}
}  // namespace

QStringList exportData(const Results& res, const SweepResult& sweep, const QString& dir,
                       std::size_t budgetBytes, const std::vector<const PreparedAttention*>& maps) {
  QDir d(dir);
  if (!d.exists() && !QDir().mkpath(dir)) throw FileError(dir.toStdString() + ": cannot create");
  QStringList written;
  auto path = [&](const QString& name) {
    written << d.filePath(name);
    return d.filePath(name);
  };
  writeText(path("results.json"),
            QString::fromUtf8(QJsonDocument(resultsToJson(res)).toJson(QJsonDocument::Indented)));
  MatrixD rows(3, res.n);
  for (int k = 0; k < 3; ++k) rows.row(k) = res.mechanisms[k].shownRow.transpose();
  writeNpy(path("rows.npy").toStdString(), rows);
  QString csv = "token,softmax,linear,mhla\n";
  for (int j = 0; j < res.n; ++j)
    csv += QString("%1,%2,%3,%4\n").arg(j).arg(rows(0, j), 0, 'g', 17).arg(rows(1, j), 0, 'g', 17).arg(rows(2, j), 0, 'g', 17);
  writeText(path("rows.csv"), csv);
  saveMixing(path("mixing.csv").toStdString(), res.mixing);
  saveMixing(path("mixing.npy").toStdString(), res.mixing);
  QString spec = "mechanism,head,k,sigma\n";
  for (const MechanismResult& m : res.mechanisms)
    for (std::size_t h = 0; h < m.spectra.size(); ++h)
      for (int k = 0; k < m.spectra[h].sigma.size(); ++k)
        spec += QString("%1,%2,%3,%4\n").arg(QString::fromStdString(m.name)).arg(res.heads[h]).arg(k + 1).arg(m.spectra[h].sigma[k], 0, 'g', 17);
  writeText(path("spectra.csv"), spec);
  // One row per mechanism and backend; includes_transfers = 0 for device-resident GPU times.
  QString tim = "mechanism,backend,n,heads,median_ms,min_ms,max_ms,gflops,includes_transfers\n";
  for (const MechanismResult& m : res.mechanisms)
    for (const TimingResult& t : m.timings)
      tim += QString("%1,%2,%3,%4,%5,%6,%7,%8,%9\n")
                 .arg(QString::fromStdString(m.name), QString::fromStdString(t.backend))
                 .arg(t.n)
                 .arg(t.heads)
                 .arg(t.medianMs)
                 .arg(t.minMs)
                 .arg(t.maxMs)
                 .arg(t.gflops)
                 .arg(t.includesTransfers ? 1 : 0);
  writeText(path("timing.csv"), tim);
  if (!sweep.empty()) {
    QString sw = "backend,n,mechanism,median_ms,min_ms,max_ms,gflops\n";
    const char* names[3] = {"softmax", "linear", "mhla"};
    for (const SweepSeries& ser : sweep.series)
      for (const SweepPoint& p : ser.points)
        for (int k = 0; k < 3; ++k)
          sw += QString("%1,%2,%3,%4,%5,%6,%7\n")
                    .arg(QString::fromStdString(ser.backend))
                    .arg(p.n)
                    .arg(names[k])
                    .arg(p.timing[k].medianMs)
                    .arg(p.timing[k].minMs)
                    .arg(p.timing[k].maxMs)
                    .arg(p.timing[k].gflops);
    writeText(path("sweep.csv"), sw);
  }
  const char* names[3] = {"softmax", "linear", "mhla"};
  for (std::size_t k = 0; k < maps.size() && k < 3; ++k) {
    if (!maps[k]) continue;
    const std::size_t bytes = std::size_t(res.n) * res.n * 4;
    if (bytes > budgetBytes) continue;
    writeNpy(path(QString("map_%1.npy").arg(names[k])).toStdString(), maps[k]->matrix(budgetBytes));
  }
  return written;
}

}  // namespace attnscope::gui
