#include "model/export.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDirIterator>
#include <QFile>
#include <unistd.h>
#include <QFileInfo>
#include <QRegularExpression>
#include <algorithm>

#include "attnscope/atomic_file.h"
#include "attnscope/backend.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"
#include "model/backend_registry.h"
#include "model/model_survey.h"
#include "model/results_json.h"

namespace attnscope {

namespace {

void writeBytes(const QString& path, const QByteArray& bytes) {
  writeFileAtomically(path.toStdString(), std::string_view(bytes.constData(), bytes.size()));
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

bool isExportFileName(const QString& name) {
  static const QRegularExpression re(QStringLiteral(
      "^(metrics\\.json|session\\.json|tokens\\.json|rows\\.csv|layers\\.(csv|json)|spectra\\.csv|timing\\.csv|"
      "sweep\\.csv|hybrid\\.json|nll\\.csv|sensitivity\\.csv|schedule\\.csv|kv_rank\\.json|kv_rank_sweep\\.csv|kv_energy\\.csv|mixing\\.(npy|csv)|[qkv]\\.npy|(output|row|spectrum|matrix|rollout)_[a-z0-9_-]+\\.npy)$"));
  return re.match(name).hasMatch();
}

void checkExportFolder(const QString& dirPath) {
  const QFileInfo info(dirPath);
  // The results are staged beside the folder: its parent (or the nearest one that exists) must
  // take new entries. Said now, not after a long analysis.
  QFileInfo parent(QFileInfo(QDir::cleanPath(info.absoluteFilePath())).absolutePath());
  while (!parent.exists() && parent.absoluteFilePath() != parent.absolutePath())
    parent = QFileInfo(parent.absolutePath());
  if (!parent.isDir() || ::access(QFile::encodeName(parent.absoluteFilePath()).constData(), W_OK | X_OK) != 0)
    throw FileError(dirPath.toStdString() + ": cannot write results there: " +
                    parent.absoluteFilePath().toStdString() + " is not a writable folder");
  if (!info.exists()) return;
  if (!info.isDir())
    throw FileError(dirPath.toStdString() + ": cannot write results there: it is a file");
  QDirIterator it(dirPath, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
  while (it.hasNext()) {
    it.next();
    const QFileInfo f = it.fileInfo();
    if (!f.isFile() || !isExportFileName(f.fileName()))
      throw FileError(dirPath.toStdString() + ": the folder holds '" + f.fileName().toStdString() +
                      "', which is not an attnscope result; writing would replace it. Choose an "
                      "empty folder, a new name, or a folder of earlier results");
  }
}

QStringList exportResults(const Results& res, const QString& dirPath, const ExportOptions& opts) {
  if (opts.matrices)
    requireDenseMapBudget(res.n, res.heads.size(), opts.matrixBudgetBytes, "the dense maps");
  checkExportFolder(dirPath);
  // Everything is written into a staging folder and put in place only when all of it is there.
  StagedFolder staged(QDir::cleanPath(QFileInfo(dirPath).absoluteFilePath()).toStdString());
  const QDir dir(QString::fromStdString(staged.target()));
  QStringList written;
  auto path = [&](const QString& name) {
    written << dir.filePath(name);
    return QString::fromStdString(staged.path(name.toStdString()));
  };
  auto npyPath = [&](const std::string& name) {
    return path(QString::fromStdString(name)).toStdString();
  };
  const bool oneHead = res.heads.size() == 1;

  writeBytes(path("metrics.json"), QJsonDocument(resultsToJson(res)).toJson(QJsonDocument::Indented));
  if (opts.hybrid) {
    writeBytes(path("hybrid.json"), QByteArray::fromStdString(opts.hybrid->json()));
    if (opts.hybrid->text) writeBytes(path("nll.csv"), QByteArray::fromStdString(opts.hybrid->nllCsv()));
  }
  if (opts.sensitivity) {
    writeBytes(path("sensitivity.csv"), QByteArray::fromStdString(opts.sensitivity->sensitivityCsv()));
    writeBytes(path("schedule.csv"), QByteArray::fromStdString(opts.sensitivity->scheduleCsv()));
  }
  if (opts.kvSweep) {
    writeBytes(path("kv_rank_sweep.csv"), QByteArray::fromStdString(opts.kvSweep->csv()));
    writeBytes(path("kv_energy.csv"), QByteArray::fromStdString(opts.kvSweep->energyCsv()));
  }
  if (res.model && res.model->kvRank)
    writeBytes(path("kv_rank.json"), QByteArray::fromStdString(res.model->kvRank->json()));
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
  if (res.mixingFit && res.mixingFit->heads.size() > 1) {
    // The fitted 𝓜 of every head: [H, M, M] (mixing.csv keeps the heads' mean, what the heatmap shows).
    NpyArray stack;
    const std::int64_t m = res.mixing.rows();
    stack.shape = {static_cast<std::int64_t>(res.mixingFit->heads.size()), m, m};
    stack.dtype = NpyDtype::Float64;
    for (const HeadMixingFit& f : res.mixingFit->heads)
      for (Eigen::Index a = 0; a < f.mixing.rows(); ++a)
        for (Eigen::Index b = 0; b < f.mixing.cols(); ++b) stack.data.push_back(f.mixing(a, b));
    writeNpy(npyPath("mixing.npy"), stack);
  } else {
    saveMixing(npyPath("mixing.npy"), res.mixing);
  }
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
  if (res.session.model.active()) {
    const TokenSet& t = res.input->tokens;
    QJsonArray ids, labels;
    for (int i = 0; i < t.size(); ++i) {
      ids.append(t.ids.empty() ? i : t.ids[static_cast<std::size_t>(i)]);
      labels.append(QString::fromStdString(t.tokens[static_cast<std::size_t>(i)].label));
    }
    writeBytes(path("tokens.json"),
               QJsonDocument(QJsonObject{{"ids", ids}, {"tokens", labels}}).toJson(QJsonDocument::Indented));
  }
  if (opts.qkv) {
    std::vector<MatrixF> q, k, v;
    for (const HeadQKV& h : res.input->qkv.heads()) {
      q.push_back(h.Q);
      k.push_back(h.K);
      v.push_back(h.V);
    }
    writeNpy(npyPath("q.npy"), q);
    writeNpy(npyPath("k.npy"), k);
    writeNpy(npyPath("v.npy"), v);
  }
  if (opts.survey) {
    writeBytes(path("layers.csv"), QByteArray::fromStdString(surveyCsv(*opts.survey)));
    writeBytes(path("layers.json"), QByteArray::fromStdString(surveyJson(*opts.survey)));
    if (opts.rollout)
      for (std::size_t k = 0; k < opts.rollout->maps.size(); ++k)
        writeNpy(npyPath("rollout_" + opts.survey->mechanisms[k] + ".npy"), opts.rollout->maps[k]);
  }
  staged.commit();
  return written;
}

}  // namespace attnscope
