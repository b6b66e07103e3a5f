// Writes the man page, the bash completion and the Markdown command-line reference of attnscope from
// the program's own help texts, at build time (packaging/CMakeLists.txt), so none of them can drift
// from what `attnscope --help` says:
//   attnscope_cli_docs ATTNSCOPE OUT.1 OUT.bash OUT.md
// It runs `ATTNSCOPE --help`, takes the subcommands from its "  attnscope NAME ..." usage lines, runs
// `ATTNSCOPE NAME --help` for each and reads the option lines ("  --name VALUE   help") of each.
// Exit status 1 when a help text cannot be had or names no option or command.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Option {
  std::string name;   // without "--"
  std::string value;  // "FILE", "N", "Q K V", or empty for a flag
  std::string help;
};

struct Command {
  std::string name;
  std::string usage;                     // the "usage: ..." line without "usage: "
  std::vector<std::string> description;  // the lines between the usage and "options:"
  std::vector<Option> options;
};

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// stdout of `exe args...` (stderr discarded); throws when it does not exit with status 0.
std::string run(const std::string& exe, const std::string& args) {
  const std::string cmd = "QT_QPA_PLATFORM=offscreen " + shellQuote(exe) + " " + args + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("'" + cmd + "' failed");
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

Command parseCommand(const std::string& name, const std::string& help) {
  Command c;
  c.name = name;
  const std::vector<std::string> ls = lines(help);
  const std::regex optionLine(R"(^  --([a-z0-9][a-z0-9-]*)(?: ([^ ].*?))?(?:  +(.*))?$)");
  bool inOptions = false;
  for (const std::string& l : ls) {
    if (c.usage.empty() && l.rfind("usage: ", 0) == 0) {
      c.usage = l.substr(7);
      continue;
    }
    if (l == "options:") {
      inOptions = true;
      continue;
    }
    std::smatch m;
    if (inOptions && std::regex_match(l, m, optionLine)) {
      c.options.push_back({m[1], m[2], m[3]});
    } else if (inOptions && !c.options.empty()) {  // a help text on its own line, or continued
      const size_t start = l.find_first_not_of(' ');
      if (start != std::string::npos)
        c.options.back().help += (c.options.back().help.empty() ? "" : " ") + l.substr(start);
    } else if (!inOptions) {
      c.description.push_back(l);
    }
  }
  while (!c.description.empty() && c.description.front().empty()) c.description.erase(c.description.begin());
  while (!c.description.empty() && c.description.back().empty()) c.description.pop_back();
  if (c.usage.empty()) throw std::runtime_error("'attnscope " + name + " --help' has no usage line");
  return c;
}

// --- roff -----------------------------------------------------------------------------------

/// Text for a roff line: backslashes escaped, a leading '.' or '\'' made literal, '-' as \-, and
/// every non-ASCII character (×, ·, —, 𝓜, …) as groff's \[uXXXX], so no input encoding is assumed.
std::string roff(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {  // a UTF-8 sequence (the help texts are UTF-8); a malformed byte becomes U+FFFD
      const int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      unsigned cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
      bool ok = len > 0 && i + len <= s.size();
      for (int k = 1; ok && k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        ok = (b & 0xC0) == 0x80;
        cp = (cp << 6) | (b & 0x3Fu);
      }
      if (!ok) cp = 0xFFFD;
      else i += len - 1;
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

void writeMan(std::ostream& o, const std::string& version, const std::vector<std::string>& top,
              const std::vector<Command>& commands) {
  o << ".\\\" Generated from the help texts of attnscope " << version
    << " by packaging/cli_docs.cpp; do not edit.\n"
    << ".TH ATTNSCOPE 1 \"\" \"attnscope " << version << "\" \"User Commands\"\n"
    << ".SH NAME\nattnscope \\- " << roff(top.empty() ? "" : top[0].substr(top[0].find(": ") + 2))
    << "\n.SH SYNOPSIS\n.nf\n";
  bool inUsage = false;
  std::vector<std::string> after;
  for (size_t i = 1; i < top.size(); ++i) {
    if (top[i] == "usage:") {
      inUsage = true;
      continue;
    }
    if (inUsage && top[i].rfind("  ", 0) == 0) {
      o << roff(top[i].substr(2)) << "\n";
      continue;
    }
    if (inUsage && top[i].empty()) {
      inUsage = false;
      continue;
    }
    if (!inUsage && !top[i].empty()) after.push_back(top[i]);
  }
  o << ".fi\n.SH DESCRIPTION\n"
    << "attnscope runs softmax, linear and MHLA attention on the same tokens of an image, a text, "
       "\\fI.npy\\fR Q/K/V or a trained model and shows side by side what each attends to. Without a "
       "command it opens the desktop window; the commands below run without a display.\n";
  for (const std::string& l : after) o << ".PP\n" << roff(l) << "\n";
  o << ".SH COMMANDS\n";
  for (const Command& c : commands) {
    o << ".SS \"attnscope " << c.name << "\"\n.B " << roff(c.usage) << "\n.PP\n.nf\n";
    for (const std::string& l : c.description) o << roff(l) << "\n";
    o << ".fi\n";
    for (const Option& opt : c.options) {
      o << ".TP\n.B \\-\\-" << roff(opt.name);
      if (!opt.value.empty()) o << " \\fI" << roff(opt.value) << "\\fR";
      o << "\n" << roff(opt.help) << "\n";
    }
  }
  o << ".SH ENVIRONMENT\n.TP\n.B QT_QPA_PLATFORM\n"
       "The headless commands use Qt's offscreen platform unless this is set.\n"
       ".TP\n.B ATTNSCOPE_CUDA_PLUGIN\n"
       "The CUDA backend plugin library to open instead of the installed libattnscope_cuda.so.\n"
       ".SH SEE ALSO\nThe user guide in /usr/share/doc/attnscope and the project's docs/ folder.\n";
}

// --- bash completion ------------------------------------------------------------------------

std::string valueKind(const Option& o) {
  if (o.value.find("DIR") != std::string::npos) return "dir";
  if (o.value.find("FILE") != std::string::npos || o.value.find("PATH") != std::string::npos ||
      o.value.find(".npy") != std::string::npos)
    return "file";
  return o.value.empty() ? "" : "word";
}

void writeBash(std::ostream& o, const std::string& version, const std::vector<Command>& commands) {
  std::string names;
  for (const Command& c : commands) names += (names.empty() ? "" : " ") + c.name;
  o << "# bash completion for attnscope " << version
    << ", generated from its help texts by packaging/cli_docs.cpp; do not edit.\n"
    << "_attnscope() {\n"
    << "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    case ${COMP_WORDS[i]} in " << [&] {
         std::string alt;
         for (const Command& c : commands) alt += (alt.empty() ? "" : "|") + c.name;
         return alt;
       }() << ") cmd=${COMP_WORDS[i]}; break ;; esac\n"
    << "  done\n"
    << "  COMPREPLY=()\n"
    << "  if [[ -z $cmd ]]; then\n"
    << "    if [[ $cur == -* ]]; then\n"
    << "      COMPREPLY=($(compgen -W '--help --version' -- \"$cur\"))\n"
    << "    else  # a command, or a file or model folder to open in the window\n"
    << "      COMPREPLY=($(compgen -W '" << names << "' -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
    << "    fi\n"
    << "    return\n"
    << "  fi\n"
    << "  case $cmd:$prev in\n";
  for (const std::string kind : {"file", "dir", "word"}) {
    std::string alt;
    for (const Command& c : commands)
      for (const Option& opt : c.options)
        if (valueKind(opt) == kind) alt += (alt.empty() ? "" : "|") + c.name + ":--" + opt.name;
    if (alt.empty()) continue;
    o << "    " << alt << ")\n";
    if (kind == std::string("file")) o << "      COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    if (kind == std::string("dir")) o << "      COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n";
    if (kind == std::string("word")) o << "      return ;;  # a number, a list or a name: nothing to offer\n";
  }
  o << "  esac\n  case $cmd in\n";
  for (const Command& c : commands) {
    std::string opts;
    for (const Option& opt : c.options) opts += (opts.empty() ? "--" : " --") + opt.name;
    if (c.options.empty()) opts = "--help";
    o << "    " << c.name << ") COMPREPLY=($(compgen -W '" << opts << "' -- \"$cur\"))";
    if (c.name == "gui") o << "\n      [[ $cur == -* ]] || COMPREPLY+=($(compgen -f -- \"$cur\"))";
    o << " ;;\n";
  }
  o << "  esac\n}\ncomplete -o filenames -F _attnscope attnscope\n";
}

// --- Markdown -------------------------------------------------------------------------------

std::string mdCell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void writeMarkdown(std::ostream& o, const std::string& version, const std::string& top,
                   const std::vector<Command>& commands) {
  o << "# Command-line reference\n\n"
    << "Generated at build time from the help texts of `attnscope` " << version
    << " by `packaging/cli_docs.cpp` (the same source as the man page `attnscope(1)` and the bash "
       "completion); the test `CliDocsUpToDate` fails when this file differs from what the program "
       "says. Do not edit it by hand: build, then copy `build/release/packaging/cli.md` here.\n\n"
    << "```text\n$ attnscope --help\n" << top << "```\n";
  for (const Command& c : commands) {
    o << "\n## attnscope " << c.name << "\n\n```text\nusage: " << c.usage << "\n";
    if (!c.description.empty()) o << "\n";
    for (const std::string& l : c.description) o << l << "\n";
    o << "```\n";
    if (c.options.empty()) continue;
    o << "\n| option | value | what it does |\n|---|---|---|\n";
    for (const Option& opt : c.options)
      o << "| `--" << opt.name << "` | " << (opt.value.empty() ? "" : "`" + mdCell(opt.value) + "`")
        << " | " << mdCell(opt.help) << " |\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: attnscope_cli_docs ATTNSCOPE OUT.1 OUT.bash OUT.md\n";
    return 2;
  }
  try {
    const std::string exe = argv[1];
    const std::string top = run(exe, "--help");
    std::string version = run(exe, "--version");
    version = version.substr(version.find(' ') + 1);
    version.erase(version.find_last_not_of(" \n") + 1);
    std::vector<Command> commands;
    std::set<std::string> seen;
    const std::regex usageLine(R"(^  attnscope ([a-z]+)\b.*)");
    for (const std::string& l : lines(top)) {
      std::smatch m;
      if (std::regex_match(l, m, usageLine) && seen.insert(m[1]).second)
        commands.push_back(parseCommand(m[1], run(exe, std::string(m[1]) + " --help")));
    }
    if (commands.empty()) throw std::runtime_error("'attnscope --help' names no command");
    std::ofstream man(argv[2]), bash(argv[3]), md(argv[4]);
    writeMan(man, version, lines(top), commands);
    writeBash(bash, version, commands);
    writeMarkdown(md, version, top, commands);
    if (!man || !bash || !md) throw std::runtime_error("cannot write the outputs");
  } catch (const std::exception& e) {
    std::cerr << "attnscope_cli_docs: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
