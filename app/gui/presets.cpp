#include "gui/presets.h"

#include <QObject>

namespace attnscope::gui {

Session startSession() {
  return Session{};  // every setting at the table's default, as `render` and `compute` start
}

Session lessonBase(const Session& current) {
  Session s = startSession();
  s.backend = current.backend;
  s.threads = current.threads;
  s.maxDenseN = current.maxDenseN;
  s.matrixBudgetBytes = current.matrixBudgetBytes;
  return s;
}

Session lessonSession(int index, const Session& current) {
  const auto presets = lessonPresets();
  Session s = lessonBase(current);
  if (index >= 0 && index < static_cast<int>(presets.size())) presets[static_cast<std::size_t>(index)].apply(s);
  return s;
}

std::vector<Preset> lessonPresets() {
  std::vector<Preset> p;
  p.push_back({QObject::tr("Global context collapse"),
               QObject::tr("Linear attention spreads each query's weight over almost every token: its map "
                           "is nearly flat (normalised entropy near 1) while softmax stays local and "
                           "content-driven. The sweep shows why people still want linear cost: O(N) "
                           "against softmax's O(N²). Raise the image tokens and watch the gap grow."),
               [](Session& s) {
                 s.setSource(SessionSource{});  // the sample image
                 s.input.imageTokenBudget = 4096;
               },
               true});
  p.push_back({QObject::tr("Locality through mixing"),
               QObject::tr("MHLA with an identity mixing matrix: each block attends only to itself "
                           "(block-diagonal). Now pick 'cos' in the mixing panel: nearby blocks join in. "
                           "Then 'uniform': MHLA becomes plain linear attention again."),
               [](Session& s) {
                 s.setSource(SessionSource{});
                 s.input.imageTokenBudget = 1024;
                 s.setMixingInit("identity");
                 s.setBlocks(16);
               }});
  p.push_back({QObject::tr("Rank grows with M"),
               QObject::tr("Linear attention's map has rank ≤ r = d_k = 16. MHLA with block-local (identity) "
                           "mixing has rank up to Σ_b min(|B_b|, r): with M = 64 blocks its spectrum stays "
                           "high far beyond r (spectra panel). Lower M, or pick 'cos' mixing (every block "
                           "reads every summary), and the MHLA curve falls back toward linear."),
               [](Session& s) {
                 s.setSource(SessionSource{});
                 s.input.imageTokenBudget = 1024;
                 s.input.dHead = 16;
                 s.setMixingInit("identity");
                 s.setBlocks(64);
               }});
  return p;
}

}  // namespace attnscope::gui
