// The trained sample models shipped with attnscope (issue 28 #1): a small GPT-2-layout text model and
// a small ViT-layout image model, trained by resources/tools/train_{text,image}_model.py and read
// through the ordinary model path. One function gives the session of each, for the command line
// (--sample-model text|image), the window (File ▸ Open sample model) and the lessons.
#pragma once

#include <string>
#include <vector>

#include "session/session.h"

namespace attnscope {

enum class SampleModel { Text, Image };

/// "text" / "image".
std::string sampleModelName(SampleModel which);
/// Parses "text" / "image"; throws InvalidArgument naming both.
SampleModel parseSampleModel(const std::string& name);

/// Environment variable naming the folder that holds text/ and image/ (overrides the search).
inline constexpr const char* kSampleModelsEnv = "ATTNSCOPE_SAMPLE_MODELS";

/// Where the sample models are looked for, in order: $ATTNSCOPE_SAMPLE_MODELS when set, else
/// <the program's folder>/../share/attnscope/models — the installed tree (bin/ beside share/) and
/// the build tree (the build copies resources/models to <build>/share/attnscope/models).
std::vector<std::string> sampleModelRoots();

/// The folder of one sample model (config.json, model.safetensors, …). Throws FileError naming the
/// folders looked in when it is not there.
std::string sampleModelDir(SampleModel which);

/// The session `current` becomes with the checkpoint at `path`, its last layer, every head averaged
/// and no pinned query. The source: a user's image or text that the model reads stays; otherwise
/// the model folder's own sample (sample.png beside an image model's config.json, sample.txt
/// beside a text model's) when it ships one, else the built-in sample of the model's kind. Throws
/// attnscope::Error naming the checkpoint when it cannot be opened.
Session sessionWithModel(const std::string& path, const Session& current);

/// The session of a sample model on its natural source: the text model on the built-in sample
/// text, the image model on the held-out generated image it ships (sample.png); every other setting
/// from `current`. Throws FileError when the model is not installed.
Session sessionForSampleModel(SampleModel which, const Session& current = Session{});

}  // namespace attnscope
