// An independent double-precision forward of the tiny test checkpoints, written from MODELS.md with
// naive loops over the writer's own values (it never reads a file): the reference the native
// forward is checked against.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "st_writer.h"

namespace attnscope::test {

using Mat = std::vector<std::vector<double>>;  // [rows][cols]

struct RefLayer {
  std::vector<Mat> q, k, v, probabilities;  // per head
};

struct RefForward {
  std::vector<RefLayer> layers;
  Mat finalHidden;
};

enum class RefFamily { Gpt2, HfVit, TimmVit, Dinov2 };

struct RefConfig {
  RefFamily family = RefFamily::Gpt2;
  std::string prefix;
  int layers = 2, heads = 2, patch = 4, registers = 0;
  double eps = 1e-5;
  bool swiglu = false;
};

/// GPT-2 on token ids.
RefForward referenceGpt2(const std::vector<WTensor>& tensors, const RefConfig& c, const std::vector<int>& ids);
/// A ViT-family model on a CHW image (3 × height × width) at its training grid, or at another grid
/// given the resampled patch position embeddings `gridPositions` ([gh·gw][D]; empty = stored ones).
RefForward referenceVit(const std::vector<WTensor>& tensors, const RefConfig& c, const std::vector<double>& chw,
                        int height, int width, const Mat& gridPositions = {});

}  // namespace attnscope::test
