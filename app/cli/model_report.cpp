#include "cli/model_report.h"

#include <iomanip>
#include <sstream>

namespace attnscope::cli {

namespace {
void row(std::ostream& out, const std::string& key, const std::string& value) {
  out << "  " << key << std::string(key.size() < 23 ? 23 - key.size() : 1, ' ') << value << "\n";
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

/// 124439808 → "124,439,808 (124.4 M)".
std::string countText(std::int64_t n) {
  std::string digits = std::to_string(n), grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  std::ostringstream s;
  s << grouped;
  if (n >= 1000000) s << " (" << std::fixed << std::setprecision(1) << n / 1e6 << " M)";
  return s.str();
}
}  // namespace

void printModelInfo(std::ostream& out, const models::Checkpoint& checkpoint) {
  const models::ModelInfo& m = checkpoint.info();
  const models::FamilyEntry& f = models::familyEntry(m.family);
  out << "model: " << checkpoint.path() << "\n";
  row(out, "family", f.name() + " - " + f.description + " (from " + m.detectedFrom + ")");
  if (!m.architecture.empty() && m.architecture != f.name()) row(out, "architecture", m.architecture);
  row(out, "layers", std::to_string(m.layers));
  row(out, "heads", std::to_string(m.heads));
  if (m.keyValueHeads() != m.heads)
    row(out, "key/value heads", std::to_string(m.keyValueHeads()) + " (grouped-query attention: " +
                                    std::to_string(m.heads / m.keyValueHeads()) + " query heads per key/value head)");
  row(out, "d_model", std::to_string(m.dModel));
  row(out, "d_head", std::to_string(m.dHead));
  row(out, "mlp hidden", std::to_string(m.mlpHidden));
  if (f.text) {
    row(out, "vocab size", std::to_string(m.vocabSize));
  } else {
    row(out, "patch size", std::to_string(m.patchSize));
    row(out, "training resolution", std::to_string(m.imageSize) + "x" + std::to_string(m.imageSize));
    row(out, "registers", std::to_string(m.registers));
  }
  row(out, "positions", std::to_string(m.positions));
  if (m.rope.present()) row(out, "rotary positions", m.rope.describe());
  if (m.slidingWindow > 0) row(out, "sliding window", std::to_string(m.slidingWindow) + " positions");
  if (f.text) row(out, "lm head", m.tiedEmbeddings ? "tied to the token embedding" : "separate (lm_head.weight)");
  row(out, "dtype", joined(m.dtypes));
  row(out, "parameters", countText(m.parameters));
  std::ostringstream eps;
  eps << m.layerNormEps;
  row(out, "layer-norm eps", eps.str());
  if (!m.prefix.empty()) row(out, "tensor prefix", m.prefix);
  if (!checkpoint.configPath().empty()) row(out, "config", checkpoint.configPath());
  row(out, "weights", joined(checkpoint.tensors().files()));
}

}  // namespace attnscope::cli
