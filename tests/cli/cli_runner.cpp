#include "cli_runner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <signal.h>

#include "attnscope/npy.h"

namespace attnscope::test {

Run run(const QStringList& args, const QProcessEnvironment& env, const std::function<void()>& inChild) {
  QProcess p;
  if (!env.isEmpty()) p.setProcessEnvironment(env);
  if (inChild) p.setChildProcessModifier(inChild);
  p.start(qEnvironmentVariable("ATTNSCOPE_BIN"), args);
  Run r;
  if (!p.waitForFinished(300000)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out";
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

Run runWithFileLimit(const QStringList& args, rlim_t bytes) {
  // SIGXFSZ is left as the program finds it (default: the process is killed): attnscope itself
  // must ignore it, and a test that ignored it here would hide the difference (issue 23).
  return run(args, QProcessEnvironment(), [bytes] {
    ::signal(SIGXFSZ, SIG_DFL);
    rlimit lim{};
    ::getrlimit(RLIMIT_FSIZE, &lim);
    lim.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lim);
  });
}

Run runWithMemoryLimit(const QStringList& args, rlim_t bytes) {
  return run(args, QProcessEnvironment(), [bytes] {
    rlimit lim{};
    ::getrlimit(RLIMIT_DATA, &lim);
    lim.rlim_cur = bytes;
    ::setrlimit(RLIMIT_DATA, &lim);
  });
}

QMap<QString, QByteArray> folderBytes(const QString& dir) {
  QMap<QString, QByteArray> out;
  for (const QFileInfo& f : QDir(dir).entryInfoList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot)) {
    QFile file(f.filePath());
    if (file.open(QIODevice::ReadOnly)) out[f.fileName()] = file.readAll();
  }
  return out;
}

QByteArray head(const QString& path, int n) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.read(n);
}

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QJsonParseError err;
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
  return err.error == QJsonParseError::NoError ? doc.object() : QJsonObject();
}

MatrixD load(const QString& path) { return toMatrix(readNpy(path.toStdString()), path.toStdString()); }


}  // namespace attnscope::test
