#include "hf_tokenizer_json.h"

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attnscope/error.h"
#include "tokenizer_utf8.h"

namespace attnscope::models::hfjson {
namespace {

std::string sizeText(std::uintmax_t bytes) {
  if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string typeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Closes the descriptor when the read is over, whatever happens.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct TooDeep {};       // thrown out of the parser callback: nesting past kMaxDepth
struct RepeatedKey {};  // thrown out of the parser callback: an object has fewer members than keys

/// Parses with a check that stops at nesting past kMaxDepth and, when `names` is set, records each
/// open object's keys to name the first repeated one; without it, a repeat is found by counting
/// (an object built from n keys with fewer than n members), which costs no string copies.
json parseChecked(const std::string& text, std::string* repeated) {
  std::vector<std::size_t> keys;                            // per open object: keys read
  std::vector<std::unordered_set<std::string>> seen;       // (only when naming)
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxDepth) throw TooDeep{};
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
  return json::parse(text, check);
}

}  // namespace

std::string readRegularFile(const std::string& path, std::uintmax_t maxBytes) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    throw FileError(path + ": cannot read the file (" + std::strerror(errno) + ")");
  }
  if (!S_ISREG(st.st_mode)) throw FileError(path + ": is " + typeName(st.st_mode) + ", not a regular file");
  if (std::uintmax_t(st.st_size) > maxBytes) {
    throw FileError(path + ": is " + sizeText(std::uintmax_t(st.st_size)) + ", over the " + sizeText(maxBytes) +
                    " a tokenizer file may have");
  }
  // O_NONBLOCK: should the path have become a FIFO since the stat, the open does not wait.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) throw FileError(path + ": cannot open the file (" + std::strerror(errno) + ")");
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw FileError(path + ": is not a regular file");
  if (std::uintmax_t(st.st_size) > maxBytes) {
    throw FileError(path + ": is over the " + sizeText(maxBytes) + " a tokenizer file may have");
  }
  std::string bytes(std::size_t(st.st_size), '\0');
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

json parse(const std::string& text, const std::string& path) {
  try {
    return parseChecked(text, nullptr);
  } catch (const TooDeep&) {
    throw FileError(path + ": JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  } catch (const RepeatedKey&) {
    // A key appears twice in one object (the parser would keep only the last, silently changing
    // the vocabulary): parse again, slowly, to name it.
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

const char* kindOf(const json& value) {
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

const json& Node::nullValue() {
  static const json null;
  return null;
}

Node Node::operator[](const char* key) const {
  const std::string childPath = path_.empty() ? std::string(key) : path_ + "." + key;
  if (!value_ || !value_->is_object()) return Node(nullptr, childPath, file_);
  const auto it = value_->find(key);
  return Node(it == value_->end() ? nullptr : &*it, childPath, file_);
}

Node Node::operator[](std::size_t i) const {
  const std::string childPath = path_ + "[" + std::to_string(i) + "]";
  if (!value_ || !value_->is_array() || i >= value_->size()) return Node(nullptr, childPath, file_);
  return Node(&(*value_)[i], childPath, file_);
}

std::size_t Node::size() const {
  if (!value_ || !value_->is_array()) expected("an array");
  return value_->size();
}

std::string Node::str() const {
  if (!value_ || !value_->is_string()) expected("a string");
  return value_->get<std::string>();
}

bool Node::boolean() const {
  if (!value_ || !value_->is_boolean()) expected("true or false");
  return value_->get<bool>();
}

long long Node::integer(long long lo, long long hi) const {
  if (!value_ || !value_->is_number_integer()) expected("an integer");
  long long v = 0;
  if (value_->is_number_unsigned()) {
    const auto u = value_->get<std::uint64_t>();
    if (u > std::uint64_t(hi)) fail(std::to_string(u) + " is out of range [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "]");
    v = static_cast<long long>(u);
  } else {
    v = value_->get<long long>();
  }
  if (v < lo || v > hi) {
    fail(std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

void Node::requireObject(const char* what) const {
  if (!value_ || !value_->is_object()) expected(what);
}

std::string Node::type(const char* what) const {
  requireObject((std::string("an object (") + what + ")").c_str());
  const Node t = (*this)["type"];
  if (!t.exists()) fail(std::string(what) + " without a \"type\"");
  return t.str();
}

void Node::fail(const std::string& message) const {
  throw FileError(*file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + message);
}

void Node::expected(const char* expectedWhat) const {
  fail(std::string("expected ") + expectedWhat + ", found " + (value_ ? kindOf(*value_) : "nothing"));
}

}  // namespace attnscope::models::hfjson
