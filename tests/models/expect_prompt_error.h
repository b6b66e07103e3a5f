// Expecting a prompt, short FileError from a reader of hostile files (issue 23): a FIFO must not
// block open(), a deeply nested value must not be printed whole.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "attnscope/error.h"

namespace attnscope::test {

/// `load` must throw a FileError within 10 s whose message holds each of `parts` and is shorter
/// than `maxLength`.
inline void expectPromptShortError(const std::function<void()>& load, const std::vector<std::string>& parts,
                                   std::size_t maxLength = 400) {
  auto result = std::async(std::launch::async, [&]() -> std::string {
    try {
      load();
      return "(accepted)";
    } catch (const FileError& e) {
      return e.what();
    }
  });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "blocked for 10 s; expected an error with " << parts.front();
    std::abort();  // the reader is stuck in open(): nothing else can run in this process
  }
  const std::string m = result.get();
  for (const std::string& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "'" << p << "' in: " << m.substr(0, 500);
  EXPECT_LT(m.size(), maxLength) << m.substr(0, 500);
}

/// 100,000 levels of arrays (about 200 KB): a stack overflow for any recursive reader or printer.
inline std::string deepArray() { return std::string(100000, '[') + "1" + std::string(100000, ']'); }

}  // namespace attnscope::test
