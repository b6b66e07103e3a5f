// The family registry and the built-in families (family.h): each entry names how its files say
// what they are and the functions that read them (family_gpt2.cpp, family_hf_vit.cpp,
// family_timm.cpp).
#include <algorithm>

#include "attnscope/error.h"
#include "attnscope/models/bpe_tokenizer.h"
#include "attnscope/models/hf_tokenizer.h"
#include "family_layout.h"

namespace attnscope::models {

const Family Family::Gpt2{"gpt2"};
const Family Family::HfVit{"vit"};
const Family Family::TimmVit{"timm-vit"};
const Family Family::Dinov2{"dinov2"};
const Family Family::Llama{"llama"};

namespace {

bool endsWith(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

std::vector<FamilyEntry> builtIn() {
  std::vector<FamilyEntry> out;
  {
    FamilyEntry e;
    e.family = Family::Gpt2;
    e.description = "GPT-2 (Hugging Face)";
    e.text = e.causal = true;
    e.modelTypes = {"gpt2"};
    e.anchors = {"h.0.attn.c_attn.weight"};
    e.prefixes = {"", "transformer."};
    e.info = gpt2Info;
    e.bind = bindGpt2;
    e.tokenize = [](const Checkpoint& c, std::string_view utf8, std::size_t maxTokens) {
      return BpeTokenizer::fromFolder(c.folder()).encode(utf8, maxTokens);
    };
    // The causal-mask buffers ("h.i.attn.bias", "h.i.attn.masked_bias") are not parameters.
    e.isBuffer = [](const std::string& name) { return endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias"); };
    out.push_back(std::move(e));
  }
  {
    FamilyEntry e;
    e.family = Family::HfVit;
    e.description = "ViT / DeiT / DINO (Hugging Face)";
    e.modelTypes = {"vit"};
    e.anchors = {"embeddings.patch_embeddings.projection.weight"};
    e.prefixes = {"", "vit."};
    e.detectOrder = 2;  // DINOv2's checkpoints have these names too
    e.info = hfVitInfo;
    e.bind = bindHfVit;
    e.preprocess = [](const Checkpoint& c) { return hfPreprocess(c, false); };
    out.push_back(std::move(e));
  }
  {
    FamilyEntry e;
    e.family = Family::TimmVit;
    e.description = "ViT / DeiT / DINO (timm)";
    e.timmArchitecture = true;
    e.anchors = {"blocks.0.attn.qkv.weight"};
    e.detectOrder = 3;
    e.info = timmVitInfo;
    e.bind = bindTimmVit;
    e.preprocess = timmPreprocess;
    e.positionAntialias = true;  // timm.layers.resample_abs_pos_embed(antialias=True)
    out.push_back(std::move(e));
  }
  {
    FamilyEntry e;
    e.family = Family::Dinov2;
    e.description = "DINOv2 (Hugging Face)";
    e.modelTypes = {"dinov2", "dinov2_with_registers"};
    e.anchors = {"embeddings.register_tokens", "encoder.layer.0.layer_scale1.lambda1"};
    e.prefixes = {"", "dinov2."};
    e.detectOrder = 1;
    e.info = hfVitInfo;
    e.bind = bindHfVit;
    e.preprocess = [](const Checkpoint& c) { return hfPreprocess(c, true); };  // BitImageProcessor
    out.push_back(std::move(e));
  }
  {
    FamilyEntry e;
    e.family = Family::Llama;
    e.description = "Llama family (Llama 2/3, TinyLlama, SmolLM2, Mistral, Qwen2)";
    e.text = e.causal = true;
    e.modelTypes = {"llama", "mistral", "qwen2"};
    e.anchors = {"layers.0.self_attn.q_proj.weight"};
    e.prefixes = {"model.", ""};
    e.info = llamaInfo;
    e.bind = bindLlama;
    e.tokenize = llamaTokenize;
    e.isBuffer = [](const std::string& name) { return endsWith(name, ".rotary_emb.inv_freq"); };
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t builtInCount() {
  static const std::size_t n = builtIn().size();
  return n;
}

std::vector<FamilyEntry>& registry() {
  static std::vector<FamilyEntry> list = builtIn();
  return list;
}

}  // namespace

const std::vector<FamilyEntry>& families() { return registry(); }

const FamilyEntry& familyEntry(const Family& f) {
  for (const FamilyEntry& e : families())
    if (e.family == f) return e;
  throw InvalidArgument("no model family '" + f.name() + "' is registered");
}

void registerFamily(FamilyEntry e) {
  const std::string& n = e.name();
  if (n.empty() || n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
    throw InvalidArgument("model family name '" + n + "': use a-z, 0-9, '_' and '-'");
  for (const FamilyEntry& o : families()) {
    if (o.name() == n) throw InvalidArgument("model family '" + n + "' is already registered");
    for (const std::string& t : e.modelTypes)
      if (std::find(o.modelTypes.begin(), o.modelTypes.end(), t) != o.modelTypes.end())
        throw InvalidArgument("model_type \"" + t + "\" already names the family '" + o.name() + "'");
  }
  if (!e.info || !e.bind) throw InvalidArgument("model family '" + n + "' needs info and bind functions");
  if (e.text ? !e.tokenize : !e.preprocess)
    throw InvalidArgument("model family '" + n + "' reads " + (e.text ? "text and needs a tokenize" : "images and needs a preprocess") +
                          " function");
  if (e.anchors.empty() && e.modelTypes.empty() && !e.timmArchitecture)
    throw InvalidArgument("model family '" + n + "': nothing in a checkpoint names it (model types or anchors)");
  if (e.prefixes.empty()) e.prefixes = {""};
  registry().push_back(std::move(e));
}

void unregisterFamily(const std::string& name) {
  auto& list = registry();
  const std::size_t builtIns = builtInCount();
  for (std::size_t i = builtIns; i < list.size(); ++i)
    if (list[i].name() == name) {
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
}

}  // namespace attnscope::models
