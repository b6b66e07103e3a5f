// A trained checkpoint as an input source (issue 12): a model + an image or text source yields the
// model's tokens (GPT-2 BPE pieces; CLS, registers and patches) and, per layer, the Q/K/V its own
// attention uses. The analysis then runs every mechanism on one layer's Q/K/V: "softmax" is the
// model's attention (its scale 1/√d_head, GPT-2's causal mask), linear and MHLA use the same Q/K/V
// (causal 1D blocks for GPT-2, 2D windows over the patch grid for ViTs with CLS and registers in
// the centre window).
#pragma once

#include <memory>
#include <string>

#include "attnscope/input/input.h"
#include "attnscope/models/checkpoint.h"
#include "attnscope/models/forward.h"
#include "attnscope/progress.h"
#include "model/kv_report.h"
#include "session/session.h"

namespace attnscope {

/// The checkpoint of session.model (with session.model.heads for configs that do not say).
models::Checkpoint openSessionModel(const Session& session);

/// The session's source read the model's way: its tokens, the working image (image models) and
/// what the forward takes. Throws InvalidArgument for a source the model cannot take (text for an
/// image model, ...), FileError for unreadable files.
struct ModelTokens {
  TokenSet tokens;
  RgbImage image;
  models::ModelInput input;
};
ModelTokens modelTokens(const Session& session, const models::Checkpoint& checkpoint);

/// What the model's forward on the session's source gave.
struct ModelRun {
  Input input;                    ///< tokens, image, and the Q/K/V of `layer`
  models::ForwardResult forward;  ///< every layer the options kept
  int layer = 0;                  ///< the layer in input.qkv
  models::ModelInfo info;         ///< what the checkpoint is
  std::shared_ptr<const KvRankReport> kvRank;  ///< with session.model.kvRank > 0
};

/// Runs the forward of `runner` (bound to `checkpoint`) on the session's source (image or text file, or a sample), keeping
/// `options.keepLayers` plus the session's layer (modelTokens, then the forward).
ModelRun runSessionModel(const Session& session, const models::Checkpoint& checkpoint, const models::ModelRunner& runner,
                         models::ForwardOptions options = {}, const JobControl& job = {});

/// The session's layer (−1 → the last) checked against `layers`.
int sessionLayer(const Session& session, int layers);

/// The forward of the session's model on its source with every layer kept: the last one, when the
/// model's files, the source and the token settings are the same (the layer does not matter),
/// else a new one (which is then kept). What loadModelInput and the model survey read.
std::shared_ptr<const ModelRun> sessionModelRun(const Session& session, const JobControl& job = {});

/// loadSessionInput for a session with a model: opens it, runs the forward (keeping every layer)
/// and gives the session's layer. The last forward is kept: the same model and input at another
/// layer (or head, or any analysis setting) reuses it (keyed by the files' sizes and times).
Input loadModelInput(const Session& session, const JobControl& job = {});

/// The low-rank K/V sweep of the session's model on its source (every layer at rank r for
/// r = 1, 2, 4, … and the full rank; the layers' energy ranks). Progress per rank; cancellable.
KvSweep kvRankSweep(const Session& session, const JobControl& job = {});

/// What metrics.json and the figures say of the session's model: from its cached forward
/// (sessionModelRun: a copy of pointers when the input was just loaded).
std::shared_ptr<const ModelFacts> sessionModelFacts(const Session& session, const JobControl& job = {});

}  // namespace attnscope
