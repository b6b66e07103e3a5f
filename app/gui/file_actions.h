// File operations of the window, without widgets: which session a dropped / opened file means,
// figure export through the shared FigureComposer, and data export.
#pragma once

#include <QString>
#include <QStringList>
#include <vector>

#include "attnscope/attention.h"
#include "figures/figure_composer.h"
#include "io/file_kind.h"
#include "model/export.h"
#include "model/results.h"
#include "session/session.h"

namespace attnscope::gui {

using attnscope::FileKind;

/// What `path` holds, by its content (io/file_kind.h). Throws FileError for a missing file.
FileKind classifyFile(const QString& path);

/// The session `current` becomes when `path` is opened (a session file is loaded whole; an image
/// or text replaces the source; .npy needs the K and V paths). Throws attnscope::Error.
Session sessionForFile(const QString& path, const Session& current, const QString& kPath = {},
                       const QString& vPath = {});

/// File dialog filters: every kind the program opens (the images Qt's plugins here can read:
/// png, jpg, bmp, gif, tif, webp, …), then each kind, then all files (extension-less texts such as
/// LICENSE or COPYING open too). `kind` = Image / Text / Npy gives that kind's filter first.
QString openFileFilter();
QString openFileFilter(SourceKind kind);
/// Whether `path` holds the content `kind` reads (false for a missing file).
bool fileIsKind(const QString& path, SourceKind kind);

/// True for a path that names a checkpoint: a folder, or a .safetensors / .safetensors.index.json file.
bool isModelPath(const QString& path);
/// The session `current` becomes with the checkpoint at `path`: sessionWithModel (model/sample_models.h)
/// with the path made absolute. Throws attnscope::Error naming the checkpoint when it cannot be opened.
Session sessionForModel(const QString& path, const Session& current);

/// Exports `panels` of `results` as PNG (at dpi), SVG or PDF by the extension. Throws FileError.
void exportFigure(std::shared_ptr<const Results> results, const ViewSettings& view,
                  const std::vector<Panel>& panels, const QString& path, int dpi,
                  const FigureStyle& style = {});

/// What File ▸ Export data writes (exportResults in model/export.h, the files of `attnscope
/// compute`): the dense maps too when those of one mechanism fit in kDataExportMatrixBytes.
inline constexpr std::size_t kDataExportMatrixBytes = std::size_t(256) << 20;
ExportOptions dataExportOptions(const Results& results);

}  // namespace attnscope::gui
