#include "cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace attnscope::cli {

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& ParsedArgs::values(const std::string& name) const {
  static const std::vector<std::string> none;
  auto it = values_.find(name);
  return it == values_.end() ? none : it->second;
}

ParsedArgs parseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                     const std::string& command) {
  ParsedArgs out;
  bool onlyPositional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (onlyPositional || a.size() < 2 || a[0] != '-') {
      out.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      onlyPositional = true;
      continue;
    }
    if (a == "-h") {
      out.values_["help"] = {};
      continue;
    }
    if (a.rfind("--", 0) != 0)
      throw UsageError("unknown option '" + a + "' for '" + command + "'");
    std::string name = a.substr(2);
    std::string inlineValue;
    bool hasInline = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasInline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs)
      if (s.name == name) spec = &s;
    if (!spec) throw UsageError("unknown option '--" + name + "' for '" + command + "'");
    std::vector<std::string> vals;
    if (spec->values == 0) {
      if (hasInline) throw UsageError("option '--" + name + "' takes no value");
    } else {
      if (hasInline) vals.push_back(inlineValue);
      while (static_cast<int>(vals.size()) < spec->values) {
        if (i + 1 >= args.size() ||
            (args[i + 1].rfind("--", 0) == 0 && args[i + 1].size() > 2))
          throw UsageError("option '--" + name + "' needs " +
                           (spec->values == 1 ? std::string("a value")
                                              : std::to_string(spec->values) + " values") +
                           " (" + spec->valueName + ")");
        vals.push_back(args[++i]);
      }
    }
    out.values_[name] = vals;
  }
  return out;
}

std::string formatOptions(const std::vector<OptionSpec>& specs) {
  std::ostringstream os;
  for (const OptionSpec& s : specs) {
    std::string left = "  --" + s.name + (s.valueName.empty() ? "" : " " + s.valueName);
    os << left;
    if (left.size() < 29)
      os << std::string(30 - left.size(), ' ');
    else
      os << "\n" << std::string(30, ' ');
    os << s.help << "\n";
  }
  return os.str();
}

int parseInt(const std::string& flag, const std::string& text, int lo, int hi) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    throw UsageError("--" + flag + ": expected an integer in " + std::to_string(lo) + ".." +
                     std::to_string(hi) + ", got '" + text + "'");
  return static_cast<int>(v);
}

double parseDouble(const std::string& flag, const std::string& text, double lo, double hi) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream os;
    os << "--" << flag << ": expected a number in [" << lo << ", " << hi << "], got '" << text
       << "'";
    throw UsageError(os.str());
  }
  return v;
}

std::pair<int, int> parsePair(const std::string& flag, const std::string& text, char sep) {
  std::string t = text;
  // Accept "×" (UTF-8) as well as the ASCII separator.
  for (size_t p; (p = t.find("\xC3\x97")) != std::string::npos;) t.replace(p, 2, 1, sep);
  const size_t at = t.find_first_of(std::string(1, sep) + (sep == 'x' ? "X" : ""));
  if (at == std::string::npos)
    throw UsageError("--" + flag + ": expected A" + std::string(1, sep) + "B, got '" + text + "'");
  return {parseInt(flag, t.substr(0, at), 1, 1 << 20), parseInt(flag, t.substr(at + 1), 1, 1 << 20)};
}

std::vector<std::string> splitList(const std::string& flag, const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream is(text);
  while (std::getline(is, item, ',')) {
    if (item.empty()) throw UsageError("--" + flag + ": empty item in '" + text + "'");
    out.push_back(item);
  }
  if (out.empty()) throw UsageError("--" + flag + ": expected a comma-separated list");
  return out;
}

}  // namespace attnscope::cli
