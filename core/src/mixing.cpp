#include "attnscope/mixing.h"

#include "attnscope/atomic_file.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/npy.h"

namespace attnscope {

namespace {
const std::vector<std::pair<MixingInit, const char*>>& names() {
  static const std::vector<std::pair<MixingInit, const char*>> n = {
      {MixingInit::Cos, "cos"},           {MixingInit::Linear, "linear"},
      {MixingInit::Exp, "exp"},           {MixingInit::Gaussian, "gaussian"},
      {MixingInit::Local, "local"},       {MixingInit::Uniform, "uniform"},
      {MixingInit::Identity, "identity"}, {MixingInit::Causal, "causal"}};
  return n;
}

void normaliseColumns(MatrixD& w) {
  for (Eigen::Index b = 0; b < w.cols(); ++b) {
    const double s = w.col(b).sum();
    if (s > 0) w.col(b) /= s;
  }
}

bool endsWith(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}
}  // namespace

std::string toString(MixingInit k) {
  for (const auto& [v, n] : names())
    if (v == k) return n;
  return "?";
}

MixingInit parseMixingInit(const std::string& name) {
  for (const auto& [v, n] : names())
    if (name == n) return v;
  throw InvalidArgument("unknown mixing initialisation '" + name +
                        "' (choose cos, linear, exp, gaussian, local, uniform, identity or causal)");
}

std::vector<MixingInit> allMixingInits() {
  std::vector<MixingInit> v;
  for (const auto& p : names()) v.push_back(p.first);
  return v;
}

MatrixD makeMixing(const BlockLayout& layout, MixingInit init) {
  const int m = layout.m();
  if (m < 1) throw InvalidArgument("mixing matrix: the block layout is empty");
  if (init == MixingInit::Causal && layout.kind() != BlockLayout::Kind::OneD)
    throw InvalidArgument("the 'causal' mixing initialisation needs a 1D (sequence) layout");
  const auto& c = layout.centres();
  MatrixD dist(m, m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b)
      dist(a, b) = std::hypot(c[a].first - c[b].first, c[a].second - c[b].second);
  const double D = dist.maxCoeff();
  const double invD = D > 0 ? 1.0 / D : 0.0;  // M = 1: every distance is 0
  MatrixD w(m, m);
  switch (init) {
    case MixingInit::Cos:
      w = (dist.array() * (invD * M_PI / 4.0)).cos().matrix();
      normaliseColumns(w);
      break;
    case MixingInit::Linear:
      w = (1.0 - dist.array() * invD).max(0.0).matrix();  // rounding must not go below 0
      normaliseColumns(w);
      break;
    case MixingInit::Exp:
      w = (-dist.array() / 3.0).exp().matrix();
      normaliseColumns(w);
      break;
    case MixingInit::Gaussian: {
      const double sigma = D / 3.0;
      if (sigma > 0)
        w = (-dist.array().square() / (2.0 * sigma * sigma)).exp().matrix();
      else
        w.setOnes();
      break;
    }
    case MixingInit::Local:
      w = (dist.array() <= 1.5).cast<double>().matrix();
      normaliseColumns(w);
      break;
    case MixingInit::Uniform:
      w.setOnes();
      normaliseColumns(w);
      break;
    case MixingInit::Identity:
      w.setIdentity();
      break;
    case MixingInit::Causal:
      w.setZero();
      for (int a = 0; a < m; ++a)
        for (int b = 0; b <= a; ++b) w(a, b) = 1.0 / (a + 1);
      break;
  }
  return w;
}

void validateMixing(const MatrixD& mix, int m) {
  std::ostringstream os;
  if (mix.rows() != m || mix.cols() != m) {
    os << "mixing matrix is " << mix.rows() << "×" << mix.cols() << " but the layout has M = " << m
       << " blocks (it must be " << m << "×" << m << ")";
    throw InvalidArgument(os.str());
  }
  for (int a = 0; a < m; ++a) {
    for (int b = 0; b < m; ++b) {
      const double v = mix(a, b);
      if (!std::isfinite(v) || v < 0) {
        os << "mixing matrix entry (" << a << ", " << b << ") = " << v
           << " is not allowed: entries must be finite and non-negative";
        throw InvalidArgument(os.str());
      }
    }
    if (!(mix.row(a).maxCoeff() > 0)) {
      os << "row " << a << " of the mixing matrix is all zero: the queries of block " << a
         << " would attend to nothing";
      throw InvalidArgument(os.str());
    }
  }
}

namespace {

/// CSV bytes as spreadsheets save them → plain ASCII-compatible text with '\n' line ends: a UTF-8
/// BOM dropped; UTF-16 (with its BOM) whose characters are all ASCII turned into bytes; CR-only
/// and CRLF line ends made '\n'. Other UTF-16/32 text is refused with a message.
std::string normalisedCsv(const std::string& raw, const std::string& name) {
  std::string text = raw;
  const auto starts = [&](const char* bom, std::size_t n) {
    return text.size() >= n && text.compare(0, n, bom, n) == 0;
  };
  if (starts("\xEF\xBB\xBF", 3)) {
    text.erase(0, 3);
  } else if (starts("\xFF\xFE", 2) || starts("\xFE\xFF", 2)) {
    const bool little = text[0] == '\xFF';
    std::string ascii;
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
      const unsigned char lo = little ? text[i] : text[i + 1], hi = little ? text[i + 1] : text[i];
      if (hi != 0 || lo >= 0x80)
        throw FileError(name + ": UTF-16 text with characters other than numbers and separators; "
                               "save the matrix as UTF-8 CSV");
      ascii += char(lo);
    }
    text = ascii;
  }
  // UTF-16/32 without a byte-order mark: every other (or every fourth) byte of ASCII text is 0.
  if (text.size() >= 4 && ((text[1] == '\0' && text[3] == '\0') || (text[0] == '\0' && text[2] == '\0')))
    throw FileError(name + ": looks like UTF-16 or UTF-32 text without a byte-order mark; save the "
                           "matrix as UTF-8 CSV");
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

MatrixD parseMixingCsv(const std::string& raw, const std::string& name) {
  const std::string text = normalisedCsv(raw, name);
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    for (char& ch : line)
      if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
    std::istringstream ls(line);
    std::vector<double> row;
    std::string tok;
    while (ls >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      // A NUL byte inside the token must not end it early ("1\0x" is not the number 1).
      if (end == tok.c_str() || end != tok.c_str() + tok.size()) {
        std::ostringstream os;
        os << name << ", line " << lineNo << ": '" << tok << "' is not a number";
        throw FileError(os.str());
      }
      row.push_back(v);
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  if (rows.empty()) throw FileError(name + ": no numbers found (expected an M×M matrix)");
  const size_t m = rows.size();
  for (size_t i = 0; i < m; ++i)
    if (rows[i].size() != m) {
      std::ostringstream os;
      os << name << ": row " << i + 1 << " has " << rows[i].size() << " values but there are " << m
         << " rows (the mixing matrix must be square)";
      throw FileError(os.str());
    }
  MatrixD out(m, m);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < m; ++j) out(i, j) = rows[i][j];
  return out;
}

namespace {

MatrixD squareFromNpy(const NpyArray& a, const std::string& name) {
  if (a.shape.size() != 2 || a.shape[0] != a.shape[1])
    throw FileError(name + ": a mixing matrix must be a square 2D array");
  return toMatrix(a, name);
}

MatrixD validatedMixing(MatrixD mix, const std::string& name) {
  // validateMixing(mix, 0) accepts a 0×0 matrix, but no layout has M = 0 blocks.
  if (mix.rows() == 0 || mix.cols() == 0)
    throw FileError(name + ": the mixing matrix is empty (" + std::to_string(mix.rows()) + "×" +
                    std::to_string(mix.cols()) + "); expected M×M with M ≥ 1");
  try {
    validateMixing(mix, static_cast<int>(mix.rows()));
  } catch (const InvalidArgument& e) {
    throw FileError(name + ": " + e.what());
  }
  return mix;
}

}  // namespace

MatrixD parseMixing(const std::string& bytes, const std::string& name) {
  if (endsWith(name, ".npy")) return validatedMixing(squareFromNpy(parseNpy(bytes, name), name), name);
  return validatedMixing(parseMixingCsv(bytes, name), name);
}

MatrixD loadMixing(const std::string& path) {
  if (endsWith(path, ".npy")) return validatedMixing(squareFromNpy(readNpy(path), path), path);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(path + ": cannot open the file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return validatedMixing(parseMixingCsv(ss.str(), path), path);
}

void saveMixing(const std::string& path, const MatrixD& mix) {
  if (endsWith(path, ".npy")) {
    writeNpy(path, mix);
    return;
  }
  std::ostringstream f;
  f.precision(17);
  for (Eigen::Index a = 0; a < mix.rows(); ++a) {
    for (Eigen::Index b = 0; b < mix.cols(); ++b) f << (b ? "," : "") << mix(a, b);
    f << "\n";
  }
  writeFileAtomically(path, f.str());
}

}  // namespace attnscope
