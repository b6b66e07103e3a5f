// The options every computing subcommand shares (input source, head, query, mechanism settings,
// backend) and how they fill a Session: --session first, then the flags override it.
#pragma once

#include <vector>

#include "cli/args.h"
#include "model/results.h"
#include "model/workbench.h"
#include "session/session.h"

namespace attnscope::cli {

/// Input and mechanism options (compute and render): the source flags, then every setting of
/// FlagGroup::Session in the settings table (session/settings.h).
std::vector<OptionSpec> sessionOptionSpecs();
/// How figures look (render).
std::vector<OptionSpec> viewOptionSpecs();

/// Builds the session. Throws UsageError for conflicting or malformed flags and FileError for a
/// session file that cannot be read.
Session sessionFromArgs(const ParsedArgs& args);
/// Applies the view flags (--colormap, --log-scale, ...).
void applyViewArgs(const ParsedArgs& args, Session& session);
/// The model explorer's options (model view, rollout, CLS maps) and how they set view.explorer.
std::vector<OptionSpec> explorerOptionSpecs();
void applyExplorerArgs(const ParsedArgs& a, Session& session);
/// The option of the setting with this flag (a command that takes only some of a group's flags).
OptionSpec settingOption(const std::string& flag);

/// --max-seconds (compute, render): the model survey's time limit (issue 23 #10).
std::vector<OptionSpec> surveyOptionSpecs();
/// The survey's options from the flags; its estimate is printed as a note on stderr.
SurveyOptions surveyFromArgs(const ParsedArgs& args);

/// --sweep / --sweep-max-n (compute, render, bench).
std::vector<OptionSpec> sweepOptionSpecs();
struct SweepRequest {
  bool run = false;
  int maxN = 0;
};
/// `run`: whether the command asked for the sweep (--sweep, or render's sweep panel).
SweepRequest sweepFromArgs(const ParsedArgs& args, bool run);
/// How compute and render follow a work plan (model/workbench.h) on the terminal: each stage's
/// progress line ("analysis" is labelled `command`), the input's notices and the spectrum notes.
WorkHooks terminalHooks(const std::string& command);

/// "attnscope: note: …" on stderr for the input's notices and for spectra that could not be
/// computed.
void printNotices(const Input& input);
void printSpectrumNotes(const Results& results);
/// A message with its setting references ({compute.maxDenseN}) worded as flags (--max-dense-n).
std::string worded(const std::string& message);

}  // namespace attnscope::cli
