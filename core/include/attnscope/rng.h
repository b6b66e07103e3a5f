// The project's one random number generator: xoshiro256** seeded by splitmix64, normals by
// Box–Muller. Same seed ⇒ the same numbers on every machine and standard library (no std
// distributions are used anywhere).
#pragma once

#include <cstdint>
#include <string_view>

#include "attnscope/types.h"

namespace attnscope {

/// splitmix64 step: advances state and returns the next output.
std::uint64_t splitmix64(std::uint64_t& state);

/// Derives an independent seed for a named stream ("favor", "embed/proj", ...) from a base seed.
std::uint64_t deriveSeed(std::uint64_t seed, std::string_view stream);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  /// Next raw 64-bit output (xoshiro256**).
  std::uint64_t next();
  /// Uniform double in the open interval (0, 1), 53 random bits.
  double uniform();
  /// Uniform integer in [0, n), n > 0 (rejection sampling, unbiased).
  std::uint64_t below(std::uint64_t n);
  /// Standard normal N(0, 1) by Box–Muller (pairs are generated; the second is kept for the next call).
  double normal();

  /// rows by cols matrix of N(0, scale²) entries, filled row by row.
  MatrixF normalMatrix(int rows, int cols, double scale = 1.0);
  MatrixD normalMatrixD(int rows, int cols, double scale = 1.0);

 private:
  std::uint64_t s_[4];
  bool haveSpare_ = false;
  double spare_ = 0.0;
};

}  // namespace attnscope
