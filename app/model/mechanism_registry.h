// The mechanisms as data: every panel, exporter, table and the command line iterate this list
// instead of counting to three. An entry says how to build its MechanismSpec from the session and
// the resolved MHLA layout and mixing; adding a mechanism means one registerMechanism() call in its
// own file (see the test-only extra mechanism in tests/gui/extra_mechanism.cpp). A new kind of
// attention (its maths) is a core MechanismKind (attnscope/mechanism_kind.h) that an entry's build
// function names, e.g. the test-only sliding-window kind of tests/kinds/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/input/input.h"
#include "attnscope/mechanism.h"
#include "session/session.h"

namespace attnscope {

/// What a mechanism's spec is built from: the session, the input it runs on, and the MHLA block
/// layout and M×M mixing matrix resolved for these tokens (resolveMechanisms in pipeline.h).
struct MechanismContext {
  const Session& session;
  const Input& input;
  std::shared_ptr<const BlockLayout> layout;
  const MatrixD& mixing;
  FeatureMapSpec featureMap;  ///< φ of the session (kind, favor features, seed)
  bool causal = false;        ///< the session's causal mask, or the tokens' own (a language model's)
};

struct MechanismEntry {
  std::string id;           ///< "softmax": file names (row_<id>.npy), JSON keys, --mechanisms
  std::string displayName;  ///< "softmax", "MHLA": legends
  std::uint32_t rgb = 0x808080;  ///< 0xRRGGBB: the mechanism's colour in every panel
  std::function<MechanismSpec(const MechanismContext&)> build;
  /// The reference the others are measured against (KL, output error): exactly one, the first.
  bool reference = false;
  /// Its maps show the MHLA block boundaries (and the input view tints the query's block).
  bool showsBlocks = false;
};

/// The registered mechanisms in display order: softmax, linear, mhla, then any added ones.
const std::vector<MechanismEntry>& mechanismRegistry();
/// The entry with this id; throws InvalidArgument listing the ids when there is none.
const MechanismEntry& mechanismEntry(const std::string& id);
/// "softmax, linear, mhla".
std::string mechanismIds();
/// Appends an entry (its id must be new and made of [a-z0-9_-]; throws InvalidArgument). Call it
/// before any analysis starts (program start-up, a test's initTestCase).
void registerMechanism(MechanismEntry entry);
/// Removes an entry registered by registerMechanism (tests that add one clean up after them).
void unregisterMechanism(const std::string& id);

}  // namespace attnscope
