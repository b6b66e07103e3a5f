// Resampling the patch grid of learned position embeddings to another grid (MODELS.md, "Other
// resolutions and aspect ratios"), as PyTorch's F.interpolate(mode="bicubic", align_corners=False)
// does it, with or without antialias.
#pragma once

#include "attnscope/models/family.h"
#include "attnscope/types.h"

namespace attnscope::models {

/// `grid`: (sh·sw) rows × D, rows in row-major grid order. Returns (gh·gw) × D equal to
/// F.interpolate(x.reshape(1,sh,sw,D).permute(0,3,1,2), size=(gh,gw), mode="bicubic",
/// align_corners=False, antialias=antialias), permuted back.
///   antialias=false: cubic convolution a = -0.75, source (i+0.5)·scale - 0.5, taps clamped to the
///   border (PyTorch's generic kernel).
///   antialias=true: PyTorch's separable "aa" kernel (PIL-style): a = -0.5, support 2·max(scale,1),
///   weights normalised at the borders; used for growing sides too; width pass first.
/// scale = in/out rounded to float32, as PyTorch computes it for float tensors. Throws
/// InvalidArgument on bad sizes.
MatrixF resamplePositionGrid(const MatrixF& grid, int sh, int sw, int gh, int gw, bool antialias);

/// Whether the family's reference antialiases when it interpolates position embeddings:
/// Hugging Face ViT and DINOv2 (interpolate_pos_encoding) do not; timm (resample_abs_pos_embed,
/// antialias=True by default) does.
bool positionAntialias(Family family);

}  // namespace attnscope::models
