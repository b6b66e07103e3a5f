#include "model/step_trace.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/feature_map.h"
#include "model/results.h"

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, int digits = 4) {
  std::ostringstream os;
  os.precision(digits);
  os << v;
  return os.str();
}

/// The context a trace draws token vectors with.
struct Ctx {
  int n = 0, gridRows = 0, gridCols = 0, gridFirst = 0, query = 0;
  bool onGrid() const { return gridRows > 0 && gridCols > 0 && gridFirst + gridRows * gridCols <= n; }
};

StepArray matrixArray(std::string name, MatrixD values, std::string rows, std::string cols) {
  StepArray a;
  a.name = std::move(name);
  a.values = std::move(values);
  a.rowsLabel = std::move(rows);
  a.colsLabel = std::move(cols);
  return a;
}

StepArray vectorArray(std::string name, const VectorD& v, std::string cols) {
  return matrixArray(std::move(name), v.transpose(), "", std::move(cols));
}

/// A vector over the N tokens (drawn on the patch grid when there is one).
StepArray tokenArray(const Ctx& c, std::string name, const VectorD& v) {
  StepArray a = vectorArray(std::move(name), v, "token j");
  a.highlight = c.query;
  if (c.onGrid()) {
    a.gridRows = c.gridRows;
    a.gridCols = c.gridCols;
    a.gridFirst = c.gridFirst;
  }
  return a;
}

std::string phiFormula(FeatureMapKind k) {
  switch (k) {
    case FeatureMapKind::Relu: return "φ(x) = max(x, 0) + ε";
    case FeatureMapKind::Elu1: return "φ(x) = elu(x) + 1";
    case FeatureMapKind::Softplus: return "φ(x) = log(1 + eˣ)";
    case FeatureMapKind::Favor: return "φ(x) = exp(W x′ − ‖x′‖²/2) / √r, x′ = x·d_k^(−1/4)";
  }
  return "φ";
}

bool allowed(bool causal, int i, int j) { return !causal || j <= i; }

/// Largest |a − b| over two matrices of one shape.
double maxDiff(const MatrixD& a, const MatrixD& b) { return (a - b).cwiseAbs().maxCoeff(); }

// ---- softmax ---------------------------------------------------------------------------------

StepTrace traceSoftmax(const HeadQKV& x, const MechanismSpec& spec, int i, const Ctx& c) {
  StepTrace t;
  const int n = c.n, dk = int(x.Q.cols());
  const MatrixD K = x.K.cast<double>(), V = x.V.cast<double>();
  const VectorD q = x.Q.row(i).cast<double>().transpose();
  const double s = 1.0 / (spec.temperature * std::sqrt(double(dk)));
  VectorD dots(n), scaled(n), ex(n);
  double mx = -std::numeric_limits<double>::infinity();
  int count = 0;
  for (int j = 0; j < n; ++j) {
    if (!allowed(spec.causal, i, j)) {
      dots[j] = scaled[j] = kNaN;
      continue;
    }
    dots[j] = q.dot(K.row(j).transpose());
    scaled[j] = s * dots[j];
    mx = std::max(mx, scaled[j]);
    ++count;
  }
  double sum = 0;
  for (int j = 0; j < n; ++j) {
    ex[j] = allowed(spec.causal, i, j) ? std::exp(scaled[j] - mx) : 0.0;
    sum += ex[j];
  }
  const VectorD a = ex / sum;
  t.mapRow = a;
  t.output = V.transpose() * a;
  const std::string masked = spec.causal ? " (causal: keys j > i are masked)" : "";
  const std::string n_s = std::to_string(n), dk_s = std::to_string(dk);

  StepStage st;
  st.id = "inputs";
  st.title = "The query and the keys";
  st.formula = "q_i ∈ ℝ^{d_k}, K ∈ ℝ^{N×d_k}";
  st.explanation = "Query " + std::to_string(i) + " meets every key: N = " + n_s + " tokens, d_k = " + dk_s + ".";
  st.arrays = {vectorArray("q_i", q, "d_k"), matrixArray("K", K, "token j", "d_k")};
  t.stages.push_back(st);

  st = {};
  st.id = "scores";
  st.title = "Dot products q_i·k_j";
  st.formula = "ℓ_j = q_i·k_j";
  st.explanation = "One number per key: how well key j matches the query" + masked + ".";
  st.arrays = {tokenArray(c, "q_i·k_j", dots)};
  t.stages.push_back(st);

  st = {};
  st.id = "scaled";
  st.title = "Scaled";
  st.formula = "s·q_i·k_j − m_i,  s = 1/(τ·√d_k)";
  st.explanation = "s = " + num(s) + " (τ = " + num(spec.temperature) + ", d_k = " + dk_s + "); m_i = " + num(mx) +
                   " is the row maximum, subtracted so that exp never overflows.";
  VectorD shifted = scaled.array() - mx;
  st.arrays = {tokenArray(c, "s·q_i·k_j − m_i", shifted)};
  t.stages.push_back(st);

  st = {};
  st.id = "exp";
  st.title = "Exponentiated";
  st.formula = "e_j = exp(s·q_i·k_j − m_i)";
  st.explanation = "The best match becomes 1, weaker ones shrink exponentially; Σ_j e_j = " + num(sum) + " over " +
                   std::to_string(count) + " keys.";
  st.arrays = {tokenArray(c, "e_j", ex)};
  t.stages.push_back(st);

  st = {};
  st.id = "normalised";
  st.title = "Normalised: the attention row";
  st.formula = "A_ij = e_j / Σ_{j′∈allowed(i)} e_j′";
  st.explanation = "The weights sum to 1; the largest is " + num(a.maxCoeff()) + " (uniform would be " +
                   num(1.0 / count) + ").";
  st.arrays = {tokenArray(c, "A_i", a)};
  t.stages.push_back(st);

  st = {};
  st.id = "output";
  st.title = "Weighted sum of V";
  st.formula = "o_i = Σ_j A_ij v_j";
  st.explanation = "The output mixes the values by the row's weights: one O(N·d) pass per query, O(N²·d) for all.";
  st.arrays = {vectorArray("o_i", t.output, "d_v"), tokenArray(c, "A_i", a), matrixArray("V", V, "token j", "d_v")};
  t.stages.push_back(st);
  return t;
}

// ---- linear attention and MHLA -------------------------------------------------------------

struct LinearParts {
  MatrixD phiQ, phiK, V;   // N by r, N by r, N by d_v
  std::vector<int> blockOf;
  MatrixD mix;             // M by M ([1] for linear)
  int m = 1, r = 0;
};

LinearParts linearParts(const HeadQKV& x, const MechanismSpec& spec, int n) {
  LinearParts p;
  const FeatureMap fm(spec.featureMap, int(x.Q.cols()));
  // The core's shifts (linear_family.cpp): per-row for queries (paper normaliser), global for keys.
  p.phiQ = fm.apply(x.Q, spec.officialNormaliser() ? FavorShift::Global : FavorShift::PerRow).cast<double>();
  p.phiK = fm.apply(x.K, FavorShift::Global).cast<double>();
  p.V = x.V.cast<double>();
  p.blockOf = tokenBlocks(spec, n);
  p.mix = blockMixing(spec);
  p.m = int(p.mix.rows());
  p.r = int(p.phiQ.cols());
  return p;
}

/// What query i reads of block b: S_b(i) = Σ_{j∈B_b, j∈allowed(i)} φ(k_j) v_jᵀ (r by d_v) and z_b(i).
void blockSummary(const LinearParts& p, bool causal, int i, int b, MatrixD& S, VectorD& z) {
  S = MatrixD::Zero(p.r, p.V.cols());
  z = VectorD::Zero(p.r);
  for (int j = 0; j < int(p.phiK.rows()); ++j)
    if (p.blockOf[j] == b && allowed(causal, i, j)) {
      S.noalias() += p.phiK.row(j).transpose() * p.V.row(j);
      z += p.phiK.row(j).transpose();
    }
}

/// The mixed summary query i reads: S̃(i) = Σ_b m_{a(i)b} S_b(i), z̃(i).
void mixedSummary(const LinearParts& p, bool causal, int i, MatrixD& St, VectorD& zt) {
  St = MatrixD::Zero(p.r, p.V.cols());
  zt = VectorD::Zero(p.r);
  const int a = p.blockOf[i];
  MatrixD S;
  VectorD z;
  for (int b = 0; b < p.m; ++b) {
    if (p.mix(a, b) == 0) continue;
    blockSummary(p, causal, i, b, S, z);
    St += p.mix(a, b) * S;
    zt += p.mix(a, b) * z;
  }
}

/// The map row and output of query i from its mixed summary; `den` is φ(q_i)ᵀz̃ or, with the
/// official normaliser, Σ_b m_ab φ(q_{b,w})·z_b + ε.
void rowAndOutput(const LinearParts& p, bool causal, int i, const MatrixD& St, double den, VectorD& row, VectorD& o) {
  const int n = int(p.phiK.rows());
  const int a = p.blockOf[i];
  row.resize(n);
  for (int j = 0; j < n; ++j)
    row[j] = allowed(causal, i, j) ? p.mix(a, p.blockOf[j]) * p.phiQ.row(i).dot(p.phiK.row(j)) / den : 0.0;
  o = (p.phiQ.row(i) * St).transpose() / den;
}

void requireDen(double den, int i) {
  if (!(den > 0) || !std::isfinite(den))
    throw InvalidArgument("the normaliser of query " + std::to_string(i) + " is " + num(den) +
                          ": it attends to nothing (check the mixing matrix and the feature map)");
}

StepTrace traceLinear(const HeadQKV& x, const MechanismSpec& spec, int i, int other, const Ctx& c) {
  StepTrace t;
  const int n = c.n;
  const LinearParts p = linearParts(x, spec, n);
  const bool causal = spec.causal;
  if (other < 0 && n > 1) other = (i + n / 2) % n;
  t.otherQuery = other;
  MatrixD S, So;
  VectorD z, zo;
  blockSummary(p, causal, i, 0, S, z);
  const VectorD phiq = p.phiQ.row(i).transpose();
  const double den = phiq.dot(z);
  requireDen(den, i);
  rowAndOutput(p, causal, i, S * p.mix(0, 0), den * p.mix(0, 0), t.mapRow, t.output);
  const std::string r_s = std::to_string(p.r);

  StepStage st;
  st.id = "features";
  st.title = "Feature map φ on the query and the keys";
  st.formula = phiFormula(spec.featureMap.kind);
  st.explanation = "No exp of q·k: each query and key goes through φ on its own, into r = " + r_s +
                   " non-negative features.";
  st.arrays = {vectorArray("φ(q_i)", phiq, "r"), matrixArray("φ(K)", p.phiK, "token j", "r")};
  t.stages.push_back(st);

  st = {};
  st.id = "summary";
  st.title = "One summary S and z for every query";
  st.formula = causal ? "S_i = Σ_{j≤i} φ(k_j) v_jᵀ,  z_i = Σ_{j≤i} φ(k_j)" : "S = Σ_j φ(k_j) v_jᵀ,  z = Σ_j φ(k_j)";
  if (other >= 0) {
    blockSummary(p, causal, other, 0, So, zo);
    const double d = std::max(maxDiff(S, So), (z - zo).cwiseAbs().maxCoeff());
    st.explanation = causal ? "Causal: query " + std::to_string(i) + " reads the prefix up to itself; query " +
                                  std::to_string(other) + " reads its own prefix (max |ΔS| = " + num(d, 3) + ")."
                            : "Computed once, before any query: query " + std::to_string(other) +
                                  " reads the identical S and z (max |ΔS| = " + num(d, 3) +
                                  "). All the keys' detail is folded into this r×d_v matrix.";
  } else {
    st.explanation = "Computed once, before any query: every query reads this one r×d_v matrix.";
  }
  st.arrays = {matrixArray("S", S, "r", "d_v"), vectorArray("z", z, "r")};
  t.stages.push_back(st);

  st = {};
  st.id = "readout";
  st.title = "The query reads the summary";
  st.formula = "φ(q_i)ᵀS,  φ(q_i)ᵀz";
  st.explanation = "The numerator is a d_v vector, the normaliser φ(q_i)ᵀz = " + num(den) +
                   " one number: O(r·d_v) per query, whatever N.";
  st.arrays = {vectorArray("φ(q_i)ᵀS", (phiq.transpose() * S).transpose(), "d_v"),
               matrixArray("φ(q_i)ᵀz", MatrixD::Constant(1, 1, den), "", "")};
  t.stages.push_back(st);

  st = {};
  st.id = "output";
  st.title = "Output, and the map it equals";
  st.formula = "o_i = φ(q_i)ᵀS / φ(q_i)ᵀz,  A_ij = φ(q_i)·φ(k_j) / φ(q_i)ᵀz";
  st.explanation = "The map is never formed; its row is nearly flat: largest weight " + num(t.mapRow.maxCoeff()) +
                   " (uniform " + num(1.0 / (causal ? i + 1 : n)) + "), rank ≤ r = " + r_s + ".";
  st.arrays = {vectorArray("o_i", t.output, "d_v"), tokenArray(c, "A_i", t.mapRow)};
  t.stages.push_back(st);
  return t;
}

/// A query in another (non-empty) block than query i's, or -1.
int queryInOtherBlock(const LinearParts& p, int i) {
  const int a = p.blockOf[i], n = int(p.blockOf.size());
  std::vector<int> first(p.m, -1);
  for (int j = n - 1; j >= 0; --j) first[p.blockOf[j]] = j;
  for (int k = 1; k < p.m; ++k) {
    const int b = (a + p.m / 2 + k - 1) % p.m;
    if (b != a && first[b] >= 0) return first[b];
  }
  return -1;
}

StepTrace traceMhla(const HeadQKV& x, const MechanismSpec& spec, int i, int other, const Ctx& c) {
  StepTrace t;
  const int n = c.n;
  const LinearParts p = linearParts(x, spec, n);
  const bool causal = spec.causal;
  const BlockLayout& L = *spec.layout;
  const int a = p.blockOf[i], m = p.m;
  if (other < 0) other = queryInOtherBlock(p, i);
  t.otherQuery = other;
  const std::string a_s = std::to_string(a), m_s = std::to_string(m);

  // Block of each token, sizes, and the blocks on the block grid (2D).
  VectorD blockIds(n);
  for (int j = 0; j < n; ++j) blockIds[j] = p.blockOf[j];
  int smallest = n, largest = 0;
  for (int b = 0; b < m; ++b) {
    smallest = std::min(smallest, L.blockSize(b));
    largest = std::max(largest, L.blockSize(b));
  }
  auto onBlocks = [&](std::string name, const VectorD& v) {
    StepArray arr = vectorArray(std::move(name), v, "block b");
    arr.highlight = a;
    if (L.kind() == BlockLayout::Kind::TwoD && L.blockGridRows() * L.blockGridCols() == m) {
      arr.gridRows = L.blockGridRows();
      arr.gridCols = L.blockGridCols();
    }
    return arr;
  };

  StepStage st;
  st.id = "blocks";
  st.title = "The blocks on the input";
  st.formula = "B_1 … B_M,  M = " + m_s;
  st.explanation = L.describe() + "; block sizes " + std::to_string(smallest) +
                   (smallest == largest ? "" : "–" + std::to_string(largest)) + ". Query " + std::to_string(i) +
                   " is in block a = " + a_s + " (" + std::to_string(L.blockSize(a)) + " tokens).";
  st.arrays = {tokenArray(c, "block of token j", blockIds)};
  t.stages.push_back(st);

  const VectorD phiq = p.phiQ.row(i).transpose();
  st = {};
  st.id = "features";
  st.title = "Feature map φ on the query and the keys";
  st.formula = phiFormula(spec.featureMap.kind);
  st.explanation = "As in linear attention: r = " + std::to_string(p.r) + " non-negative features per token.";
  st.arrays = {vectorArray("φ(q_i)", phiq, "r"), matrixArray("φ(K)", p.phiK, "token j", "r")};
  t.stages.push_back(st);

  // One summary per block (what query i reads of it: causal, its own block up to i).
  MatrixD Sflat(m, p.r * p.V.cols()), Z(m, p.r);
  {
    MatrixD S;
    VectorD z;
    for (int b = 0; b < m; ++b) {
      blockSummary(p, causal, i, b, S, z);
      Sflat.row(b) = Eigen::Map<const Eigen::RowVectorXd>(S.data(), S.size());
      Z.row(b) = z.transpose();
    }
  }
  st = {};
  st.id = "summaries";
  st.title = "One summary per block";
  st.formula = causal ? "S_b = Σ_{j∈B_b, j≤i} φ(k_j) v_jᵀ,  z_b = Σ_{j∈B_b, j≤i} φ(k_j)"
                      : "S_b = Σ_{j∈B_b} φ(k_j) v_jᵀ,  z_b = Σ_{j∈B_b} φ(k_j)";
  st.explanation = "M = " + m_s + " summaries instead of linear attention's one: each keeps its own block's keys apart" +
                   std::string(causal ? " (causal: block a only up to the query)." : ".");
  st.arrays = {matrixArray("S_b (one row per block, r·d_v)", Sflat, "block b", "r·d_v"),
               matrixArray("z_b", Z, "block b", "r")};
  t.stages.push_back(st);

  VectorD mrow = p.mix.row(a).transpose();
  if (causal)
    for (int b = a + 1; b < m; ++b) mrow[b] = 0;  // the core keeps b ≤ a
  int reads = 0;
  for (int b = 0; b < m; ++b) reads += mrow[b] > 0;
  st = {};
  st.id = "mixing";
  st.title = "The query block's row of 𝓜";
  st.formula = "m_{a,·},  a = " + a_s;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (int b = 0; b < m; ++b)
    if (!causal || b <= a) {
      lo = std::min(lo, mrow[b]);
      hi = std::max(hi, mrow[b]);
    }
  st.explanation = "Block a reads block b with weight m_ab: " + std::to_string(reads) + " of " + m_s +
                   " blocks have a non-zero weight" + (causal ? " (causal: b ≤ a)" : "") + "; its own m_aa = " +
                   num(mrow[a], 3) + ", the weights range " + num(lo, 3) + " … " + num(hi, 3) +
                   (hi > 0 && lo / hi > 0.5 ? ": far blocks count almost as much as near ones." : ".");
  st.arrays = {onBlocks("m_a,b", mrow)};
  if (m <= 64) st.arrays.push_back(matrixArray("𝓜", p.mix, "query block a", "key block b"));
  t.stages.push_back(st);

  MatrixD St;
  VectorD zt;
  mixedSummary(p, causal, i, St, zt);
  st = {};
  st.id = "mixed";
  st.title = "The mixed summary of block a";
  st.formula = "S̃_a = Σ_b m_ab S_b,  z̃_a = Σ_b m_ab z_b";
  if (other >= 0) {
    MatrixD So;
    VectorD zo;
    mixedSummary(p, causal, other, So, zo);
    st.explanation = "Every query of block a reads this one; query " + std::to_string(other) + " in block " +
                     std::to_string(p.blockOf[other]) + " reads another (max |ΔS̃| = " + num(maxDiff(St, So), 3) +
                     "): M summaries, where linear attention has one.";
  } else {
    st.explanation = "Every query of block a reads this one of the M mixed summaries.";
  }
  st.arrays = {matrixArray("S̃_a", St, "r", "d_v"), vectorArray("z̃_a", zt, "r")};
  t.stages.push_back(st);

  double den = phiq.dot(zt);
  std::string denFormula = "φ(q_i)ᵀz̃_a";
  if (spec.officialNormaliser()) {
    // n_t = Σ_b m_ab φ(q_{b,w})·z_b + ε, w = t's position inside its block (MATH.md).
    int w = 0;
    for (int k = L.offsets()[a]; k < L.offsets()[a + 1]; ++k)
      if (L.order()[k] == i) w = k - L.offsets()[a];
    den = kOfficialEpsilon;
    for (int b = 0; b < m; ++b) den += p.mix(a, b) * p.phiQ.row(L.order()[L.offsets()[b] + w]).dot(Z.row(b));
    denFormula = "n_i = Σ_b m_ab φ(q_{b,w})·z_b + ε";
  }
  requireDen(den, i);
  rowAndOutput(p, causal, i, St, den, t.mapRow, t.output);
  VectorD mass = VectorD::Zero(m);
  for (int j = 0; j < n; ++j) mass[p.blockOf[j]] += t.mapRow[j];
  st = {};
  st.id = "output";
  st.title = "Output, and its map block by block";
  st.formula = "o_i = φ(q_i)ᵀS̃_a / " + denFormula + ",  A_ij = m_{a b(j)} φ(q_i)·φ(k_j) / " + denFormula;
  st.explanation = "Each block's part of the map is scaled by m_ab: block a holds " + num(mass[a], 3) +
                   " of the weight (a uniform map: " + num(double(L.blockSize(a)) / (causal ? i + 1 : n), 3) + ").";
  st.arrays = {vectorArray("o_i", t.output, "d_v"), tokenArray(c, "A_i", t.mapRow), onBlocks("Σ_{j∈B_b} A_ij", mass)};
  t.stages.push_back(st);
  return t;
}

}  // namespace

std::string StepArray::shape() const {
  if (values.rows() == 1) return std::to_string(values.cols());
  return std::to_string(values.rows()) + "×" + std::to_string(values.cols());
}

const StepArray* StepStage::find(const std::string& name) const {
  for (const StepArray& a : arrays)
    if (a.name == name) return &a;
  return nullptr;
}

StepTrace traceSteps(const HeadQKV& x, const MechanismSpec& spec, int query, int otherQuery, int gridRows,
                     int gridCols, int gridFirst) {
  const int n = int(x.Q.rows());
  if (query < 0 || query >= n)
    throw InvalidArgument("query " + std::to_string(query) + " is out of range (N = " + std::to_string(n) + ")");
  if (otherQuery >= n) otherQuery = -1;
  spec.validate(n, int(x.Q.cols()));
  const Ctx c{n, gridRows, gridCols, gridFirst, query};
  StepTrace t;
  if (spec.is(softmaxKind())) {
    t = traceSoftmax(x, spec, query, c);
  } else if (spec.is(linearKind())) {
    t = traceLinear(x, spec, query, otherQuery, c);
  } else if (spec.is(mhlaKind())) {
    t = traceMhla(x, spec, query, otherQuery, c);
  } else {
    throw InvalidArgument("the step view traces softmax, linear and MHLA, not '" + spec.kindId() + "'");
  }
  t.mechanism = spec.kindId();
  t.label = spec.label();
  t.query = query;
  t.n = n;
  return t;
}

int stepHead(const Results& res) {
  const int h = res.session.head;
  if (h >= 0 && h < res.numHeads) return h;
  return res.heads.empty() ? 0 : res.heads.front();
}

std::vector<std::string> steppableMechanisms(const Results& res) {
  std::vector<std::string> out;
  for (const MechanismResult& m : res.mechanisms)
    if (m.spec.is(softmaxKind()) || m.spec.is(linearKind()) || m.spec.is(mhlaKind())) out.push_back(m.name);
  return out;
}

StepTrace traceSteps(const Results& res, const std::string& mechanismId) {
  if (!res.input) throw InvalidArgument("the step view needs an input");
  const MechanismResult* mr = res.find(mechanismId);
  if (!mr) {
    std::string ids;
    for (const std::string& id : steppableMechanisms(res)) ids += (ids.empty() ? "" : ", ") + id;
    throw InvalidArgument("no mechanism '" + mechanismId + "' to step through (expected " + ids + ")");
  }
  const int h = stepHead(res);
  const TokenSet& tok = res.input->tokens;
  StepTrace t = traceSteps(res.input->qkv.head(h), mr->spec.forHead(h), res.query, -1, tok.gridRows, tok.gridCols,
                           tok.gridFirstToken);
  t.head = h;
  return t;
}

}  // namespace attnscope
