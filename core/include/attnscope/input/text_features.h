// Text token features: a sum of seeded Gaussian vectors for the lower-cased word and its hashed
// character n-grams (so equal words match exactly and shared stems partly).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/input/tokens.h"
#include "attnscope/types.h"

namespace attnscope {

constexpr int kTextFeatureDim = 128;
/// Weight of the whole-word unit relative to the (normalised) sum of its n-grams.
constexpr double kWholeWordWeight = 0.5;

/// The units a word contributes: "w:" + lower-cased word, then "g:" + every character n-gram
/// (n = 3, 4, 5 code points) of "<" + lower-cased word + ">".
std::vector<std::string> wordUnits(const std::string& label);

/// N by kTextFeatureDim: row i is  ½·u(word) + (1/√m)·Σ u(n-gram)  scaled to unit norm, where m is
/// the number of n-grams and u(·) ∈ ℝ^128 has N(0, 1/128) entries drawn in order from
/// Rng(deriveSeed(deriveSeed(seed, "text/units"), unit)).
MatrixD textTokenFeatures(const TokenSet& set, std::uint64_t seed);

}  // namespace attnscope
