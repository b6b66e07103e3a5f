// The options every computing subcommand shares (input source, head, query, mechanism settings,
// backend) and how they fill a Session: --session first, then the flags override it.
#pragma once

#include <vector>

#include "cli/args.h"
#include "session/session.h"

namespace attnscope::cli {

/// Input and mechanism options (compute and render).
std::vector<OptionSpec> sessionOptionSpecs();
/// How figures look (render).
std::vector<OptionSpec> viewOptionSpecs();

/// Builds the session. Throws UsageError for conflicting or malformed flags and FileError for a
/// session file that cannot be read.
Session sessionFromArgs(const ParsedArgs& args);
/// Applies the view flags (--colormap, --log-scale, ...) to `view`.
void applyViewArgs(const ParsedArgs& args, ViewSettings& view);

}  // namespace attnscope::cli
