#include "model/pipeline.h"
#include "model/model_source.h"

#include <QFileInfo>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/mixing.h"
#include "attnscope/models/learned_mixing.h"
#include "io/input_loader.h"
#include "model/backend_registry.h"
#include "model/timing_comparison.h"

namespace attnscope {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

EmbeddingSettings embeddingOf(const Session& s) {
  EmbeddingSettings e;
  e.heads = s.input.heads;
  e.dHead = s.input.dHead;
  e.dModel = s.input.dModel;
  e.positionWeight = s.input.positionWeight;
  e.tieQK = s.input.tieQK;
  e.seed = s.seed;
  return e;
}

}  // namespace

SourceContent readSessionSource(const Session& s) {
  const SourceKind k = s.source.kind;
  if (k != SourceKind::Image && k != SourceKind::Text && k != SourceKind::SampleImage && k != SourceKind::SampleText)
    throw InvalidArgument("the source is not an image or a text");
  const bool text = k == SourceKind::Text || k == SourceKind::SampleText;
  const bool file = k == SourceKind::Image || k == SourceKind::Text;
  return readSource(text, file ? qs(s.source.path) : QString());
}

Input loadSessionInput(const Session& s, const JobControl& job) {
  if (s.model.active()) return loadModelInput(s, job);
  ImageInputSettings image;
  image.tokenBudget = s.input.imageTokenBudget;
  image.patchSize = s.input.patchSize;
  TextInputSettings text;
  text.tokenBudget = s.input.textTokenBudget;
  switch (s.source.kind) {
    case SourceKind::SampleImage:
    case SourceKind::SampleText:
    case SourceKind::Image:
    case SourceKind::Text: return contentInput(readSessionSource(s), image, text, embeddingOf(s));
    case SourceKind::Synthetic: {
      SyntheticSettings syn;
      syn.n = s.input.syntheticN;
      syn.clusters = s.input.syntheticClusters;
      syn.spread = s.input.syntheticSpread;
      syn.heads = s.input.heads;
      syn.dHead = s.input.dHead;
      syn.tieQK = s.input.syntheticTieQK;
      syn.seed = s.seed;
      return makeSyntheticInput(syn);
    }
    case SourceKind::Npy: {
      NpyQkvSettings npy;
      npy.qPath = s.source.qPath;
      npy.kPath = s.source.kPath;
      npy.vPath = s.source.vPath;
      npy.labelsPath = s.source.labelsPath;
      npy.gridRows = s.source.gridRows;
      npy.gridCols = s.source.gridCols;
      npy.gridFirstToken = s.source.gridFirstToken;
      return loadNpyQkvInput(npy, qs(s.source.backgroundPath));
    }
  }
  throw InvalidArgument("unknown input source");
}

MatrixD loadSessionMixing(const std::string& path) {
  const std::size_t hash = path.rfind('#');
  if (hash == std::string::npos || hash == 0 || hash + 1 == path.size()) return loadMixing(path);
  // FILE.safetensors#TENSOR: a learned matrix of an MHLA checkpoint (MODELS.md "MHLA weights").
  const models::LearnedMixing l = models::readLearnedMixing(path.substr(0, hash), path.substr(hash + 1));
  if (l.negatives > 0) {
    std::ostringstream os;
    os << path << ": " << l.negatives << " of the " << l.m() * l.m() << " entries are negative (row sums "
       << l.rowSums.minCoeff() << " … " << l.rowSums.maxCoeff()
       << "); MHLA's normaliser needs a non-negative 𝓜, and attnscope does not clamp it silently "
          "(attnscope info --mixing lists the file's matrices)";
    throw FileError(os.str());
  }
  return l.matrix;
}

ResolvedMechanisms resolveMechanisms(const Session& s, const Input& input, const JobControl& job) {
  const TokenSet& t = input.tokens;
  const int n = input.qkv.n();
  FeatureMapSpec phi;
  phi.kind = s.featureMap;
  phi.favorFeatures = s.favorFeatures;
  phi.seed = s.seed;

  // Every token on the grid, or the grid after off-grid tokens (CLS, registers), which join the
  // centre window.
  const bool fullGrid = t.hasGrid() && t.gridFirstToken >= 0 && t.gridRows * t.gridCols == n - t.gridFirstToken;
  const bool causal = s.causal || t.causal;
  BlockLayout layout;
  std::string layoutNote;
  if (fullGrid && !causal) {
    const int patches = t.gridRows * t.gridCols;
    if (s.windowRows > 0 && s.windowCols > 0)
      layout = BlockLayout::twoD(t.gridRows, t.gridCols, s.windowRows, s.windowCols);
    else {
      const int asked = s.blocks > 0 ? s.blocks : std::min(16, patches);
      layout = BlockLayout::twoDWithBlocks(t.gridRows, t.gridCols, asked);
      if (layout.m() != asked)
        layoutNote = "MHLA: no " + std::to_string(asked) + "-block tiling b_h × b_w fits the " +
                     std::to_string(t.gridRows) + "×" + std::to_string(t.gridCols) + " grid; " +
                     std::to_string(layout.m()) + " blocks (" + std::to_string(layout.blockGridRows()) +
                     "×" + std::to_string(layout.blockGridCols()) + ") are used";
    }
    if (t.gridFirstToken > 0) layout = layout.withOffGridTokens(t.gridFirstToken);
  } else {
    if (s.windowRows > 0 && !t.hasGrid())
      throw InvalidArgument("MHLA windows (" + settingRef("mhla.windowRows") + ") need image-like tokens on a patch grid; these " +
                            std::to_string(n) + " tokens have none (use " + settingRef("mhla.blocks") + ")");
    if (s.blocks > n)
      throw InvalidArgument("MHLA: M = " + std::to_string(s.blocks) +
                            " blocks is more than the " + std::to_string(n) + " tokens");
    // ⌈N/M⌉ tokens per block can leave trailing blocks empty (N = 9, M = 8: five blocks of 2 and 1);
    // the layout used has only the blocks that hold tokens, and says so.
    const int asked = s.blocks > 0 ? s.blocks : std::min(8, n);
    const int per = (n + asked - 1) / asked;
    const int used = (n + per - 1) / per;
    layout = BlockLayout::oneD(n, used);
    if (used < asked)
      layoutNote = "MHLA: M = " + std::to_string(asked) + " blocks of ⌈" + std::to_string(n) + "/" +
                   std::to_string(asked) + "⌉ = " + std::to_string(per) + " tokens leave " +
                   std::to_string(asked - used) + " empty; " + std::to_string(used) + " blocks are used";
  }
  const int m = layout.m();

  ResolvedMechanisms r;
  // A hand-edited 𝓜 painted for another M (a session file, an edit that kept it) would block every
  // analysis: it is dropped, with a note, and the initialisation (or mixing file) is used.
  const bool customFits = s.customMixing.rows() == m && s.customMixing.cols() == m;
  if (s.customMixing.size() > 0 && !customFits) {
    if (!layoutNote.empty()) layoutNote += "; ";
    layoutNote += "the custom mixing matrix is " + std::to_string(s.customMixing.rows()) + "×" +
                  std::to_string(s.customMixing.cols()) + " but the layout has M = " + std::to_string(m) +
                  " blocks: it was dropped";
  }
  if (s.customMixing.size() > 0 && customFits) {
    r.mixing = s.customMixing;
    r.mixingName = "custom";
  } else if (!s.mixingFile.empty()) {
    r.mixing = loadSessionMixing(s.mixingFile);
    if (r.mixing.rows() != m || r.mixing.cols() != m)
      throw FileError(s.mixingFile + ": the mixing matrix is " + std::to_string(r.mixing.rows()) +
                      "×" + std::to_string(r.mixing.cols()) + " but the layout has M = " +
                      std::to_string(m) + " blocks (" + layout.describe() + ")");
    r.mixingName = QFileInfo(qs(s.mixingFile)).fileName().toStdString();
  } else if (s.mixing == kFittedMixingName) {
    // Fitted below, per head, once the specs exist; until then the default initialisation.
    r.mixing = makeMixing(layout, causal && layout.kind() == BlockLayout::Kind::OneD ? MixingInit::Causal
                                                                                      : MixingInit::Cos);
    r.mixingName = kFittedMixingName;
  } else {
    r.mixing = makeMixing(layout, parseMixingInit(s.mixing));
    r.mixingName = s.mixing;
  }
  validateMixing(r.mixing, m);

  r.layout = std::make_shared<const BlockLayout>(std::move(layout));
  r.layoutNote = std::move(layoutNote);
  const MechanismContext ctx{s, input, r.layout, r.mixing, phi, causal};
  const std::vector<MechanismEntry>& entries = mechanismRegistry();
  for (const MechanismEntry& e : entries) {
    r.specs.push_back(e.build(ctx));
    r.specs.back().validate(n, input.qkv.dk());
  }
  if (r.mixingName == kFittedMixingName) {
    const MechanismSpec* reference = nullptr;
    for (std::size_t k = 0; k < entries.size(); ++k)
      if (entries[k].reference) reference = &r.specs[k];
    const std::vector<int> heads = selectedHeads(s, input.qkv.numHeads());
    for (MechanismSpec& spec : r.specs) {
      if (!spec.is(mhlaKind()) || !reference) continue;
      r.mixingFit = fitHeads(spec, *reference, input.qkv, heads, job);
      spec = withFittedMixing(spec, *r.mixingFit, input.qkv.numHeads());
      r.mixing = spec.mixing;
    }
  }
  return r;
}

int resolveQuery(const Session& s, const TokenSet& t) {
  const int n = t.size();
  if (s.queryRow >= 0 || s.queryCol >= 0) {
    if (!t.hasGrid())
      throw InvalidArgument("a query cell (" + settingRef("query") +
                            " ROW,COL) needs image-like tokens on a grid; give a token index");
    if (s.queryRow >= t.gridRows || s.queryCol >= t.gridCols || s.queryRow < 0 || s.queryCol < 0) {
      std::ostringstream os;
      os << "query cell (" << s.queryRow << ", " << s.queryCol << ") is outside the "
         << t.gridRows << "×" << t.gridCols << " patch grid";
      throw InvalidArgument(os.str());
    }
    return t.gridFirstToken + s.queryRow * t.gridCols + s.queryCol;
  }
  if (s.query >= n)
    throw InvalidArgument("query " + std::to_string(s.query) + " is out of range (" +
                          std::to_string(n) + " tokens, 0.." + std::to_string(n - 1) + ")");
  if (s.query >= 0) return s.query;
  if (t.hasGrid())
    return t.gridFirstToken + (t.gridRows / 2) * t.gridCols + t.gridCols / 2;
  return n / 2;
}

std::vector<int> selectedHeads(const Session& s, int numHeads) {
  if (s.allHeads()) {
    std::vector<int> all(numHeads);
    for (int h = 0; h < numHeads; ++h) all[h] = h;
    return all;
  }
  if (s.head < 0 || s.head >= numHeads)
    throw InvalidArgument("head " + std::to_string(s.head) + " is out of range (the input has " +
                          std::to_string(numHeads) + " heads, 0.." +
                          std::to_string(numHeads - 1) + ")");
  return {s.head};
}

std::string Results::headLabel() const {
  if (heads.size() == 1) return "head " + std::to_string(heads[0]);
  return "mean of " + std::to_string(heads.size()) + " heads";
}

AnalysisFrame beginAnalysis(const Session& s, std::shared_ptr<const Input> input, const JobControl& job) {
  if (!input) throw InvalidArgument("analyse: no input");
  const Qkv& qkv = input->qkv;
  AnalysisFrame f;
  auto res = std::make_shared<Results>();
  res->session = s;
  res->input = input;
  res->n = qkv.n();
  res->dk = qkv.dk();
  res->dv = qkv.dv();
  res->numHeads = qkv.numHeads();
  res->heads = selectedHeads(s, qkv.numHeads());
  res->query = resolveQuery(s, input->tokens);
  f.mechanisms = resolveMechanisms(s, *input, job);
  res->layout = f.mechanisms.layout;
  res->mixing = f.mechanisms.mixing;
  res->mixingName = f.mechanisms.mixingName;
  res->mixingFit = f.mechanisms.mixingFit;
  res->layoutNote = f.mechanisms.layoutNote;
  res->queryBlock = f.mechanisms.layout->blockOf(res->query);
  f.backend = makeBackend(s.backend, s.threads);
  f.backend->setMatrixBudget(s.matrixBudgetBytes);
  res->backend = f.backend->name();
  // The model's facts (heads, KV cache, low-rank report) from its cached forward: the input was
  // just loaded from it.
  if (s.model.active()) res->model = sessionModelFacts(s);
  f.results = std::move(res);
  return f;
}

void describeMechanism(MechanismResult& mr, const MechanismSpec& spec, const MechanismEntry& entry,
                       int n, int dk) {
  mr.spec = spec;
  mr.name = entry.id;
  mr.displayName = entry.displayName;
  mr.rgb = entry.rgb;
  mr.reference = entry.reference;
  mr.showsBlocks = entry.showsBlocks;
  mr.label = spec.label();
  mr.rankBound = rankBound(spec, n, dk);
  mr.r = featureDim(spec, dk);
  mr.m = spec.blocks();
}

}  // namespace attnscope
