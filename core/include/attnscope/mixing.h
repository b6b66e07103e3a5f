// MHLA mixing matrices 𝓜 (MATH.md, "Mixing matrix initialisations"): M by M, non-negative, row a
// holds the coefficients of query block a.
#pragma once

#include <string>
#include <vector>

#include "attnscope/blocks.h"
#include "attnscope/types.h"

namespace attnscope {

enum class MixingInit { Cos, Linear, Exp, Gaussian, Local, Uniform, Identity, Causal };

std::string toString(MixingInit k);
/// Parses an initialisation name; throws InvalidArgument listing the valid names otherwise.
MixingInit parseMixingInit(const std::string& name);
std::vector<MixingInit> allMixingInits();

/// @return M by M mixing matrix for `layout` (MATH.md table). `causal` needs a 1D layout.
MatrixD makeMixing(const BlockLayout& layout, MixingInit init);

/// Throws InvalidArgument unless `mix` is m by m, finite and non-negative, with a positive entry in
/// every row (a query block must attend to something). Messages name the offending cell.
void validateMixing(const MatrixD& mix, int m);

/// Reads an M×M mixing matrix from CSV (commas, semicolons, tabs or spaces; '#' comments) or .npy
/// (chosen by extension). Throws FileError / InvalidArgument naming the file and the problem.
MatrixD loadMixing(const std::string& path);
/// loadMixing on bytes already in memory: .npy when `name` ends in ".npy", CSV otherwise.
MatrixD parseMixing(const std::string& bytes, const std::string& name);
/// Writes CSV (full precision) or .npy, chosen by extension.
void saveMixing(const std::string& path, const MatrixD& mix);
/// Parses CSV text; `name` appears in error messages.
MatrixD parseMixingCsv(const std::string& text, const std::string& name);

}  // namespace attnscope
