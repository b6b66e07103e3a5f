#include "model/model_survey.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/rng.h"
#include "model/analysis.h"
#include "model/mechanism_registry.h"
#include "model/mixing_fit.h"

namespace attnscope {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Block means of an N×N map at most `side` cells a side.
Thumbnail matrixThumbnail(const MatrixF& a, int side) {
  const int n = static_cast<int>(a.rows());
  const int s = std::min(n, side);
  Thumbnail t;
  t.rows = t.cols = s;
  t.values.assign(static_cast<std::size_t>(s) * s, 0.0f);
  std::vector<int> count(static_cast<std::size_t>(s) * s, 0);
  for (int i = 0; i < n; ++i) {
    const int ci = static_cast<int>(static_cast<long long>(i) * s / n);
    for (int j = 0; j < n; ++j) {
      const std::size_t c = static_cast<std::size_t>(ci) * s + static_cast<int>(static_cast<long long>(j) * s / n);
      t.values[c] += a(i, j);
      ++count[c];
    }
  }
  for (std::size_t c = 0; c < t.values.size(); ++c) t.values[c] /= float(std::max(1, count[c]));
  return t;
}

/// Scales a thumbnail to [0, 1] by its maximum.
void normalise(Thumbnail& t) {
  float peak = 0;
  for (float v : t.values)
    if (std::isfinite(v)) peak = std::max(peak, v);
  t.peak = peak;
  if (peak > 0)
    for (float& v : t.values)
      if (std::isfinite(v)) v /= peak;
}

/// A row of attention drawn as a picture: over the patch grid (off-grid tokens left out) or, for
/// tokens without a grid, in reading order on a near-square raster.
Thumbnail rowThumbnail(const VectorD& row, const TokenSet& t) {
  Thumbnail th;
  if (t.hasGrid()) {
    th.rows = t.gridRows;
    th.cols = t.gridCols;
    th.values.resize(static_cast<std::size_t>(th.rows) * th.cols);
    for (std::size_t c = 0; c < th.values.size(); ++c) th.values[c] = float(row[t.gridFirstToken + c]);
  } else {
    const int n = static_cast<int>(row.size());
    th.cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(double(n)))));
    th.rows = (n + th.cols - 1) / th.cols;
    th.values.assign(static_cast<std::size_t>(th.rows) * th.cols, std::numeric_limits<float>::quiet_NaN());
    for (int j = 0; j < n; ++j) th.values[j] = float(row[j]);
  }
  normalise(th);
  return th;
}

double metricOf(const HeadMeasures& m, SurveyMetric metric) {
  switch (metric) {
    case SurveyMetric::Entropy: return m.entropy;
    case SurveyMetric::EffectiveRank: return m.effectiveRank;
    case SurveyMetric::Kl: return m.kl;
    case SurveyMetric::PreviousToken: return m.previousToken;
    case SurveyMetric::Sink: return m.sink;
    case SurveyMetric::Distance: return m.distance;
    case SurveyMetric::FittedKl: return m.fittedKl;
    case SurveyMetric::Induction: return m.induction;
  }
  return kNaN;
}

/// Previous-token, sink and (grid tokens) mean attention distance of one map, from its rows.
void headScores(const PreparedAttention& map, const TokenSet& t, int n, HeadMeasures& m) {
  constexpr int kQueries = 256;
  const int count = std::min(n, kQueries);
  double prev = 0, sink = 0, dist = 0;
  int prevUsed = 0, distUsed = 0;
  const bool grid = t.hasGrid();
  const int g0 = t.gridFirstToken, cells = t.gridRows * t.gridCols;
  for (int i = 0; i < count; ++i) {
    const int q = count == n ? i : static_cast<int>(std::lround(double(i) * (n - 1) / (count - 1)));
    const VectorD row = map.row(q);
    sink += row(0);
    if (q >= 1) {
      prev += row(q - 1);
      ++prevUsed;
    }
    if (grid && q >= g0 && q < g0 + cells) {
      const int qr = (q - g0) / t.gridCols, qc = (q - g0) % t.gridCols;
      double d = 0;
      for (int j = g0; j < g0 + cells && j < n; ++j) {
        const int r = (j - g0) / t.gridCols, c = (j - g0) % t.gridCols;
        d += row(j) * std::hypot(double(r - qr), double(c - qc));
      }
      dist += d;
      ++distUsed;
    }
  }
  m.sink = count ? sink / count : kNaN;
  m.previousToken = prevUsed ? prev / prevUsed : kNaN;
  m.distance = distUsed ? dist / distUsed : kNaN;
}

std::string json(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

}  // namespace

std::string toString(SurveyMetric m) {
  switch (m) {
    case SurveyMetric::Entropy: return "entropy";
    case SurveyMetric::EffectiveRank: return "rank";
    case SurveyMetric::Kl: return "kl";
    case SurveyMetric::PreviousToken: return "previous";
    case SurveyMetric::Sink: return "sink";
    case SurveyMetric::Distance: return "distance";
    case SurveyMetric::FittedKl: return "fitted-kl";
    case SurveyMetric::Induction: return "induction";
  }
  return "?";
}

SurveyMetric parseSurveyMetric(const std::string& name) {
  for (SurveyMetric m : {SurveyMetric::Entropy, SurveyMetric::EffectiveRank, SurveyMetric::Kl, SurveyMetric::FittedKl,
                         SurveyMetric::PreviousToken, SurveyMetric::Sink, SurveyMetric::Distance,
                         SurveyMetric::Induction})
    if (toString(m) == name) return m;
  throw InvalidArgument("unknown metric '" + name +
                        "' (expected entropy, rank, kl, fitted-kl, previous, sink, distance or induction)");
}

std::string metricTitle(SurveyMetric m) {
  switch (m) {
    case SurveyMetric::Entropy: return "normalised entropy";
    case SurveyMetric::EffectiveRank: return "effective rank";
    case SurveyMetric::Kl: return "KL to softmax";
    case SurveyMetric::PreviousToken: return "previous-token score";
    case SurveyMetric::Sink: return "sink score (first token)";
    case SurveyMetric::Distance: return "mean attention distance (patches)";
    case SurveyMetric::FittedKl: return "KL to softmax of MHLA with the fitted 𝓜";
    case SurveyMetric::Induction: return "induction score";
  }
  return "?";
}

std::string toString(HeadFusion f) {
  switch (f) {
    case HeadFusion::Mean: return "mean";
    case HeadFusion::Max: return "max";
    case HeadFusion::Min: return "min";
  }
  return "?";
}

HeadFusion parseHeadFusion(const std::string& name) {
  for (HeadFusion f : {HeadFusion::Mean, HeadFusion::Max, HeadFusion::Min})
    if (toString(f) == name) return f;
  throw InvalidArgument("unknown head fusion '" + name + "' (expected mean, max or min)");
}

int ModelSurvey::mechanismIndex(const std::string& id) const {
  for (std::size_t k = 0; k < mechanisms.size(); ++k)
    if (mechanisms[k] == id) return static_cast<int>(k);
  std::string ids;
  for (const std::string& m : mechanisms) ids += (ids.empty() ? "" : ", ") + m;
  throw InvalidArgument("unknown mechanism '" + id + "' (expected " + ids + ")");
}

std::vector<int> inductionSequence(int vocabulary, int repeat, std::uint64_t seed) {
  const int lo = vocabulary / 10, hi = vocabulary - vocabulary / 10;
  if (repeat < 1 || hi - lo < repeat)
    throw InvalidArgument("the induction score needs " + std::to_string(repeat) +
                          " distinct ordinary tokens; the vocabulary has " + std::to_string(vocabulary));
  // A partial Fisher–Yates shuffle of lo … hi−1: `repeat` distinct ids.
  std::vector<int> pool(static_cast<std::size_t>(hi - lo));
  std::iota(pool.begin(), pool.end(), lo);
  Rng rng(seed ^ 0x1d0c7105ull);
  for (int i = 0; i < repeat; ++i) {
    const int j = i + static_cast<int>(rng.uniform() * (hi - lo - i));
    std::swap(pool[static_cast<std::size_t>(i)], pool[static_cast<std::size_t>(std::min(j, hi - lo - 1))]);
  }
  std::vector<int> ids(pool.begin(), pool.begin() + repeat);
  ids.insert(ids.end(), pool.begin(), pool.begin() + repeat);
  return ids;
}

double inductionScore(const PreparedAttention& map, int repeat) {
  if (map.n() < 2 * repeat) throw InvalidArgument("the induction score needs 2R tokens");
  double sum = 0;
  for (int t = repeat; t < 2 * repeat; ++t) sum += map.row(t)(t - repeat + 1);
  return sum / repeat;
}

namespace {

/// HeadMeasures::fittedKl of one layer: each head's 𝓜 fitted against softmax (model/mixing_fit.h).
void addFittedKl(ModelSurvey& survey, int layer, const Analysis& analysis, const JobControl& job) {
  const int nm = static_cast<int>(survey.mechanisms.size()), H = survey.heads;
  const std::vector<MechanismResult>& mechs = analysis.results->mechanisms;
  int reference = -1;
  for (int k = 0; k < nm; ++k)
    if (mechs[k].reference) reference = k;
  for (int k = 0; k < nm; ++k) {
    const bool mhla = mechs[k].spec.is(mhlaKind());
    std::shared_ptr<const MixingFitReport> fits;
    if (mhla && reference >= 0) {
      try {
        std::vector<int> heads(H);
        std::iota(heads.begin(), heads.end(), 0);
        JobControl quiet;
        quiet.cancel = job.cancel;
        fits = fitHeads(mechs[k].spec, mechs[reference].spec, analysis.input->qkv, heads, quiet);
      } catch (const InvalidArgument&) {
        // The official normaliser has no fitted 𝓜: NaN cells.
      }
    }
    for (int h = 0; h < H; ++h) {
      HeadMeasures& m = survey.measures[(static_cast<std::size_t>(layer) * H + h) * nm + k];
      const HeadMixingFit* f = fits ? fits->find(h) : nullptr;
      m.fittedKl = k == reference ? 0.0 : f ? f->klFitted : kNaN;
    }
  }
}

/// HeadMeasures::induction: one more forward of the model on the induction sequence, every layer's
/// maps through every mechanism with the session's settings.
void addInduction(ModelSurvey& survey, const Session& session, const JobControl& job) {
  const int nm = static_cast<int>(survey.mechanisms.size()), H = survey.heads, R = kInductionRepeat;
  const models::Checkpoint checkpoint = openSessionModel(session);
  const models::ModelRunner runner(checkpoint);
  models::ModelInput in;
  in.ids = inductionSequence(runner.info().vocabSize, R, session.seed);
  models::ForwardOptions o;
  o.threads = session.threads;
  const models::ForwardResult fwd = runner.run(in, o, subJob(job, 0.0, 0.5));
  survey.inductionIds = in.ids;
  auto tokens = std::make_shared<TokenSet>();
  tokens->kind = survey.run->input.tokens.kind;
  tokens->sourceName = "<induction sequence>";
  tokens->causal = fwd.causal;
  tokens->ids = in.ids;
  for (std::size_t i = 0; i < in.ids.size(); ++i) tokens->tokens.push_back({"#" + std::to_string(in.ids[i])});
  Session s = session;
  s.head = Session::kHeadAll;
  for (int l = 0; l < survey.layers; ++l) {
    auto input = std::make_shared<Input>();
    input->tokens = *tokens;
    input->qkv = fwd.layer(l).qkv;
    s.model.layer = l;
    std::shared_ptr<const Analysis> a;
    try {
      a = computeAnalysis(s, input, 0, nullptr, subJob(job, 0.5 + 0.5 * l / survey.layers, 0.5 / survey.layers), false);
    } catch (const InvalidArgument&) {
      return;  // settings that do not fit 2R tokens (M > 2R): no induction scores
    }
    for (int k = 0; k < nm; ++k)
      for (int h = 0; h < H; ++h)
        survey.measures[(static_cast<std::size_t>(l) * H + h) * nm + k].induction =
            inductionScore(*a->parts[static_cast<std::size_t>(k)]->prepared[static_cast<std::size_t>(h)], R);
  }
}

}  // namespace

std::shared_ptr<const ModelSurvey> surveyModel(const Session& session, const SurveyOptions& options,
                                               const JobControl& job) {
  if (!session.model.active()) throw InvalidArgument("the model views need a model (" + settingRef("model.path") + ")");
  auto survey = std::make_shared<ModelSurvey>();
  survey->session = session;
  // The forward: a tenth of the progress when it runs (it is reused when it was kept).
  survey->run = sessionModelRun(session, subJob(job, 0.0, 0.1));
  const ModelRun& run = *survey->run;
  survey->layers = static_cast<int>(run.forward.layers.size());
  if (survey->layers == 0) throw InvalidArgument(session.model.path + ": the model has no layers");
  survey->heads = run.forward.layers[0].qkv.numHeads();
  survey->n = run.forward.tokens;
  for (const MechanismEntry& e : mechanismRegistry()) {
    survey->mechanisms.push_back(e.id);
    survey->names.push_back(e.displayName);
    survey->rgb.push_back(e.rgb);
  }
  const int nm = static_cast<int>(survey->mechanisms.size());
  const int L = survey->layers, H = survey->heads;
  survey->measures.resize(static_cast<std::size_t>(L) * H * nm);
  survey->prepared.resize(L);
  survey->spectrumNotes.assign(nm, std::string());
  const bool thumbs = options.matrixThumbnailMaxN > 0 && survey->n <= options.matrixThumbnailMaxN;
  if (thumbs) survey->matrixThumbnails.resize(survey->measures.size());

  Session s = session;
  s.head = Session::kHeadAll;
  const auto started = std::chrono::steady_clock::now();
  for (int l = 0; l < L; ++l) {
    const double span = options.spectra ? 0.45 : 0.9;  // the ranks take the rest
    const double from = 0.1 + span * l / L, width = span / L;
    s.model.layer = l;
    auto input = std::make_shared<Input>();
    input->tokens = run.input.tokens;
    input->qkv = run.forward.layers[l].qkv;
    const std::shared_ptr<const Analysis> analysis =
        computeAnalysis(s, input, 0, nullptr, subJob(job, from, width), true);
    survey->analyses.push_back(analysis);
    survey->prepared[l].resize(nm);
    for (int k = 0; k < nm; ++k) {
      const MechanismResult& mr = analysis->results->mechanisms[k];
      survey->prepared[l][k] = analysis->parts[k]->prepared;
      for (int h = 0; h < H; ++h) {
        HeadMeasures& m = survey->measures[(static_cast<std::size_t>(l) * H + h) * nm + k];
        m.entropy = h < int(mr.metrics.size()) ? mr.metrics[h].meanNormalisedEntropy : kNaN;
        m.kl = h < int(mr.klToSoftmax.size()) ? mr.klToSoftmax[h] : kNaN;
        m.outputError = h < int(mr.outputRelError.size()) ? mr.outputRelError[h] : kNaN;
        m.effectiveRank = kNaN;
        m.induction = kNaN;
        m.fittedKl = kNaN;
        job.check();
        headScores(*analysis->parts[k]->prepared[h], run.input.tokens, survey->n, m);
        if (thumbs) {
          job.check();
          Thumbnail t = matrixThumbnail(analysis->parts[k]->prepared[h]->matrix(session.matrixBudgetBytes),
                                        options.thumbnailSide);
          normalise(t);
          survey->matrixThumbnails[(static_cast<std::size_t>(l) * H + h) * nm + k] = std::move(t);
        }
      }
    }
    if (options.fittedMixing) addFittedKl(*survey, l, *analysis, job);
    job.report(from + width);
    if (l == 0 && L > 1) {
      // Issue 23 #10: every layer costs about what the first did (same N, heads and mechanisms).
      const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const double estimate = first * L;
      std::ostringstream os;
      os.setf(std::ios::fixed);
      os.precision(estimate < 10 ? 1 : 0);
      os << "the survey of " << L << " layers × " << H << " heads at N = " << survey->n << " takes about " << estimate
         << " s (layer 0: " << std::setprecision(2) << first << " s)" << (options.spectra ? ", then the ranks" : "");
      if (options.maxSeconds > 0 && estimate > options.maxSeconds)
        throw BudgetExceeded(os.str() + ": over the limit of " + std::to_string(static_cast<long long>(options.maxSeconds)) +
                             " s (--max-seconds); use fewer tokens (--tokens), one layer (--layer L), or a higher limit");
      if (options.notice && estimate > kSurveyNoticeSeconds) options.notice(os.str());
    }
  }
  const bool text = models::familyEntry(run.info.family).text;
  if (options.induction && text) {
    try {
      addInduction(*survey, s, subJob(job, 0.1 + (options.spectra ? 0.45 : 0.9), 0.0));
    } catch (const InvalidArgument& e) {
      survey->inductionNote = e.what();  // a vocabulary or context too small for 2R tokens
    } catch (const FileError& e) {
      survey->inductionNote = e.what();
    }
  }
  if (options.spectra) addRanks(*survey, subJob(job, 0.55, 0.45));
  return survey;
}

void addRanks(ModelSurvey& survey, const JobControl& job) {
  const SpectrumOptions opts = spectrumOptions(survey.session);
  const int nm = static_cast<int>(survey.mechanisms.size());
  const int total = survey.layers * nm * survey.heads;
  int done = 0;
  for (int l = 0; l < survey.layers; ++l)
    for (int k = 0; k < nm; ++k)
      for (int h = 0; h < survey.heads; ++h, ++done) {
        HeadMeasures& m = survey.measures[(static_cast<std::size_t>(l) * survey.heads + h) * nm + k];
        try {
          JobControl sub;
          sub.cancel = job.cancel;
          const Spectrum sp = survey.prepared[l][k][h]->spectrum(opts, sub);
          m.effectiveRank = sp.effectiveRank;
          m.numericalRank = sp.numericalRank;
        } catch (const Cancelled&) {
          throw;
        } catch (const Error& e) {
          // As computeSpectra: a spectrum that cannot be computed (dense above the limit) is a note.
          if (survey.spectrumNotes[k].empty()) survey.spectrumNotes[k] = e.what();
        }
        job.report((done + 1) / double(total));
      }
  survey.ranks = true;
}

namespace {
/// Folds one more head into `acc` (the sum for the mean; the caller divides).
void fuseInto(MatrixD& acc, const MatrixD& head, HeadFusion fusion, bool first) {
  if (first) {
    acc = head;
    return;
  }
  switch (fusion) {
    case HeadFusion::Mean: acc += head; break;
    case HeadFusion::Max: acc = acc.cwiseMax(head); break;
    case HeadFusion::Min: acc = acc.cwiseMin(head); break;
  }
}
/// r ← Ā·r with Ā = (A + I)/2, rows renormalised.
void rolloutStep(MatrixD& r, const MatrixD& a) {
  const Eigen::Index n = a.rows();
  MatrixD bar = a;
  bar.diagonal().array() += 1.0;
  bar *= 0.5;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double sum = bar.row(i).sum();
    if (sum > 0) bar.row(i) /= sum;
  }
  r = bar * r;
}
}  // namespace

MatrixD fuseHeads(const std::vector<MatrixD>& heads, HeadFusion fusion) {
  if (heads.empty()) throw InvalidArgument("rollout: no heads");
  MatrixD out;
  for (std::size_t h = 0; h < heads.size(); ++h) fuseInto(out, heads[h], fusion, h == 0);
  if (fusion == HeadFusion::Mean) out /= double(heads.size());
  return out;
}

void discardLowest(MatrixD& a, double ratio) {
  const std::size_t total = static_cast<std::size_t>(a.size());
  const std::size_t k = static_cast<std::size_t>(std::floor(double(total) * std::clamp(ratio, 0.0, 1.0)));
  if (k == 0) return;
  // Row-major flat indices, as vit-explain flattens the (N, N) tensor.
  const Eigen::Index n = a.cols();
  std::vector<std::size_t> idx(total);
  std::iota(idx.begin(), idx.end(), std::size_t(0));
  auto value = [&](std::size_t f) { return a(static_cast<Eigen::Index>(f / n), static_cast<Eigen::Index>(f % n)); };
  std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k - 1), idx.end(),
                   [&](std::size_t x, std::size_t y) { return value(x) < value(y) || (value(x) == value(y) && x < y); });
  std::vector<std::size_t> lowest(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k));
  for (std::size_t f : lowest)
    if (f != 0) a(static_cast<Eigen::Index>(f / n), static_cast<Eigen::Index>(f % n)) = 0.0;
}

MatrixD rolloutChain(const std::vector<MatrixD>& fused) {
  if (fused.empty()) throw InvalidArgument("rollout: no layers");
  MatrixD r = MatrixD::Identity(fused[0].rows(), fused[0].rows());
  for (const MatrixD& a : fused) rolloutStep(r, a);
  return r;
}

std::vector<char> massMask(const VectorD& values, double fraction) {
  const Eigen::Index n = values.size();
  std::vector<char> mask(static_cast<std::size_t>(n), 0);
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) total += std::max(0.0, values[i]);
  if (n == 0 || total <= 0) return mask;
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), Eigen::Index(0));
  std::stable_sort(idx.begin(), idx.end(), [&](Eigen::Index a, Eigen::Index b) { return values[a] > values[b]; });
  const double target = std::clamp(fraction, 0.0, 1.0) * total;
  double kept = 0;
  for (Eigen::Index i : idx) {
    if (kept >= target) break;
    mask[static_cast<std::size_t>(i)] = 1;
    kept += std::max(0.0, values[i]);
  }
  return mask;
}

std::shared_ptr<const Rollout> computeRollout(const ModelSurvey& survey, HeadFusion fusion, double discardRatio,
                                              const JobControl& job) {
  auto out = std::make_shared<Rollout>();
  out->fusion = fusion;
  out->discardRatio = discardRatio;
  const std::size_t n = static_cast<std::size_t>(survey.n);
  // Per mechanism, layer by layer: the running product, the fused map, one dense head and Ā
  // (8 bytes an entry each).
  const std::size_t need = n * n * 8 * 4;
  if (need > survey.session.matrixBudgetBytes) {
    std::ostringstream os;
    os << "rollout needs the dense " << n << "×" << n << " maps (" << need / (1 << 20)
       << " MiB), above the matrix budget of " << survey.session.matrixBudgetBytes / (1 << 20) << " MiB";
    out->note = os.str();
    return out;
  }
  const int nm = static_cast<int>(survey.mechanisms.size());
  const int L = survey.layers, H = survey.heads;
  for (int k = 0; k < nm; ++k) {
    MatrixD r = MatrixD::Identity(survey.n, survey.n), fused;
    for (int l = 0; l < L; ++l) {
      for (int h = 0; h < H; ++h) {
        job.check();
        fuseInto(fused, survey.prepared[l][k][h]->matrixD(survey.session.matrixBudgetBytes), fusion, h == 0);
      }
      if (fusion == HeadFusion::Mean) fused /= double(H);
      discardLowest(fused, discardRatio);
      rolloutStep(r, fused);
      job.report((k * L + l + 1) / double(nm * L));
    }
    out->maps.push_back(std::move(r));
  }
  return out;
}

ModelViews modelViews(const ModelSurvey& survey, const Rollout* rollout, const Session& session, int query) {
  ModelViews v;
  const TokenSet& t = survey.run->input.tokens;
  const ViewSettings::Explorer& e = session.view.explorer;
  v.layers = survey.layers;
  v.heads = survey.heads;
  v.n = survey.n;
  v.layer = sessionLayer(session, survey.layers);
  v.head = session.head >= 0 && session.head < survey.heads ? session.head : -1;
  // "cls": the rows of the CLS token (image models), whatever token the maps show.
  const bool clsQuery = e.thumbnails == "cls" && t.hasGrid() && t.gridFirstToken > 0;
  v.query = clsQuery ? 0 : std::clamp(query, 0, std::max(0, survey.n - 1));
  const int mech = survey.mechanismIndex(e.mechanism);
  v.mechanism = survey.mechanisms[mech];
  v.mechanismName = survey.names[mech];
  v.metric = parseSurveyMetric(e.metric);
  const bool text = !t.hasGrid();
  v.wholeMatrix = !survey.matrixThumbnails.empty() &&
                  (e.thumbnails == "matrix" || (e.thumbnails == "auto" && text));
  std::ostringstream ql;
  if (v.wholeMatrix) {
    ql << "whole maps";
  } else {
    ql << "token " << v.query;
    if (v.query < t.size() && !t.tokens[v.query].label.empty()) ql << " \"" << t.tokens[v.query].label << "\"";
  }
  v.queryLabel = ql.str();
  const int nm = static_cast<int>(survey.mechanisms.size());
  // KL to softmax compares a mechanism with the first (softmax, the model's own): on softmax
  // itself it is 0 in every cell, which says nothing (issue 27).
  const bool noMetric = v.metric == SurveyMetric::Kl && mech == 0;
  if (noMetric)
    v.metricNote = "KL to softmax compares linear or MHLA with " + survey.names[0] + "; it is 0 for " +
                   survey.names[0] + " itself (choose another mechanism to view, --view-mechanism)";
  for (int l = 0; l < survey.layers; ++l)
    for (int h = 0; h < survey.heads; ++h) {
      const std::size_t at = (static_cast<std::size_t>(l) * survey.heads + h) * nm + mech;
      v.cells.push_back(v.wholeMatrix ? survey.matrixThumbnails[at]
                                      : rowThumbnail(survey.prepared[l][mech][h]->row(v.query), t));
      v.cellMetric.push_back(noMetric ? std::nan("") : metricOf(survey.measures[at], v.metric));
    }

  // Grouped heads: how alike each KV head's query heads attend (rows of up to 32 queries).
  const int kvHeads = survey.run->info.keyValueHeads();
  if (kvHeads > 0 && kvHeads < survey.heads && survey.heads % kvHeads == 0 && survey.n > 0) {
    v.kvHeads = kvHeads;
    v.kvGroup = survey.heads / kvHeads;
    const int samples = std::min(32, survey.n);
    for (int l = 0; l < survey.layers; ++l)
      for (int g = 0; g < kvHeads; ++g) {
        double sum = 0;
        int pairs = 0;
        for (int s = 0; s < samples; ++s) {
          // Queries spread over the sequence, the last one included (causal rows grow with it).
          const int q = samples == 1 ? survey.n - 1 : static_cast<int>(std::lround(double(s) * (survey.n - 1) / (samples - 1)));
          std::vector<VectorD> rows;
          for (int j = g * v.kvGroup; j < (g + 1) * v.kvGroup; ++j) rows.push_back(survey.prepared[l][mech][j]->row(q));
          for (std::size_t a = 0; a < rows.size(); ++a)
            for (std::size_t b = a + 1; b < rows.size(); ++b) {
              const double na = rows[a].norm(), nb = rows[b].norm();
              sum += na > 0 && nb > 0 ? rows[a].dot(rows[b]) / (na * nb) : 0.0;
              ++pairs;
            }
        }
        v.groupAgreement.push_back(pairs ? sum / pairs : 1.0);
      }
  }

  for (int k = 0; k < nm; ++k) {
    ModelViews::Curve c;
    c.mechanism = survey.mechanisms[k];
    c.name = survey.names[k];
    c.rgb = survey.rgb[k];
    for (int m = 0; m < 3; ++m) {
      for (int l = 0; l < survey.layers; ++l) {
        double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
        int used = 0;
        for (int h = 0; h < survey.heads; ++h) {
          const double x = metricOf(survey.at(l, h, k), static_cast<SurveyMetric>(m));
          if (!std::isfinite(x)) continue;
          sum += x;
          lo = std::min(lo, x);
          hi = std::max(hi, x);
          ++used;
        }
        c.mean[m].push_back(used ? sum / used : kNaN);
        c.lo[m].push_back(used ? lo : kNaN);
        c.hi[m].push_back(used ? hi : kNaN);
      }
    }
    v.curves.push_back(std::move(c));
  }
  // KL of MHLA with each head's fitted 𝓜 beside the mechanisms' KL: the floor MHLA can reach.
  for (int k = 0; k < nm; ++k) {
    ModelViews::Curve c;
    c.mechanism = survey.mechanisms[k] + "-fitted";
    c.name = survey.names[k] + ", fitted 𝓜";
    c.rgb = 0x145A32;
    bool any = false;
    for (int m = 0; m < 3; ++m)
      for (int l = 0; l < survey.layers; ++l) {
        double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
        int used = 0;
        for (int h = 0; h < survey.heads && m == static_cast<int>(SurveyMetric::Kl); ++h) {
          const HeadMeasures& hm = survey.at(l, h, k);
          if (!survey.prepared[l][k][h] || !survey.prepared[l][k][h]->spec().is(mhlaKind())) continue;
          if (!std::isfinite(hm.fittedKl)) continue;
          sum += hm.fittedKl;
          lo = std::min(lo, hm.fittedKl);
          hi = std::max(hi, hm.fittedKl);
          ++used;
        }
        any = any || used > 0;
        c.mean[m].push_back(used ? sum / used : kNaN);
        c.lo[m].push_back(used ? lo : kNaN);
        c.hi[m].push_back(used ? hi : kNaN);
      }
    if (any) v.curves.push_back(std::move(c));
  }

  v.gridRows = t.gridRows;
  v.gridCols = t.gridCols;
  v.gridFirstToken = t.gridFirstToken;
  const bool cls = t.hasGrid() && t.gridFirstToken > 0;
  v.rolloutQuery = cls ? 0 : v.query;
  if (rollout) {
    v.fusion = rollout->fusion;
    v.discardRatio = rollout->discardRatio;
    v.rolloutNote = rollout->note;
    for (std::size_t k = 0; k < rollout->maps.size(); ++k) {
      v.rolloutMechanisms.push_back(survey.mechanisms[k]);
      v.rolloutNames.push_back(survey.names[k]);
      v.rolloutRgb.push_back(survey.rgb[k]);
      VectorD row = rollout->maps[k].row(v.rolloutQuery).transpose();
      // Over the patches only (as vit-explain shows it): the CLS token's weight on itself and on
      // the registers (the identity's share) would set the colour range of every map.
      if (t.hasGrid())
        for (int j = 0; j < t.gridFirstToken; ++j) row[j] = 0.0;
      v.rolloutRows.push_back(std::move(row));
    }
  } else {
    v.rolloutNote = "rollout not computed";
  }

  v.clsMass = e.clsMass;
  if (!cls) {
    v.clsNote = "CLS maps need an image model with a CLS token";
  } else {
    for (int h = 0; h < survey.heads; ++h) {
      const VectorD row = survey.prepared[v.layer][mech][h]->row(0);
      const VectorD patches = row.segment(t.gridFirstToken, static_cast<Eigen::Index>(t.gridRows) * t.gridCols);
      v.clsMaps.push_back(rowThumbnail(row, t));
      v.clsMasks.push_back(massMask(patches, e.clsMass));
    }
  }
  return v;
}

std::shared_ptr<const Results> withModelViews(const Results& base, const ModelSurvey& survey, const Rollout* rollout,
                                              const Session& session) {
  auto out = std::make_shared<Results>(base);
  out->modelViews = std::make_shared<const ModelViews>(modelViews(survey, rollout, session, base.query));
  return out;
}

std::string surveyCsv(const ModelSurvey& s) {
  std::ostringstream os;
  os.precision(9);
  os << "layer,head,mechanism,entropy,effective_rank,numerical_rank,kl,output_error,previous_token,sink,"
        "attention_distance,induction,kl_fitted_mhla\n";
  auto num = [](double v) {
    if (std::isnan(v)) return std::string();
    if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
    std::ostringstream o;
    o.precision(9);
    o << v;
    return o.str();
  };
  for (int l = 0; l < s.layers; ++l)
    for (int h = 0; h < s.heads; ++h)
      for (std::size_t k = 0; k < s.mechanisms.size(); ++k) {
        const HeadMeasures& m = s.at(l, h, static_cast<int>(k));
        os << l << ',' << h << ',' << s.mechanisms[k] << ',' << num(m.entropy) << ',' << num(m.effectiveRank) << ','
           << (std::isnan(m.effectiveRank) ? std::string() : std::to_string(m.numericalRank)) << ',' << num(m.kl)
           << ',' << num(m.outputError) << ',' << num(m.previousToken) << ',' << num(m.sink) << ','
           << num(m.distance) << ',' << num(m.induction) << ',' << num(m.fittedKl) << '\n';
      }
  return os.str();
}

std::string surveyJson(const ModelSurvey& s) {
  std::ostringstream os;
  os << "{\n  \"layers\": " << s.layers << ",\n  \"heads\": " << s.heads << ",\n  \"n\": " << s.n
     << ",\n  \"rows\": [";
  bool first = true;
  for (int l = 0; l < s.layers; ++l)
    for (int h = 0; h < s.heads; ++h)
      for (std::size_t k = 0; k < s.mechanisms.size(); ++k) {
        const HeadMeasures& m = s.at(l, h, static_cast<int>(k));
        os << (first ? "\n" : ",\n") << "    {\"layer\": " << l << ", \"head\": " << h << ", \"mechanism\": \""
           << s.mechanisms[k] << "\", \"entropy\": " << json(m.entropy)
           << ", \"effective_rank\": " << json(m.effectiveRank) << ", \"numerical_rank\": "
           << (std::isnan(m.effectiveRank) ? std::string("null") : std::to_string(m.numericalRank))
           << ", \"kl\": " << json(m.kl) << ", \"output_error\": " << json(m.outputError)
           << ", \"previous_token\": " << json(m.previousToken) << ", \"sink\": " << json(m.sink)
           << ", \"attention_distance\": " << json(m.distance) << ", \"induction\": " << json(m.induction)
           << ", \"kl_fitted_mhla\": " << json(m.fittedKl) << "}";
        first = false;
      }
  os << "\n  ]";
  if (!s.inductionIds.empty()) {
    os << ",\n  \"induction_ids\": [";
    for (std::size_t i = 0; i < s.inductionIds.size(); ++i) os << (i ? ", " : "") << s.inductionIds[i];
    os << "]";
  }
  if (!s.inductionNote.empty()) {
    // The note as a JSON string (Qt escapes it): ["…"] without the brackets.
    const QByteArray quoted =
        QJsonDocument(QJsonArray{QString::fromStdString(s.inductionNote)}).toJson(QJsonDocument::Compact);
    os << ",\n  \"induction_note\": " << quoted.mid(1, quoted.size() - 2).toStdString();
  }
  os << "\n}\n";
  return os.str();
}

}  // namespace attnscope
