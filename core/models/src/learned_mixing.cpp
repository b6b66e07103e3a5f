#include "attnscope/models/learned_mixing.h"

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope::models {

namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// "image (piece_attn)" etc. for a learned-mixing name; empty for any other tensor.
std::string kindOf(const std::string& name) {
  if (endsWith(name, "piece_attn.conv.weight")) return "image (piece_attn)";
  if (endsWith(name, "attn.mixing_matrix")) return "language (mixing_matrix)";
  if (endsWith(name, "block_attn.conv.weight")) return "video (block_attn)";
  return "";
}

int layerOf(const std::string& name) {
  for (const char* key : {"blocks.", "layers."}) {
    const std::size_t at = name.find(key);
    if (at == std::string::npos) continue;
    std::size_t i = at + std::string(key).size(), j = i;
    while (j < name.size() && j - i < 6 && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    if (j > i) return std::stoi(name.substr(i, j - i));
  }
  return -1;
}

LearnedMixing readOne(const SafetensorsFile& file, const TensorInfo& t, const std::string& kind) {
  const auto& s = t.shape;
  const bool square = (s.size() == 2 || (s.size() == 4 && s[2] == 1 && s[3] == 1)) && s[0] == s[1] && s[0] >= 1 &&
                      s[0] <= 4096;
  if (!square)
    throw FileError(file.path() + ": tensor '" + t.name + "' is named like a learned mixing matrix but has shape " +
                    shapeText(s) + " (expected [M, M] or [M, M, 1, 1], M ≤ 4096)");
  LearnedMixing out;
  out.name = t.name;
  out.kind = kind;
  out.layer = layerOf(t.name);
  const Eigen::Index m = s[0];
  out.matrix = file.matrix(t.name, m, m).cast<double>();
  if (!out.matrix.allFinite()) throw FileError(file.path() + ": tensor '" + t.name + "' holds NaN or infinite values");
  out.negatives = static_cast<int>((out.matrix.array() < 0).count());
  out.rowSums = out.matrix.rowwise().sum();
  out.lowerTriangular = out.matrix.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().isZero(0);
  return out;
}

}  // namespace

std::vector<LearnedMixing> findLearnedMixing(const SafetensorsFile& file) {
  std::vector<LearnedMixing> out;
  for (const std::string& name : file.names()) {
    const std::string kind = kindOf(name);
    if (!kind.empty()) out.push_back(readOne(file, file.info(name), kind));
  }
  std::stable_sort(out.begin(), out.end(), [](const LearnedMixing& a, const LearnedMixing& b) { return a.layer < b.layer; });
  return out;
}

LearnedMixing readLearnedMixing(const std::string& path, const std::string& tensor) {
  const std::shared_ptr<const SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file->contains(tensor)) {
    std::string known;
    for (const LearnedMixing& l : findLearnedMixing(*file)) known += (known.empty() ? "" : ", ") + l.name;
    throw FileError(path + ": no tensor '" + tensor + "'" +
                    (known.empty() ? std::string(" (and no learned mixing matrix in the file)") : " (learned mixing: " + known + ")"));
  }
  const TensorInfo& t = file->info(tensor);
  const std::string kind = kindOf(tensor);
  return readOne(*file, t, kind.empty() ? std::string("tensor") : kind);
}

std::string learnedMixingTable(const std::string& path, const std::vector<LearnedMixing>& found) {
  std::ostringstream os;
  os << path << ": " << found.size() << " learned mixing matri" << (found.size() == 1 ? "x" : "ces") << "\n";
  if (found.empty()) return os.str();
  os << "layer  M    min        max        negatives  row sums (min … max)     lower-tri  tensor\n";
  os << std::setprecision(4);
  for (const LearnedMixing& l : found) {
    std::ostringstream sums;
    sums << std::setprecision(4) << l.rowSums.minCoeff() << " … " << l.rowSums.maxCoeff();
    os << std::left << std::setw(7) << l.layer << std::setw(5) << l.m() << std::setw(11) << l.matrix.minCoeff()
       << std::setw(11) << l.matrix.maxCoeff() << std::setw(11) << l.negatives << std::setw(25) << sums.str()
       << std::setw(11) << (l.lowerTriangular ? "yes" : "no") << l.name << "  [" << l.kind << "]\n";
  }
  return os.str();
}

}  // namespace attnscope::models
