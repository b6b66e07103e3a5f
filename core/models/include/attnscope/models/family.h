// The model families attnscope reads (MODELS.md), as entries of one registry.
#pragma once

#include <string>
#include <vector>

namespace attnscope::models {

enum class Family { Gpt2, HfVit, TimmVit, Dinov2 };

struct FamilyEntry {
  Family family;
  std::string name;         ///< "gpt2", "vit", "timm-vit", "dinov2"
  std::string description;  ///< "GPT-2 (Hugging Face)", ...
  bool text;                ///< text model (vocabulary) or image model (patches)
  bool causal;              ///< its attention masks future tokens (a language model)
};

/// Every family, in a fixed order.
const std::vector<FamilyEntry>& families();
const FamilyEntry& familyEntry(Family f);

}  // namespace attnscope::models
