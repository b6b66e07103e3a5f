#include "bounded_file.h"

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attnscope/error.h"
#include "tokenizer_utf8.h"

namespace attnscope::models {
namespace {

using nlohmann::json;

std::string sizeText(std::uintmax_t bytes) {
  if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

[[noreturn]] void notRegular(const std::string& path, mode_t mode) {
  if (S_ISDIR(mode)) throw FileError(path + ": is a folder, not a file");
  const char* what = S_ISFIFO(mode)                    ? "a FIFO"
                     : (S_ISCHR(mode) || S_ISBLK(mode)) ? "a device"
                     : S_ISSOCK(mode)                   ? "a socket"
                                                        : "something else";
  throw FileError(path + ": is " + what + ", not a regular file");
}

struct TooDeep {};      // thrown out of the parser callback: nesting past kMaxJsonDepth
struct RepeatedKey {};  // thrown out of the parser callback: an object has fewer members than keys

/// Parses with a check that stops at nesting past kMaxJsonDepth and, when `repeated` is set,
/// records each open object's keys to name the first repeated one; without it, a repeat is found
/// by counting (an object built from n keys with fewer than n members), which costs no copies.
json parseChecked(std::string_view text, std::string* repeated) {
  std::vector<std::size_t> keys;                       // per open object: keys read
  std::vector<std::unordered_set<std::string>> seen;  // (only when naming)
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    switch (event) {
      case json::parse_event_t::object_start:
        keys.push_back(0);
        if (repeated) seen.emplace_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty()) ++keys.back();
        if (repeated && !seen.empty() && !seen.back().insert(parsed.get_ref<const std::string&>()).second) {
          *repeated = parsed.get_ref<const std::string&>();
          throw RepeatedKey{};
        }
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) {
          if (parsed.is_object() && parsed.size() != keys.back()) throw RepeatedKey{};
          keys.pop_back();
        }
        if (repeated && !seen.empty()) seen.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), check);
}

}  // namespace

OpenedFile::~OpenedFile() {
  if (fd >= 0) ::close(fd);
}

OpenedFile openRegularFile(const std::string& path) {
  if (path.find('\0') != std::string::npos) throw FileError(readableBytes(path) + ": the path contains a NUL byte");
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    throw FileError(path + ": cannot open the file (" + std::strerror(errno) + ")");
  }
  if (!S_ISREG(st.st_mode)) notRegular(path, st.st_mode);
  // O_NONBLOCK: should the path have become a FIFO since the stat, the open does not wait.
  OpenedFile f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (f.fd < 0) throw FileError(path + ": cannot open the file (" + std::strerror(errno) + ")");
  if (::fstat(f.fd, &st) != 0) throw FileError(path + ": cannot read the file (" + std::strerror(errno) + ")");
  if (!S_ISREG(st.st_mode)) notRegular(path, st.st_mode);
  // Reads of a regular file do not care about O_NONBLOCK; clear it all the same.
  const int flags = ::fcntl(f.fd, F_GETFL);
  if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
  f.size = std::uintmax_t(st.st_size);
  return f;
}

std::string readBoundedFile(const std::string& path, std::uintmax_t maxBytes, const char* kind) {
  const OpenedFile f = openRegularFile(path);
  if (f.size > maxBytes) {
    throw FileError(path + ": is " + sizeText(f.size) + ", over the " + sizeText(maxBytes) + " " + kind +
                    " may have");
  }
  std::string bytes(std::size_t(f.size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw FileError(path + ": read error (" + std::strerror(errno) + ")");
    if (n == 0) break;  // shrank while reading: parse what is there (the parser judges it)
    done += std::size_t(n);
  }
  bytes.resize(done);
  return bytes;
}

json parseBoundedJson(std::string_view text, const std::string& path) {
  // The parser takes a NUL for the end of the input, so a document followed by NULs would pass;
  // JSON text has no raw NUL anywhere.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw FileError(path + ": not valid JSON (a NUL byte at offset " + std::to_string(nul) + ")");
  }
  try {
    return parseChecked(text, nullptr);
  } catch (const TooDeep&) {
    throw FileError(path + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const RepeatedKey&) {
    // A key appears twice in one object (the parser would keep only the last, silently changing
    // the file's meaning): parse again, slowly, to name it.
    std::string key;
    try {
      parseChecked(text, &key);
    } catch (const RepeatedKey&) {
    }
    throw FileError(path + ": key " + quoteShort(key) + " appears twice in one object");
  } catch (const json::exception& e) {
    // The parser's message may quote the token it stopped in (a whole megabyte string): cut it.
    std::string what = e.what();
    if (what.size() > 160) what = readableBytes(what.substr(0, 160)) + "…";
    throw FileError(path + ": not valid JSON (" + what + ")");
  }
}

json readBoundedJson(const std::string& path, std::uintmax_t maxBytes, const char* kind) {
  return parseBoundedJson(readBoundedFile(path, maxBytes, kind), path);
}

const char* jsonKind(const json& value) {
  switch (value.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

std::string quoteShort(std::string_view s, std::size_t maxChars) {
  if (s.size() <= maxChars) return "\"" + readableBytes(s) + "\"";
  std::size_t cut = maxChars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole characters
  return "\"" + readableBytes(s.substr(0, cut)) + "\"… (" + std::to_string(s.size()) + " bytes)";
}

std::string shortValue(const json& value) {
  switch (value.type()) {
    case json::value_t::string: return quoteShort(value.get_ref<const std::string&>());
    case json::value_t::array: return "an array of " + std::to_string(value.size());
    case json::value_t::object:
      return "an object of " + std::to_string(value.size()) + (value.size() == 1 ? " key" : " keys");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
    case json::value_t::boolean:
    case json::value_t::null: return value.dump();  // scalars: short
    default: return jsonKind(value);
  }
}

}  // namespace attnscope::models
