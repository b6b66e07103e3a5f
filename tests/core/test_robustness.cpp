// Regression tests for what fuzzing and the bad-input battery found (issue #7, docs/robustness.md):
// each test failed before its fix.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/resource.h>
#endif

#include "attnscope/eigen_backend.h"
#include "attnscope/error.h"
#include "attnscope/input/input.h"
#include "attnscope/input/text_tokenizer.h"
#include "attnscope/input/utf8.h"
#include "attnscope/mixing.h"
#include "attnscope/npy.h"

using namespace attnscope;

namespace {

std::string npyBytes(const std::vector<std::int64_t>& shape, std::vector<double> data) {
  NpyArray a;
  a.shape = shape;
  a.data = std::move(data);
  a.dtype = NpyDtype::Float64;
  return serializeNpy(a);
}

/// Peak resident set size of this process in MiB (0 where unknown).
long peakRssMiB() {
#if defined(__linux__)
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
#else
  return 0;
#endif
}

}  // namespace

// fuzz_mixing: a 0×0 .npy passed validateMixing(mix, 0) and was returned as a mixing matrix.
TEST(Robustness, EmptyMixingMatrixIsRefused) {
  try {
    (void)parseMixing(npyBytes({0, 0}, {}), "empty.npy");
    FAIL() << "a 0×0 mixing matrix was accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.npy"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)parseMixing(npyBytes({0, 3}, {}), "flat.npy"), FileError);
  // A 1×1 matrix is the smallest valid one.
  EXPECT_EQ(parseMixing(npyBytes({1, 1}, {2.0}), "one.npy").rows(), 1);
}

// A NUL byte inside a CSV cell ended the number early: "1\0x" was read as 1.
TEST(Robustness, CsvCellWithNulByteIsNotANumber) {
  const std::string csv("1\0x,1\n1,1\n", 10);
  ASSERT_EQ(csv.size(), 10u);
  try {
    (void)parseMixingCsv(csv, "nul.csv");
    FAIL() << "a cell with a NUL byte was read as a number";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("nul.csv, line 1"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW((void)parseMixing("1,1\n1,1\n", "ok.csv"));
}

// The tokenizer decoded the whole text into 32-byte code points first: a 64 MiB text (the loader's
// cap) took 2 GiB before the token budget dropped all but the first tokens. It now decodes on the
// fly, so memory stays O(token budget).
TEST(Robustness, HugeTextTokenizesInBoundedMemory) {
  const std::size_t bytes = std::size_t(64) << 20;
  std::string text;
  text.reserve(bytes);
  while (text.size() + 5 <= bytes) text += "word ";
  const std::size_t words = text.size() / 5;
  const long before = peakRssMiB();
  const TokenSet t = tokenizeText(text, kMaxTokenBudget, "huge.txt");
  const long grown = peakRssMiB() - before;
  EXPECT_EQ(t.size(), kMaxTokenBudget);
  EXPECT_EQ(t.tokensBeforeBudget, words);
  ASSERT_FALSE(t.notices.empty());
  EXPECT_NE(t.notices.back().find("only the first 65536"), std::string::npos) << t.notices.back();
  EXPECT_LT(grown, 512) << "tokenizing 64 MiB grew the peak RSS by " << grown << " MiB";
}

// The on-the-fly decoder gives the same spans as decodeUtf8 on ill-formed input.
TEST(Robustness, StreamingDecoderMatchesDecodeUtf8) {
  const std::string s = "a\xff\xc3(\xe2\x82\xac\xed\xa0\x80\xf0\x9f\x98\x80\xf4\x90\x80\x80z\xe2\x82";
  const auto all = decodeUtf8(s);
  std::size_t p = 0, k = 0;
  while (p < s.size()) {
    const CodePoint cp = decodeUtf8At(s, p);
    ASSERT_LT(k, all.size());
    EXPECT_EQ(cp.value, all[k].value);
    EXPECT_EQ(cp.begin, all[k].begin);
    EXPECT_EQ(cp.end, all[k].end);
    EXPECT_EQ(cp.replaced, all[k].replaced);
    p = cp.end;
    ++k;
  }
  EXPECT_EQ(k, all.size());
}

// Issue 15: mixing CSVs as spreadsheets save them.
TEST(Robustness, SpreadsheetCsvVariantsReadTheSameMatrix) {
  const MatrixD expected = (MatrixD(2, 2) << 0.5625, 0.4375, 0.25, 0.75).finished();
  const std::string plain = "0.5625,0.4375\n0.25,0.75\n";
  auto utf16 = [](const std::string& s, bool little) {
    std::string out = little ? std::string("\xFF\xFE", 2) : std::string("\xFE\xFF", 2);
    for (char c : s) out += little ? std::string{c, '\0'} : std::string{'\0', c};
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"UTF-8 BOM (Excel's CSV UTF-8)", "\xEF\xBB\xBF" + plain},
      {"CR-only line ends", "0.5625,0.4375\r0.25,0.75\r"},
      {"CRLF line ends", "0.5625;0.4375\r\n0.25;0.75\r\n"},
      {"UTF-16LE with BOM", utf16(plain, true)},
      {"UTF-16BE with BOM", utf16(plain, false)},
  };
  for (const auto& [what, bytes] : variants) {
    SCOPED_TRACE(what);
    MatrixD got;
    ASSERT_NO_THROW(got = parseMixingCsv(bytes, "m.csv"));
    EXPECT_EQ(got, expected);
  }
  // UTF-16 without a BOM is named, not read as garbage cut at a NUL.
  std::string noBom;
  for (char c : plain) noBom += std::string{c, '\0'};
  try {
    (void)parseMixingCsv(noBom, "m16.csv");
    FAIL() << "BOM-less UTF-16 was accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("m16.csv: looks like UTF-16"), std::string::npos) << e.what();
  }
}

// Issue 15: more threads than cores only contend; the backend uses the cores.
TEST(Robustness, ThreadsAreClampedToTheHardware) {
  EigenBackend many(1000);
  EXPECT_EQ(many.threads(), hardwareThreads());
  EigenBackend one(1);
  EXPECT_EQ(one.threads(), 1);
  EigenBackend all(0);
  EXPECT_EQ(all.threads(), hardwareThreads());
}
