#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "attnscope/error.h"
#include "attnscope/input/input.h"
#include "attnscope/input/patch_grid.h"
#include "attnscope/input/utf8.h"
#include "attnscope/npy.h"

namespace attnscope {

namespace {
// Shape [H, N, d] of one of the three arrays (a 2D [N, d] array is one head).
struct HeadShape {
  std::int64_t h = 0, n = 0, d = 0;
};

std::string shapeText(const NpyArray& a) {
  std::ostringstream os;
  os << "[";
  for (std::size_t k = 0; k < a.shape.size(); ++k) os << (k ? ", " : "") << a.shape[k];
  os << "]";
  return os.str();
}

HeadShape headShape(const NpyArray& a, const std::string& what, const std::string& path) {
  HeadShape s;
  if (a.shape.size() == 2) {
    s = {1, a.shape[0], a.shape[1]};
  } else if (a.shape.size() == 3) {
    s = {a.shape[0], a.shape[1], a.shape[2]};
  } else {
    throw FileError(path + ": " + what + " has shape " + shapeText(a) +
                    "; it must be [N, d] or [H, N, d]");
  }
  if (s.h < 1 || s.n < 1 || s.d < 1)
    throw FileError(path + ": " + what + " has shape " + shapeText(a) + ", which holds no values");
  if (s.n > kMaxTokenBudget || s.h > 64 || s.d > 4096) {
    std::ostringstream os;
    os << path << ": " << what << " has shape " << shapeText(a) << "; at most " << kMaxTokenBudget
       << " tokens, 64 heads and d = 4096 are supported";
    throw FileError(os.str());
  }
  for (std::size_t i = 0; i < a.data.size(); ++i)
    if (!std::isfinite(a.data[i])) {
      std::ostringstream os;
      const std::int64_t j = static_cast<std::int64_t>(i);
      os << path << ": " << what << " contains " << (std::isnan(a.data[i]) ? "NaN" : "Inf")
         << " at [head " << j / (s.n * s.d) << ", token " << (j / s.d) % s.n << ", column "
         << j % s.d << "]; attention needs finite values";
      throw FileError(os.str());
    }
  return s;
}

MatrixF headMatrix(const NpyArray& a, const HeadShape& s, std::int64_t head) {
  MatrixF m(s.n, s.d);
  const double* p = a.data.data() + head * s.n * s.d;
  for (std::int64_t i = 0; i < s.n; ++i)
    for (std::int64_t j = 0; j < s.d; ++j) m(i, j) = static_cast<float>(p[i * s.d + j]);
  return m;
}

void requireSame(const char* dim, std::int64_t q, std::int64_t other, const char* otherName,
                 const NpyQkvSettings& st, const std::string& otherPath) {
  if (q == other) return;
  std::ostringstream os;
  os << "Q/K/V shapes disagree: " << dim << " is " << q << " in Q (" << st.qPath << ") but "
     << other << " in " << otherName << " (" << otherPath << ")";
  throw FileError(os.str());
}

// One label per line (UTF-8; invalid bytes become U+FFFD; a final newline is not a label).
std::vector<std::string> readLabels(const std::string& path, std::int64_t n, TokenSet& set) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(path + ": cannot open the labels file");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> labels;
  std::string cur;
  std::size_t replaced = 0;
  for (const CodePoint& cp : decodeUtf8(bytes)) {
    if (cp.value == '\n') {
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      labels.push_back(cur);
      cur.clear();
    } else {
      replaced += cp.replaced ? 1 : 0;
      appendUtf8(cur, cp.value);
    }
  }
  if (!cur.empty()) {
    if (cur.back() == '\r') cur.pop_back();
    labels.push_back(cur);
  }
  if (static_cast<std::int64_t>(labels.size()) != n) {
    std::ostringstream os;
    os << path << ": the labels file has " << labels.size() << " lines but Q/K/V have " << n
       << " tokens (one label per line is needed)";
    throw FileError(os.str());
  }
  if (replaced > 0)
    set.notices.push_back(path + ": " + std::to_string(replaced) +
                          " invalid UTF-8 sequences in the labels replaced with U+FFFD");
  return labels;
}

void applyGrid(const NpyQkvSettings& st, std::int64_t n, TokenSet& set, RgbImage& image) {
  const bool hasGrid = st.gridRows != 0 || st.gridCols != 0;
  if (!hasGrid) {
    if (!st.background.empty())
      throw InvalidArgument(st.qPath + ": a background image needs a grid shape (rows × columns)");
    return;
  }
  std::ostringstream os;
  if (st.gridRows < 1 || st.gridCols < 1) {
    os << "grid shape " << st.gridRows << "×" << st.gridCols
       << " makes no grid: both rows and columns must be ≥ 1";
    throw InvalidArgument(os.str());
  }
  const std::int64_t cells = static_cast<std::int64_t>(st.gridRows) * st.gridCols;
  if (st.gridFirstToken < 0 || st.gridFirstToken + cells != n) {
    os << "grid " << st.gridRows << "×" << st.gridCols << " starting at token " << st.gridFirstToken
       << " covers " << cells << " tokens but " << st.qPath << " has " << n
       << " (set the first grid token, e.g. 1 for a CLS token)";
    throw InvalidArgument(os.str());
  }
  if (st.background.empty()) {
    fillGridTokens(set, st.gridRows, st.gridCols, st.gridCols, st.gridRows, st.gridFirstToken);
    set.patchSize = 1;
    return;
  }
  validateImage(st.background, "background image");
  if (st.background.width < st.gridCols || st.background.height < st.gridRows) {
    os << "background image (" << st.background.width << "×" << st.background.height
       << " pixels) is smaller than the " << st.gridRows << "×" << st.gridCols << " grid";
    throw InvalidArgument(os.str());
  }
  image = st.background;
  set.sourceWidth = image.width;
  set.sourceHeight = image.height;
  fillGridTokens(set, st.gridRows, st.gridCols, image.width, image.height, st.gridFirstToken);
  set.patchSize = image.width / st.gridCols;
}
}  // namespace

Input loadNpyInput(const NpyQkvSettings& st) {
  if (st.qPath.empty() || st.kPath.empty() || st.vPath.empty())
    throw InvalidArgument("Q/K/V from .npy: the Q, K and V file names are all needed");
  const NpyArray qa = readNpy(st.qPath);
  const NpyArray ka = readNpy(st.kPath);
  const NpyArray va = readNpy(st.vPath);
  const HeadShape q = headShape(qa, "Q", st.qPath);
  const HeadShape k = headShape(ka, "K", st.kPath);
  const HeadShape v = headShape(va, "V", st.vPath);
  requireSame("the number of heads H", q.h, k.h, "K", st, st.kPath);
  requireSame("the number of heads H", q.h, v.h, "V", st, st.vPath);
  requireSame("the number of tokens N", q.n, k.n, "K", st, st.kPath);
  requireSame("the number of tokens N", q.n, v.n, "V", st, st.vPath);
  requireSame("the key width d_k", q.d, k.d, "K", st, st.kPath);

  Input in;
  TokenSet& set = in.tokens;
  set.kind = InputKind::Npy;
  set.sourceName = st.qPath;
  set.tokens.resize(q.n);
  set.tokensBeforeBudget = set.tokens.size();
  applyGrid(st, q.n, set, in.image);
  if (!st.labelsPath.empty()) {
    const std::vector<std::string> labels = readLabels(st.labelsPath, q.n, set);
    for (std::int64_t i = 0; i < q.n; ++i) set.tokens[i].label = labels[i];
  }
  for (std::int64_t i = 0; i < q.n; ++i)
    if (set.tokens[i].label.empty() && set.tokens[i].row < 0)
      set.tokens[i].label = std::to_string(i);

  for (std::int64_t h = 0; h < q.h; ++h) in.qkv.addHead({headMatrix(qa, q, h), headMatrix(ka, k, h), headMatrix(va, v, h)});
  in.qkv.validate(st.qPath);
  return in;
}

}  // namespace attnscope
