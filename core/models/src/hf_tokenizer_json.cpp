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
