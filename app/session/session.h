// Session: every parameter that changes a number (and how the figure shows it), saved to and loaded
// from JSON. A saved session plus its input file reproduces a figure exactly.
#pragma once

#include <QJsonObject>
#include <QString>
#include <cstdint>
#include <map>
#include <string>

#include "attnscope/feature_map.h"
#include "attnscope/input/settings.h"
#include "attnscope/mechanism.h"
#include "attnscope/types.h"
#include "session/settings.h"

namespace attnscope {

/// Where the tokens come from.
enum class SourceKind { SampleImage, SampleText, Image, Text, Synthetic, Npy };
/// "sample-image", "sample-text", "image", "text", "synthetic", "npy".
std::string toString(SourceKind k);
/// Throws InvalidArgument naming the valid choices.
SourceKind parseSourceKind(const std::string& name);

struct SessionSource {
  SourceKind kind = SourceKind::SampleImage;
  std::string path;  ///< Image / Text: the file
  /// Npy: the three arrays, optional labels, optional background image and grid.
  std::string qPath, kPath, vPath, labelsPath, backgroundPath;
  int gridRows = 0, gridCols = 0, gridFirstToken = 0;

  bool operator==(const SessionSource& o) const;
  bool operator!=(const SessionSource& o) const { return !(*this == o); }
};

/// A trained checkpoint the tokens and Q/K/V come from (with an image or text source): the
/// model's own Q/K/V of one layer replace the hand-made embedding.
struct SessionModel {
  std::string path;               ///< checkpoint folder or .safetensors file; empty = no model
  int layer = -1;                 ///< 0-based; -1 = the last
  bool nativeResolution = false;  ///< images keep their aspect ratio (position embeddings resampled)
  int heads = 0;                  ///< heads when the config does not say; 0 = from the config
  /// Low-rank K/V (MATH.md): the rank of the [K/α | V] latent the model runs on; 0 = its own K/V.
  int kvRank = 0;
  int kvRankLayer = -1;           ///< the layer the rank applies to; -1 = every layer
  bool active() const { return !path.empty(); }
  bool operator==(const SessionModel& o) const {
    return path == o.path && layer == o.layer && nativeResolution == o.nativeResolution && heads == o.heads &&
           kvRank == o.kvRank && kvRankLayer == o.kvRankLayer;
  }
};

/// Input and embedding settings of settings.h (seeds come from Session::seed).
struct SessionInputSettings {
  int imageTokenBudget = 1024;
  int patchSize = 0;  ///< 0 = automatic
  int textTokenBudget = 512;
  int heads = 4;
  int dHead = 64;
  int dModel = 128;
  double positionWeight = 0.5;
  bool tieQK = true;
  /// Synthetic source.
  int syntheticN = 256;
  int syntheticClusters = 4;
  double syntheticSpread = 0.5;
  bool syntheticTieQK = false;
};

/// How figures show the numbers (changes no number, but is part of reproducing a figure).
struct ViewSettings {
  std::string colormap = "viridis";  ///< viridis | magma | cividis | greyscale
  bool logScale = false;             ///< colour scale of the maps
  /// One colour scale for all the maps; the default is one per map (issue 27: the window and
  /// `render` disagreed, and beside softmax's peaks a shared scale leaves linear's and MHLA's
  /// flatter maps blank).
  bool sharedScale = false;
  double overlayOpacity = 0.75;      ///< heatmap opacity over the image, 0..1
  bool showImage = true;             ///< draw the (dimmed) image under image maps
  /// What the maps show: "row" (the query's row), "matrix" (the whole N×N map, tokens in block
  /// order) or "difference" (each map minus softmax's); matrix and difference need N ≤
  /// kMapMatrixMaxN (analysis.h), above it they show rows.
  std::string mapMode = "row";
  /// The colour range leaves out the query's own weight (a one-hot softmax on the query itself
  /// would otherwise make its map one bright cell).
  bool rangeWithoutQuery = true;
  /// The step-through view (issue 28 #2, the steps panel): the mechanism it walks the pinned query
  /// through (softmax | linear | mhla) and the stage shown (0-based; -1: the first on screen, every
  /// stage as its own page in a PDF).
  std::string stepMechanism = "softmax";
  int step = -1;
  /// The model explorer's views (issue 13). Rollout's fusion and discard ratio change the rollout
  /// numbers only: the window re-runs the rollout, not the analysis.
  struct Explorer {
    std::string mechanism = "softmax";  ///< model view and CLS maps: a registry id
    std::string metric = "entropy";     ///< model-view annotation: entropy | rank | kl
    std::string thumbnails = "auto";    ///< auto | rows | cls | matrix (auto: whole maps for texts up to 512 tokens)
    std::string fusion = "mean";        ///< rollout head fusion: mean | max | min
    double discardRatio = 0.9;          ///< rollout: the lowest fraction of each fused map set to 0 (vit-explain)
    double clsMass = 0.6;               ///< CLS maps: keep the fewest patches holding this mass (DINO)
    std::string panel = "maps";         ///< the window's selected view (maps | model-view | layer-curves | rollout | cls-maps)
    bool operator==(const Explorer& o) const;
  } explorer;
};

/// Which work a session edit makes stale (Session::changes): from the `stale` bits of each setting
/// (settings.h) whose JSON changed.
struct SessionChanges {
  bool input = false;     ///< tokens or Q/K/V must be loaded again ("source", "input", "seed")
  bool analysis = false;  ///< the mechanisms must run again (every other key; true with `input`)
  bool query = false;     ///< the pinned query changed ("query")
  bool view = false;      ///< only how figures look changed ("view")
  bool any() const { return input || analysis || query || view; }
};

struct Session {
  static constexpr int kVersion = 1;
  /// Special values of `head`.
  static constexpr int kHeadAll = -1;   ///< every head (outputs [H,N,d_v]; rows averaged)
  static constexpr int kHeadMean = -2;  ///< rows and metrics averaged over heads

  SessionSource source;
  SessionModel model;
  SessionInputSettings input;
  std::uint64_t seed = 0;  ///< embedding, synthetic data and the favor projection

  int head = 0;       ///< ≥ 0: that head; kHeadAll; kHeadMean
  int query = -1;     ///< token index; -1 = automatic (grid centre / middle token)
  int queryRow = -1;  ///< with queryCol: a grid cell (image-like tokens); overrides `query`
  int queryCol = -1;

  double temperature = 1.0;
  FeatureMapKind featureMap = FeatureMapKind::Relu;
  int favorFeatures = 256;

  int blocks = 0;      ///< MHLA M; 0 = automatic (2D: about 16 windows; 1D: min(8, N))
  int windowRows = 0;  ///< 2D windows (both or neither; 0 = use `blocks`)
  int windowCols = 0;
  std::string mixing = "cos";  ///< an initialisation name (mixing.h)
  std::string mixingFile;      ///< CSV or .npy, overrides `mixing`
  MatrixD customMixing;        ///< hand-edited M×M matrix, overrides both (empty = none)
  Normaliser normaliser = Normaliser::Paper;
  bool causal = false;

  std::string backend = "eigen";
  int threads = 0;  ///< < 1: all cores
  double spectrumRelTol = 1e-4;
  /// Largest N for dense spectra (softmax, causal maps); above it they are skipped with a note.
  int maxDenseN = 4096;
  std::size_t matrixBudgetBytes = kDefaultMatrixBudgetBytes;

  ViewSettings view;

  /// Registered settings (settings.h registerSetting) by key; one never set has its default.
  std::map<std::string, SettingValue> extra;

  bool allHeads() const { return head == kHeadAll || head == kHeadMean; }

  // The rules that keep a session consistent when one setting changes (session_rules.cpp). Every
  // editor (window, controls, presets, file actions, CLI) goes through these instead of copying
  // the clearing by hand.

  /// A different input: the pinned query and the hand-edited mixing belong to the old tokens and
  /// are cleared. The same source again changes nothing.
  void setSource(const SessionSource& src);
  /// MHLA with about `m` blocks (0 = automatic): clears the 2D windows; a changed layout also
  /// drops the hand-edited mixing and the mixing file (both are M×M for the old M).
  void setBlocks(int m);
  /// MHLA with rows×cols 2D windows and blocks = 0 (both > 0; anything else clears the windows and
  /// keeps `blocks`); a changed layout drops the hand-edited mixing and the mixing file.
  void setWindows(int rows, int cols);
  /// Mixing from an initialisation (mixing.h): clears the hand-edited mixing and the mixing file.
  void setMixingInit(const std::string& name);
  /// Mixing read from a CSV or .npy file: clears the hand-edited mixing.
  void setMixingFile(const std::string& path);
  /// A hand-edited M×M mixing matrix (overrides the file and the initialisation).
  void setCustomMixing(const MatrixD& m);
  /// Back to the mixing initialisation: clears the hand-edited mixing and the mixing file.
  void resetMixing();
  /// The automatic query (grid centre / middle token).
  void clearQuery();
  /// Pins the query to a token index (clears a pinned grid cell).
  void pinQuery(int index);
  /// Pins the query to a grid cell (image-like tokens).
  void pinQueryCell(int row, int col);
  /// After an input loaded: a pinned token or cell it no longer has goes back to automatic; a
  /// head it does not have goes back to 0.
  void fitToInput(int numTokens, int gridRows, int gridCols, int numHeads);

  /// What going from `before` to `after` makes stale: the `stale` bits of every setting whose
  /// JSON differs (kInput → input and analysis, kAnalysis → analysis, kQuery → query, kView and
  /// kRollout → view).
  static SessionChanges changes(const Session& before, const Session& after);
  /// The same on two toJson() objects (a key no setting covers counts as analysis).
  static SessionChanges changes(const QJsonObject& before, const QJsonObject& after);

  QJsonObject toJson() const;
  /// Throws FileError "<name>: field 'mhla.blocks' must be ..." naming the bad field. Unknown keys
  /// are ignored; missing keys keep their defaults. Relative paths are resolved against `baseDir`
  /// when it is not empty.
  static Session fromJson(const QJsonObject& obj, const std::string& name = "session.json",
                          const QString& baseDir = QString());
};

/// Writes the session as indented JSON (throws FileError naming the file).
void saveSession(const Session& session, const QString& path);
/// Largest session file loadSession reads.
inline constexpr qint64 kMaxSessionFileBytes = qint64(16) << 20;
/// Reads a session file; relative paths inside are resolved against the file's folder. Throws
/// FileError for a file above kMaxSessionFileBytes, invalid JSON or a bad field.
Session loadSession(const QString& path);

}  // namespace attnscope
