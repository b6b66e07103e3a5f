#include "attnscope/input/tokens.h"

namespace attnscope {

const char* inputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::Image:
      return "image";
    case InputKind::Text:
      return "text";
    case InputKind::Synthetic:
      return "synthetic";
    case InputKind::Npy:
      return "npy";
  }
  return "unknown";
}

}  // namespace attnscope
