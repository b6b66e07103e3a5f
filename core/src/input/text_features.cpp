#include "attnscope/input/text_features.h"

#include <cmath>
#include <unordered_map>

#include "attnscope/input/utf8.h"
#include "attnscope/rng.h"

namespace attnscope {

std::vector<std::string> wordUnits(const std::string& label) {
  std::vector<char32_t> cps;
  cps.push_back('<');
  for (const CodePoint& cp : decodeUtf8(label)) cps.push_back(toLowerSimple(cp.value));
  cps.push_back('>');

  std::vector<std::string> units;
  std::string word = "w:";
  for (std::size_t k = 1; k + 1 < cps.size(); ++k) appendUtf8(word, cps[k]);
  units.push_back(word);
  for (std::size_t n = 3; n <= 5; ++n)
    for (std::size_t s = 0; s + n <= cps.size(); ++s) {
      std::string g = "g:";
      for (std::size_t k = s; k < s + n; ++k) appendUtf8(g, cps[k]);
      units.push_back(g);
    }
  return units;
}

MatrixD textTokenFeatures(const TokenSet& set, std::uint64_t seed) {
  const std::uint64_t unitSeed = deriveSeed(seed, "text/units");
  const double scale = 1.0 / std::sqrt(static_cast<double>(kTextFeatureDim));
  std::unordered_map<std::string, VectorD> cache;
  auto unitVector = [&](const std::string& unit) -> const VectorD& {
    auto it = cache.find(unit);
    if (it != cache.end()) return it->second;
    Rng rng(deriveSeed(unitSeed, unit));
    VectorD v(kTextFeatureDim);
    for (int k = 0; k < kTextFeatureDim; ++k) v(k) = scale * rng.normal();
    return cache.emplace(unit, std::move(v)).first->second;
  };

  MatrixD f(set.size(), kTextFeatureDim);
  for (int i = 0; i < set.size(); ++i) {
    const std::vector<std::string> units = wordUnits(set.tokens[i].label);
    VectorD grams = VectorD::Zero(kTextFeatureDim);
    for (std::size_t u = 1; u < units.size(); ++u) grams += unitVector(units[u]);
    VectorD row = kWholeWordWeight * unitVector(units[0]);
    if (units.size() > 1) row += grams / std::sqrt(static_cast<double>(units.size() - 1));
    const double norm = row.norm();
    f.row(i) = (norm > 0 ? row / norm : row).transpose();
  }
  return f;
}

}  // namespace attnscope
