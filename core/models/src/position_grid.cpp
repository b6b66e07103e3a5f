#include "position_grid.h"

#include "attnscope/error.h"

namespace attnscope::models {

MatrixF resamplePositions(const MatrixF& grid, int sh, int sw, int gh, int gw, Family family) {
  (void)grid;
  (void)family;
  throw InvalidArgument("the model was trained on a " + std::to_string(sh) + " × " + std::to_string(sw) +
                        " patch grid; a " + std::to_string(gh) + " × " + std::to_string(gw) + " grid is not supported yet");
}

}  // namespace attnscope::models
