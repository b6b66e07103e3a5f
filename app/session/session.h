// Session: every parameter that changes a number (and how the figure shows it), saved to and loaded
// from JSON. A saved session plus its input file reproduces a figure exactly.
#pragma once

#include <QJsonObject>
#include <QString>
#include <cstdint>
#include <string>

#include "attnscope/feature_map.h"
#include "attnscope/input/settings.h"
#include "attnscope/mechanism.h"
#include "attnscope/types.h"

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
  bool sharedScale = true;           ///< one colour scale for the three maps
  double overlayOpacity = 0.75;      ///< heatmap opacity over the image, 0..1
  bool showImage = true;             ///< draw the (dimmed) image under image maps
};

struct Session {
  static constexpr int kVersion = 1;
  /// Special values of `head`.
  static constexpr int kHeadAll = -1;   ///< every head (outputs [H,N,d_v]; rows averaged)
  static constexpr int kHeadMean = -2;  ///< rows and metrics averaged over heads

  SessionSource source;
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
  std::size_t matrixBudgetBytes = kDefaultMatrixBudgetBytes;

  ViewSettings view;

  bool allHeads() const { return head == kHeadAll || head == kHeadMean; }

  QJsonObject toJson() const;
  /// Throws FileError "<name>: field 'mhla.blocks' must be ..." naming the bad field. Unknown keys
  /// are ignored; missing keys keep their defaults. Relative paths are resolved against `baseDir`
  /// when it is not empty.
  static Session fromJson(const QJsonObject& obj, const std::string& name = "session.json",
                          const QString& baseDir = QString());
};

/// Writes the session as indented JSON (throws FileError naming the file).
void saveSession(const Session& session, const QString& path);
/// Reads a session file; relative paths inside are resolved against the file's folder.
Session loadSession(const QString& path);

}  // namespace attnscope
