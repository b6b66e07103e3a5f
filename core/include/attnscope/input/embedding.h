// Features → d_model embedding (seeded projection + weighted positions) → per-head Q, K, V.
#pragma once

#include <string_view>

#include "attnscope/input/settings.h"
#include "attnscope/qkv.h"
#include "attnscope/types.h"

namespace attnscope {

/// Throws InvalidArgument unless heads 1..64, dHead 1..1024, dModel a multiple of 4 in 4..4096,
/// positionWeight finite and ≥ 0.
void validateEmbedding(const EmbeddingSettings& s);

/// X = (F·P + λ·Pos) / √(1 + λ²): N by d_model, where F is N by d_f features, P is d_f by d_model
/// with N(0, 1) entries from stream `contentStream`, Pos is N by d_model positions.
MatrixD embedTokens(const MatrixD& features, const MatrixD& positions, const EmbeddingSettings& s,
                    std::string_view contentStream);

/// Per-head projections of X (N by d_model): Q_h = X·W_Q^h, K_h = X·W_K^h, V_h = X·W_V^h, each W
/// d_model by d_head with N(0, 1/d_model) entries from streams "embed/head<h>/q|k|v"
/// (W_K^h = W_Q^h when tieQK). Computed in double, rounded to float at the end.
Qkv projectHeads(const MatrixD& x, const EmbeddingSettings& s);

}  // namespace attnscope
