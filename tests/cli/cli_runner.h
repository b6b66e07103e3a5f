// What the CLI test executables share: running the `attnscope` binary ($ATTNSCOPE_BIN), with
// limits, and reading what it wrote.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QtTest>
#include <functional>
#include <sys/resource.h>

#include "attnscope/types.h"

namespace attnscope::test {

struct Run {
  int code = -1;
  QString out, err;
};

/// Runs the binary; `inChild` runs in the child before it starts (limits).
Run run(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment(),
        const std::function<void()>& inChild = {});
/// Runs the binary with its files limited to `bytes` (RLIMIT_FSIZE: write() fails with EFBIG past
/// it, as a full disk fails with ENOSPC).
Run runWithFileLimit(const QStringList& args, rlim_t bytes);
/// Runs the binary with its data segment (heap and private mappings, RLIMIT_DATA) limited to
/// `bytes`: an unbounded allocation fails there instead of taking the machine's memory.
Run runWithMemoryLimit(const QStringList& args, rlim_t bytes);
/// Every file of a folder (name → bytes), hidden ones included.
QMap<QString, QByteArray> folderBytes(const QString& dir);
/// The first n bytes of a file.
QByteArray head(const QString& path, int n);
/// A JSON file's object (empty when unreadable).
QJsonObject readJson(const QString& path);
/// A .npy file as a double matrix.
MatrixD load(const QString& path);

}  // namespace attnscope::test

#define REQUIRE_RUN(r, expected) \
  QVERIFY2((r).code == (expected), qPrintable(QString("exit %1, stderr: %2").arg((r).code).arg((r).err)))
