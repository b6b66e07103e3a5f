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

struct TooDeep {};      // thrown out of the SAX handler: nesting past kMaxJsonDepth
struct RepeatedKey {};  // thrown out of the SAX handler: a key twice in one object

/// nlohmann's DOM builder with two checks on the way: nesting past kMaxJsonDepth stops the parse
/// at once (nothing deeper is built), and a key repeated inside one object is named. (Not the
/// parser callback: its DOM builder scans the parent's members at every closed container, which
/// is quadratic in an object of a million tensors.)
class CheckedSax {
 public:
  CheckedSax(json& result, std::string& repeated) : dom_(result, true), repeated_(repeated) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return dom_.number_float(v, s); }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    enter();
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    if (!keys_.back().insert(k).second) {
      repeated_ = k;
      throw RepeatedKey{};
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    enter();
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t at, const std::string& token, const Exception& e) {
    return dom_.parse_error(at, token, e);
  }

 private:
  void enter() {
    if (++depth_ > kMaxJsonDepth) throw TooDeep{};
  }
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::string& repeated_;
  int depth_ = 0;
  std::vector<std::unordered_set<std::string>> keys_;  // per open object: its keys so far
};

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
  json result;
  std::string repeated;
  try {
    CheckedSax sax(result, repeated);
    json::sax_parse(text.begin(), text.end(), &sax);
    return result;
  } catch (const TooDeep&) {
    throw FileError(path + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const RepeatedKey&) {
    // The parser would keep only the last, silently changing the file's meaning.
    throw FileError(path + ": key " + quoteShort(repeated) + " appears twice in one object");
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
