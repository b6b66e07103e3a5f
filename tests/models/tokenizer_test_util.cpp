#include "tokenizer_test_util.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace attnscope::test {

std::string fixture(const std::string& name) { return std::string(ATTNSCOPE_TOKENIZER_FIXTURES) + "/" + name; }

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  namespace fs = std::filesystem;
  const fs::path p = fs::temp_directory_path() /
                     ("attnscope_tok_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::create_directories(p);
  path_ = p.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& contents) const {
  const std::string p = path_ + "/" + name;
  std::ofstream out(p, std::ios::binary);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + p);
  return p;
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<PinnedCase> pinnedCases() {
  const auto doc = nlohmann::json::parse(readText(fixture("expected.json")));
  std::vector<PinnedCase> cases;
  for (const auto& c : doc.at("cases")) {
    cases.push_back({c.at("name").get<std::string>(), c.at("text").get<std::string>(),
                     c.at("ids").get<std::vector<int>>()});
  }
  return cases;
}

}  // namespace attnscope::test
