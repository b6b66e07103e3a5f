#include <cmath>
#include <sstream>
#include <string>

#include "attnscope/error.h"
#include "attnscope/input/input.h"
#include "attnscope/rng.h"

namespace attnscope {

namespace {
void validateSynthetic(const SyntheticSettings& s) {
  std::ostringstream os;
  if (s.n < 1 || s.n > kMaxTokenBudget)
    os << "token count " << s.n << " must be between 1 and " << kMaxTokenBudget;
  else if (s.clusters < 1 || s.clusters > s.n)
    os << "cluster count " << s.clusters << " must be between 1 and the token count " << s.n;
  else if (!std::isfinite(s.spread) || s.spread < 0)
    os << "spread " << s.spread << " must be a finite number ≥ 0";
  else if (s.heads < 1 || s.heads > 64)
    os << "number of heads " << s.heads << " must be between 1 and 64";
  else if (s.dHead < 1 || s.dHead > 1024)
    os << "d_head " << s.dHead << " must be between 1 and 1024";
  else
    return;
  throw InvalidArgument("synthetic data: " + os.str());
}

// n by d: row i = (centres.row(cluster(i)) + spread·noise_i) / √(1 + spread²).
MatrixD clustered(const MatrixD& centres, const std::vector<int>& cluster, double spread,
                  Rng& noise) {
  const int n = static_cast<int>(cluster.size());
  const int d = static_cast<int>(centres.cols());
  const MatrixD eps = noise.normalMatrixD(n, d, 1.0);
  MatrixD out(n, d);
  for (int i = 0; i < n; ++i) out.row(i) = centres.row(cluster[i]) + spread * eps.row(i);
  return out / std::sqrt(1.0 + spread * spread);
}
}  // namespace

Input makeSyntheticInput(const SyntheticSettings& s) {
  validateSynthetic(s);
  Input in;
  TokenSet& set = in.tokens;
  set.kind = InputKind::Synthetic;
  set.sourceName = "<synthetic>";
  std::vector<int> cluster(s.n);
  set.tokens.resize(s.n);
  for (int i = 0; i < s.n; ++i) {
    cluster[i] = static_cast<int>(static_cast<long long>(i) * s.clusters / s.n);
    set.tokens[i].group = cluster[i];
    set.tokens[i].label = "t" + std::to_string(i) + " c" + std::to_string(cluster[i]);
  }
  set.tokensBeforeBudget = set.tokens.size();

  for (int h = 0; h < s.heads; ++h) {
    const std::string p = "synthetic/head" + std::to_string(h) + "/";
    Rng centreRng(deriveSeed(s.seed, p + "centres"));
    const MatrixD keyCentres = centreRng.normalMatrixD(s.clusters, s.dHead, 1.0);
    const MatrixD valueCentres = centreRng.normalMatrixD(s.clusters, s.dHead, 1.0);
    Rng noise(deriveSeed(s.seed, p + "noise"));
    MatrixF q = clustered(keyCentres, cluster, s.spread, noise).cast<float>();
    const MatrixD k = clustered(keyCentres, cluster, s.spread, noise);
    MatrixF key = s.tieQK ? q : MatrixF(k.cast<float>());
    MatrixF value = clustered(valueCentres, cluster, s.spread, noise).cast<float>();
    in.qkv.addHead({std::move(q), std::move(key), std::move(value)});
  }
  in.qkv.validate("synthetic data");
  return in;
}

}  // namespace attnscope
