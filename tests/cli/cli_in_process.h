// The command line run in the test's own process (where a test registered its own mechanism,
// setting, family or panel), its stdout and stderr captured.
#pragma once

#include <QString>
#include <QStringList>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace attnscope::testing {

struct CliRun {
  int code = -1;
  QString out, err;
};

inline CliRun runCliInProcess(const QStringList& args) {
  std::vector<std::string> argv{"attnscope"};
  for (const QString& a : args) argv.push_back(a.toStdString());
  std::ostringstream out, err;
  std::streambuf* o = std::cout.rdbuf(out.rdbuf());
  std::streambuf* e = std::cerr.rdbuf(err.rdbuf());
  CliRun r;
  r.code = cli::runCli(argv);
  std::cout.rdbuf(o);
  std::cerr.rdbuf(e);
  r.out = QString::fromStdString(out.str());
  r.err = QString::fromStdString(err.str());
  return r;
}

}  // namespace attnscope::testing
