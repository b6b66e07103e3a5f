// A small command-line parser: GNU-style long options (--name VALUE, --name=VALUE), options with
// several values (--qkv Q K V), flags, and positional arguments. Bad usage throws UsageError
// (exit status 2) naming the flag.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnscope::cli {

/// A usage error: unknown flag, missing or malformed value. main() exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;       ///< without the leading "--"
  int values = 0;         ///< 0 = flag
  std::string valueName;  ///< "FILE", "N", ...
  std::string help;
};

class ParsedArgs {
 public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// The (last) value of an option with one value, or `fallback`.
  std::string value(const std::string& name, const std::string& fallback = {}) const;
  /// All values of the last occurrence of an option.
  const std::vector<std::string>& values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend ParsedArgs parseArgs(const std::vector<std::string>&, const std::vector<OptionSpec>&,
                              const std::string&);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

/// Parses `args` (without the program and subcommand names) against `specs`. `command` names the
/// subcommand in messages. "--help" is recognised as a flag when listed in specs.
ParsedArgs parseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                     const std::string& command);

/// The options part of a --help text.
std::string formatOptions(const std::vector<OptionSpec>& specs);

/// Value parsers; throw UsageError "--flag: ..." on malformed or out-of-range values.
int parseInt(const std::string& flag, const std::string& text, int lo, int hi);
double parseDouble(const std::string& flag, const std::string& text, double lo, double hi);
/// "RxC" / "R×C" / "R,C" → two positive integers.
std::pair<int, int> parsePair(const std::string& flag, const std::string& text, char sep = 'x');
/// "a,b,c" → {"a", "b", "c"} (empty items are an error).
std::vector<std::string> splitList(const std::string& flag, const std::string& text);

}  // namespace attnscope::cli
