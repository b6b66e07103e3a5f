// Shared helpers of the tokenizer tests: fixture paths, temporary files, the pinned cases.
#pragma once

#include <string>
#include <vector>

namespace attnscope::test {

/// A file of tests/models/data (made by gpt2_bpe_reference.py).
std::string fixture(const std::string& name);

/// A fresh temporary folder, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// Writes `contents` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

std::string readText(const std::string& path);

struct PinnedCase {
  std::string name;
  std::string text;
  std::vector<int> ids;
};

/// data/expected.json: the ids the Python reference computed.
std::vector<PinnedCase> pinnedCases();

}  // namespace attnscope::test
