// Layer replacement (issue 26 #2, MATH.md "Replacing a layer's attention"): the model's forward with
// chosen layers' attention computed by one of the session's mechanisms (linear, MHLA with the
// session's φ, blocks, 𝓜 and normaliser) on the same Q/K/V; later layers run on the changed
// residual stream. Scored against the unchanged model on the same tokens: next-token NLL, top-1
// agreement and KL for text models, the final CLS embedding's cosine for image models.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "attnscope/progress.h"
#include "session/session.h"

namespace attnscope {

/// "1=linear,3=mhla" → {1: "linear", 3: "mhla"} (mechanism registry ids). Throws InvalidArgument
/// naming the part that is wrong and the ids it knows.
std::map<int, std::string> parseReplace(const std::string& text);

struct HybridReport {
  std::map<int, std::string> replaced;  ///< layer → mechanism id
  bool text = false;
  int tokensScored = 0;                 ///< text: N − 1 positions
  double nllOriginal = 0, nll = 0;      ///< mean next-token loss, nats/token
  double top1Agreement = 0;             ///< fraction of positions whose argmax agrees
  double klNextToken = 0;               ///< mean KL(p_original ‖ p_replaced)
  double clsCosine = 0;                 ///< images: cosine of the final CLS embeddings
  std::vector<int> ids;                 ///< the tokens (text)
  std::vector<double> positionNllOriginal, positionNll;  ///< per position 0 … N−2

  /// hybrid.json
  std::string json() const;
  /// nll.csv: position, id (of the token predicted), nll_original, nll
  std::string nllCsv() const;
};

/// Runs the session's model twice on its source: as it is, and with `replaced`. Throws
/// InvalidArgument for a layer the model does not have or a mechanism that is not registered.
HybridReport runHybrid(const Session& session, const std::map<int, std::string>& replaced, const JobControl& job = {});

/// Sensitivity and schedule (issue 26 #3): every layer replaced alone by `mechanism`, then layers
/// added one at a time, least harmful alone first, the hybrid re-measured after each addition.
struct LayerSensitivity {
  std::string mechanism;
  bool text = false;
  std::vector<HybridReport> alone;     ///< per layer
  std::vector<int> order;              ///< layers, least harmful first
  std::vector<HybridReport> schedule;  ///< after 1, 2, … of `order` replaced
  /// sensitivity.csv: layer, mechanism, delta_nll, top1_agreement, kl_next_token (images: cls_cosine)
  std::string sensitivityCsv() const;
  /// schedule.csv: replaced, layers, delta_nll, top1_agreement, kl_next_token (images: cls_cosine)
  std::string scheduleCsv() const;
};
LayerSensitivity layerSensitivity(const Session& session, const std::string& mechanism, const JobControl& job = {});

}  // namespace attnscope
