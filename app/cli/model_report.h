// `attnscope info --model PATH`: what a checkpoint is, as text.
#pragma once

#include <ostream>
#include <string>

#include "attnscope/models/checkpoint.h"

namespace attnscope::cli {

/// Family, layers, heads, d_model, d_head, vocabulary or patch size and training resolution,
/// positions, registers, dtype(s), parameter count, LayerNorm eps and the shard files.
void printModelInfo(std::ostream& out, const models::Checkpoint& checkpoint);

}  // namespace attnscope::cli
