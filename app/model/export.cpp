#include "model/export.h"

#include <QDir>
#include <QJsonDocument>
#include <QSaveFile>
#include <algorithm>

#include "attnscope/backend.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"
#include "model/backend_registry.h"
#include "model/results_json.h"

namespace attnscope {

namespace {

void writeBytes(const QString& path, const QByteArray& bytes) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
    throw FileError(path.toStdString() + ": cannot write: " + f.errorString().toStdString());
}

QString num(double v) { return QString::number(v, 'g', 17); }

/// Spectra of several heads as one [H, K] array, zero-padded to the longest.
NpyArray stackSpectra(const std::vector<Spectrum>& spectra) {
  Eigen::Index k = 0;
  for (const Spectrum& s : spectra) k = std::max(k, s.sigma.size());
  NpyArray a;
  a.dtype = NpyDtype::Float64;
  a.shape = {static_cast<std::int64_t>(spectra.size()), static_cast<std::int64_t>(k)};
  a.data.assign(spectra.size() * k, 0.0);
  for (size_t h = 0; h < spectra.size(); ++h)
    for (Eigen::Index i = 0; i < spectra[h].sigma.size(); ++i)
      a.data[h * k + i] = spectra[h].sigma[i];
  return a;
}

}  // namespace

std::size_t denseMapBytes(const Results& res) {
  return std::size_t(res.n) * std::size_t(res.n) * res.heads.size() * sizeof(float);
}

void requireDenseMapBudget(int n, std::size_t heads, std::size_t budgetBytes, const char* what) {
  requireBudget(std::size_t(n), sizeof(float) * std::max<std::size_t>(1, heads), budgetBytes, what);
}

QStringList exportResults(const Results& res, const QString& dirPath, const ExportOptions& opts) {
  if (opts.matrices)
    requireDenseMapBudget(res.n, res.heads.size(), opts.matrixBudgetBytes, "the dense maps");
  QDir dir(dirPath);
  if (!dir.exists() && !QDir().mkpath(dirPath))
    throw FileError(dirPath.toStdString() + ": cannot create the folder");
  QStringList written;
  auto path = [&](const QString& name) {
    written << dir.filePath(name);
    return dir.filePath(name);
  };
  auto npyPath = [&](const std::string& name) {
    return path(QString::fromStdString(name)).toStdString();
  };
  const bool oneHead = res.heads.size() == 1;

  writeBytes(path("metrics.json"), QJsonDocument(resultsToJson(res)).toJson(QJsonDocument::Indented));
  writeBytes(path("session.json"),
             QJsonDocument(res.session.toJson()).toJson(QJsonDocument::Indented));

  QString rows = "token";
  QString spectra = "mechanism,head,k,sigma\n";
  bool anySpectra = false;
  for (const MechanismResult& m : res.mechanisms) {
    rows += "," + QString::fromStdString(m.name);
    if (oneHead)
      writeNpy(npyPath("output_" + m.name + ".npy"), m.outputs[0]);
    else
      writeNpy(npyPath("output_" + m.name + ".npy"), m.outputs);
    writeNpy(npyPath("row_" + m.name + ".npy"), m.shownRow);
    if (!m.spectra.empty()) {
      anySpectra = true;
      if (oneHead)
        writeNpy(npyPath("spectrum_" + m.name + ".npy"), m.spectra[0].sigma);
      else
        writeNpy(npyPath("spectrum_" + m.name + ".npy"), stackSpectra(m.spectra));
      for (std::size_t h = 0; h < m.spectra.size(); ++h)
        for (Eigen::Index k = 0; k < m.spectra[h].sigma.size(); ++k)
          spectra += QString("%1,%2,%3,%4\n")
                         .arg(QString::fromStdString(m.name))
                         .arg(res.heads[h])
                         .arg(k + 1)
                         .arg(num(m.spectra[h].sigma[k]));
    }
  }
  rows += "\n";
  for (int j = 0; j < res.n; ++j) {
    rows += QString::number(j);
    for (const MechanismResult& m : res.mechanisms) rows += "," + num(m.shownRow[j]);
    rows += "\n";
  }
  writeBytes(path("rows.csv"), rows.toUtf8());
  if (anySpectra) writeBytes(path("spectra.csv"), spectra.toUtf8());
  saveMixing(npyPath("mixing.npy"), res.mixing);
  saveMixing(npyPath("mixing.csv"), res.mixing);

  // One row per mechanism and backend; includes_transfers = 0 for device-resident GPU times.
  QString timing = "mechanism,backend,n,heads,median_ms,min_ms,max_ms,gflops,includes_transfers\n";
  bool anyTiming = false;
  for (const MechanismResult& m : res.mechanisms)
    for (const TimingResult& t : m.timings) {
      anyTiming = true;
      timing += QString("%1,%2,%3,%4,%5,%6,%7,%8,%9\n")
                    .arg(QString::fromStdString(m.name), QString::fromStdString(t.backend))
                    .arg(t.n)
                    .arg(t.heads)
                    .arg(num(t.medianMs), num(t.minMs), num(t.maxMs), num(t.gflops))
                    .arg(t.includesTransfers ? 1 : 0);
    }
  if (anyTiming) writeBytes(path("timing.csv"), timing.toUtf8());

  if (res.sweep && !res.sweep->empty()) {
    QString sw = "backend,n,mechanism,median_ms,min_ms,max_ms,gflops\n";
    for (const SweepSeries& ser : res.sweep->series)
      for (const SweepPoint& p : ser.points)
        for (std::size_t k = 0; k < p.timing.size(); ++k) {
          const TimingResult& t = p.timing[k];
          sw += QString("%1,%2,%3,%4,%5,%6,%7\n")
                    .arg(QString::fromStdString(ser.backend))
                    .arg(p.n)
                    .arg(QString::fromStdString(res.sweep->mechanisms[k]))
                    .arg(num(t.medianMs), num(t.minMs), num(t.maxMs), num(t.gflops));
        }
    writeBytes(path("sweep.csv"), sw.toUtf8());
  }

  if (opts.matrices) {
    const Session& s = res.session;
    std::unique_ptr<Backend> backend = makeBackend(s.backend, s.threads);
    backend->setMatrixBudget(opts.matrixBudgetBytes);
    HeadSel sel = HeadSel::all();
    if (oneHead) sel = HeadSel::one(res.heads[0]);
    for (const MechanismResult& m : res.mechanisms) {
      std::vector<MatrixF> maps = backend->attentionMatrix(m.spec, res.input->qkv, sel);
      if (oneHead)
        writeNpy(npyPath("matrix_" + m.name + ".npy"), maps[0]);
      else
        writeNpy(npyPath("matrix_" + m.name + ".npy"), maps);
    }
  }
  return written;
}

}  // namespace attnscope
