// The built-in families' functions (families.cpp registers them) and the detection.
#pragma once

#include "attnscope/models/bound_weights.h"
#include "attnscope/models/family_api.h"
#include "attnscope/models/preprocess.h"

namespace attnscope::models {

ModelInfo gpt2Info(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o);
/// HF ViT / DeiT / DINO v1 and HF DINOv2 (with or without registers).
ModelInfo hfVitInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o);
ModelInfo timmVitInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o);

/// Llama 2/3, TinyLlama, SmolLM2, Mistral, Qwen2 (family_llama.cpp).
ModelInfo llamaInfo(const Detection& d, const ConfigSource& c, const TensorStore& s, const OpenOptions& o);

void bindGpt2(const ModelInfo& m, BoundWeights& w);
void bindLlama(const ModelInfo& m, BoundWeights& w);
/// The folder's tokenizer.json (HfTokenizer).
Encoding llamaTokenize(const Checkpoint& c, std::string_view utf8, std::size_t maxTokens);
/// HF ViT / DeiT / DINO v1 and DINOv2.
void bindHfVit(const ModelInfo& m, BoundWeights& w);
void bindTimmVit(const ModelInfo& m, BoundWeights& w);

/// Family from config.json, else from the tensor names (the registry's model types, anchors and
/// prefixes); unknown layouts throw a FileError listing what was found. `path` names the checkpoint.
Detection detectFamily(const ConfigSource& c, const TensorStore& s, const std::string& path);

}  // namespace attnscope::models
