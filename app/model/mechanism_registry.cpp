#include "model/mechanism_registry.h"

#include <algorithm>

#include "attnscope/error.h"

namespace attnscope {

namespace {

std::vector<MechanismEntry> builtIns() {
  std::vector<MechanismEntry> v;
  v.push_back({"softmax", "softmax", 0xD66028,
               [](const MechanismContext& c) {
                 return MechanismSpec::softmax(c.causal, c.session.temperature);
               },
               true, false});
  v.push_back({"linear", "linear", 0x3C6EC8,
               [](const MechanismContext& c) {
                 return MechanismSpec::linear(c.featureMap, c.causal);
               },
               false, false});
  v.push_back({"mhla", "MHLA", 0x289650,
               [](const MechanismContext& c) {
                 return MechanismSpec::mhla(*c.layout, c.mixing, c.featureMap, c.causal,
                                            c.session.normaliser);
               },
               false, true});
  return v;
}

std::vector<MechanismEntry>& registry() {
  static std::vector<MechanismEntry> r = builtIns();
  return r;
}

}  // namespace

const std::vector<MechanismEntry>& mechanismRegistry() { return registry(); }

std::string mechanismIds() {
  std::string s;
  for (const MechanismEntry& e : registry()) s += (s.empty() ? "" : ", ") + e.id;
  return s;
}

const MechanismEntry& mechanismEntry(const std::string& id) {
  for (const MechanismEntry& e : registry())
    if (e.id == id) return e;
  throw InvalidArgument("unknown mechanism '" + id + "' (expected " + mechanismIds() + ")");
}

void registerMechanism(MechanismEntry entry) {
  if (entry.id.empty() ||
      entry.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
    throw InvalidArgument("mechanism id '" + entry.id + "' must be made of a-z, 0-9, _ and -");
  for (const MechanismEntry& e : registry())
    if (e.id == entry.id) throw InvalidArgument("mechanism '" + entry.id + "' is already registered");
  if (!entry.build) throw InvalidArgument("mechanism '" + entry.id + "' has no build function");
  if (entry.reference) throw InvalidArgument("mechanism '" + entry.id + "': softmax is the reference");
  registry().push_back(std::move(entry));
}

void unregisterMechanism(const std::string& id) {
  auto& r = registry();
  r.erase(std::remove_if(r.begin(), r.end(),
                         [&](const MechanismEntry& e) { return e.id == id && !e.reference; }),
          r.end());
}

}  // namespace attnscope
