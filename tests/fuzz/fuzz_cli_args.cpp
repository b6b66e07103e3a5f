// Fuzzes the command-line parser: the input is split at NUL bytes into arguments and parsed
// against the compute/render options, then turned into a Session (parse only: no command runs,
// no file is read — arguments that would load a session file are skipped).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/error.h"
#include "cli/args.h"
#include "cli/session_options.h"

namespace cli = attnscope::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0)
      args.emplace_back();
    else
      args.back().push_back(static_cast<char>(data[i]));
  }
  std::vector<cli::OptionSpec> specs = cli::sessionOptionSpecs();
  for (const cli::OptionSpec& s : cli::viewOptionSpecs()) specs.push_back(s);
  try {
    const cli::ParsedArgs a = cli::parseArgs(args, specs, "render");
    const std::string input = a.value("input");
    std::string lower = input;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool json = lower.find(".json") != std::string::npos;
    if (a.has("session") || json) return 0;  // would read a file
    attnscope::Session s = cli::sessionFromArgs(a);
    cli::applyViewArgs(a, s);
    (void)cli::formatOptions(specs);
  } catch (const cli::UsageError&) {
  } catch (const attnscope::Error&) {
  }
  return 0;
}
