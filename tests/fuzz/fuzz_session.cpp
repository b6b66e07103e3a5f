// Fuzzes the session loader: bytes → QJsonDocument::fromJson → Session::fromJson, then the
// round trip toJson → fromJson must succeed (what we accept we can save and read back).
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cstddef>
#include <cstdint>

#include "attnscope/error.h"
#include "session/session.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
  if (err.error != QJsonParseError::NoError || !doc.isObject()) return 0;
  attnscope::Session s;
  try {
    s = attnscope::Session::fromJson(doc.object(), "fuzz.json", QStringLiteral("/nonexistent"));
  } catch (const attnscope::Error&) {
    return 0;
  }
  try {
    (void)attnscope::Session::fromJson(s.toJson(), "roundtrip.json");
  } catch (const attnscope::Error&) {
    __builtin_trap();  // a session we accepted must save and load again
  }
  return 0;
}
