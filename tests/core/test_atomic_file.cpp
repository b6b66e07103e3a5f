// Files and folders written whole or not at all (atomic_file.h): a size limit standing in for a
// full disk (RLIMIT_FSIZE makes write() fail with EFBIG, as ENOSPC would), concurrent writers, and
// a staged folder that is committed, abandoned or raced.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "attnscope/atomic_file.h"
#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"

namespace fs = std::filesystem;
using namespace attnscope;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path freshDir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("attnscope_atomic_" + name + "_" +
                                                   std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// Files in `dir` (names), hidden ones included.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// While alive, files of this process cannot grow past `bytes` (a full disk for the writer).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit lim = saved_;
    lim.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_);
  }

 private:
  rlimit saved_{};
  sighandler_t old_;
};

}  // namespace

TEST(AtomicFile, WritesAndReplaces) {
  const fs::path d = freshDir("write");
  const std::string p = (d / "a.txt").string();
  writeFileAtomically(p, "first");
  EXPECT_EQ(slurp(p), "first");
  writeFileAtomically(p, std::string(100000, 'x'));
  EXPECT_EQ(slurp(p), std::string(100000, 'x'));
  writeFileAtomically(p, "");
  EXPECT_EQ(slurp(p), "");
  EXPECT_EQ(entries(d), std::vector<std::string>{"a.txt"});  // no temporaries left behind
  fs::remove_all(d);
}

TEST(AtomicFile, AFullDiskKeepsTheOldFileAndSaysSo) {
  const fs::path d = freshDir("full");
  const std::string p = (d / "session.json").string();
  writeFileAtomically(p, "the user's good file");
  {
    FileSizeLimit limit(1000);
    try {
      writeFileAtomically(p, std::string(5000, 'n'));
      FAIL() << "a write past the limit succeeded";
    } catch (const FileError& e) {
      EXPECT_NE(std::string(e.what()).find("session.json: cannot write"), std::string::npos)
          << e.what();
    }
    // The same through the .npy and mixing writers, which use it.
    const std::string npy = (d / "m.npy").string(), csv = (d / "m.csv").string();
    const MatrixD ones = MatrixD::Ones(40, 40);
    EXPECT_THROW(writeNpy(npy, ones), FileError);
    EXPECT_THROW(saveMixing(csv, MatrixD::Constant(30, 30, 1.0 / 30)), FileError);
  }
  EXPECT_EQ(slurp(p), "the user's good file");
  EXPECT_EQ(entries(d), std::vector<std::string>{"session.json"});
  fs::remove_all(d);
}

TEST(AtomicFile, ConcurrentWritersNeverMixOrFail) {
  const fs::path d = freshDir("concurrent");
  const std::string p = (d / "out.npy").string();
  std::vector<std::string> contents;
  for (int i = 0; i < 8; ++i) contents.push_back(std::string(20000 + i, char('a' + i)));
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      for (int round = 0; round < 20; ++round) {
        try {
          writeFileAtomically(p, contents[i]);
        } catch (const FileError&) {
          ++failures[i];
        }
      }
    });
  for (auto& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  const std::string got = slurp(p);
  EXPECT_NE(std::find(contents.begin(), contents.end(), got), contents.end())
      << "the file holds a mix of writers (" << got.size() << " bytes)";
  EXPECT_EQ(entries(d), std::vector<std::string>{"out.npy"});
  fs::remove_all(d);
}

TEST(StagedFolder, CommitReplacesTheWholeFolder) {
  const fs::path d = freshDir("staged");
  const fs::path target = d / "run";
  {
    StagedFolder s(target.string());
    writeFileAtomically(s.path("a.npy"), "A1");
    writeFileAtomically(s.path("b.npy"), "B1");
    EXPECT_FALSE(fs::exists(target));  // nothing visible before the commit
    s.commit();
  }
  EXPECT_EQ(entries(target), (std::vector<std::string>{"a.npy", "b.npy"}));
  {
    StagedFolder s(target.string());
    writeFileAtomically(s.path("a.npy"), "A2");  // b.npy is not part of the new run
    s.commit();
  }
  EXPECT_EQ(entries(target), std::vector<std::string>{"a.npy"});
  EXPECT_EQ(slurp(target / "a.npy"), "A2");
  EXPECT_EQ(entries(d), std::vector<std::string>{"run"});  // staging and old folders removed
  fs::remove_all(d);
}

TEST(StagedFolder, AFailedRunLeavesTheOldFolder) {
  const fs::path d = freshDir("failed");
  const fs::path target = d / "run";
  {
    StagedFolder s(target.string());
    writeFileAtomically(s.path("metrics.json"), "old metrics");
    writeFileAtomically(s.path("row_mhla.npy"), "old mhla");
    s.commit();
  }
  try {
    StagedFolder s(target.string());
    writeFileAtomically(s.path("row_softmax.npy"), "new softmax");
    FileSizeLimit limit(100);
    writeFileAtomically(s.path("row_mhla.npy"), std::string(1000, 'm'));  // the disk fills up
    s.commit();
    FAIL() << "the run did not fail";
  } catch (const FileError&) {
  }
  EXPECT_EQ(entries(target), (std::vector<std::string>{"metrics.json", "row_mhla.npy"}));
  EXPECT_EQ(slurp(target / "row_mhla.npy"), "old mhla");
  EXPECT_EQ(entries(d), std::vector<std::string>{"run"});
  fs::remove_all(d);
}

TEST(StagedFolder, ConcurrentRunsEachCommitAWholeFolder) {
  const fs::path d = freshDir("race");
  const fs::path target = d / "run";
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int round = 0; round < 10; ++round) {
        try {
          StagedFolder s(target.string());
          for (const char* f : {"metrics.json", "row_softmax.npy", "row_mhla.npy"})
            writeFileAtomically(s.path(f), "run " + std::to_string(i));
          s.commit();
        } catch (const FileError&) {
          ++failures[i];
        }
      }
    });
  for (auto& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  const std::string first = slurp(target / "metrics.json");
  for (const char* f : {"row_softmax.npy", "row_mhla.npy"}) EXPECT_EQ(slurp(target / f), first);
  EXPECT_EQ(entries(d), std::vector<std::string>{"run"});
  fs::remove_all(d);
}

TEST(StagedFolder, RefusesAFileInTheWay) {
  const fs::path d = freshDir("file");
  writeFileAtomically((d / "run").string(), "a file");
  EXPECT_THROW(StagedFolder((d / "run").string()), FileError);
  fs::remove_all(d);
}

// Issue 23: a signal while writing removes the staging folder, then ends the process as the signal
// would (it used to leave "out/.run.XXXXXX" with partial files, never cleaned).
TEST(StagedFolder, ASignalWhileWritingRemovesTheStagingFolder) {
  for (int sig : {SIGTERM, SIGINT}) {
    const fs::path d = freshDir("signal" + std::to_string(sig));
    const fs::path target = d / "run";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      StagedFolder s(target.string());
      writeFileAtomically(s.path("metrics.json"), "partial");
      writeFileAtomically(s.path("row_mhla.npy"), std::string(100000, 'x'));
      ::raise(sig);
      ::_exit(0);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "status " << status;
    EXPECT_EQ(entries(d), std::vector<std::string>{}) << "left: " << (entries(d).empty() ? "" : entries(d)[0]);
    fs::remove_all(d);
  }
}

// What a SIGKILL leaves is removed by the next run: staging names carry the writer's pid, and the
// leftovers of writers no longer alive go; those of a live writer and other hidden files stay.
TEST(StagedFolder, LeftoversOfDeadWritersAreRemovedByTheNextRun) {
  const fs::path d = freshDir("leftovers");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // `child` is now a pid no process has
  const std::string dead = ".run." + std::to_string(child) + ".Ab3dEf";
  const std::string live = ".run." + std::to_string(::getppid()) + ".Gh5jKl";
  for (const std::string& name : {dead, dead + ".old", live, std::string(".run.keep")}) {
    fs::create_directories(d / name);
    std::ofstream(d / name / "row_mhla.npy") << "partial";
  }
  {
    StagedFolder s((d / "run").string());
    writeFileAtomically(s.path("metrics.json"), "new");
    s.commit();
  }
  EXPECT_EQ(entries(d), (std::vector<std::string>{live, ".run.keep", "run"}));
  fs::remove_all(d);
}

// A write that fails inside a staging folder names the target's path, not the hidden staging one.
TEST(StagedFolder, WriteErrorsNameTheTargetNotTheStagingPath) {
  const fs::path d = freshDir("message");
  const fs::path target = d / "run";
  try {
    StagedFolder s(target.string());
    FileSizeLimit limit(100);
    writeFileAtomically(s.path("row_mhla.npy"), std::string(1000, 'm'));
    FAIL() << "the write did not fail";
  } catch (const FileError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find((target / "row_mhla.npy").string() + ": cannot write"), std::string::npos) << m;
    EXPECT_EQ(m.find("/.run."), std::string::npos) << m;
  }
  EXPECT_EQ(entries(d), std::vector<std::string>{});
  fs::remove_all(d);
}
