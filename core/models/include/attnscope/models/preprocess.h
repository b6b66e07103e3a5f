// Image preprocessing of the ViT family as each checkpoint's reference does it (MODELS.md, "Images:
// ViT family"): Hugging Face image processors (preprocessor_config.json) and timm's eval transform
// (config.json's pretrained_cfg). Resizing reproduces Pillow's Image.resize on 8-bit RGB exactly,
// so the pixels equal what the Python pipelines feed the model.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/input/rgb_image.h"
#include "attnscope/models/checkpoint.h"

namespace attnscope::models {

/// Pillow's resampling filters (PIL codes: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box).
enum class ResampleFilter { Nearest, Bilinear, Bicubic, Box, Lanczos };

/// "nearest", "bilinear", "bicubic", "box", "lanczos".
const char* filterName(ResampleFilter f);

/// How the centre crop's offset is rounded when the margin is odd.
enum class CropRounding {
  Floor,         ///< Hugging Face image_transforms.center_crop: top = (h - crop_h) // 2
  RoundHalfEven  ///< torchvision (timm): top = int(round((h - crop_h) / 2.0)), Python's round
};

/// The largest image a preprocessing may make (a resize or a crop): per side and in pixels
/// (16.8 M pixels: 48 MiB of 8-bit RGB, 192 MiB as float32). Configs asking for more are refused
/// before anything is allocated.
constexpr int kMaxPreprocessSide = 16384;
constexpr long long kMaxPreprocessPixels = 4096LL * 4096;

/// What the model's reference does to an image before the patch embedding.
struct ImagePreprocess {
  bool doResize = true;
  int resizeWidth = 0, resizeHeight = 0;  ///< exact size when shortestEdge == 0
  int shortestEdge = 0;                   ///< > 0: the shorter side becomes this, the aspect kept
  ResampleFilter filter = ResampleFilter::Bilinear;
  bool doCenterCrop = false;
  int cropWidth = 0, cropHeight = 0;
  CropRounding cropRounding = CropRounding::Floor;
  bool doRescale = true;
  double rescaleFactor = 1.0 / 255.0;
  bool doNormalize = true;
  std::array<double, 3> mean{0.5, 0.5, 0.5};
  std::array<double, 3> std{0.5, 0.5, 0.5};
  std::string source;  ///< which file (and key) told it, or which defaults were used

  /// One line: "resize shortest edge 256 (bicubic), centre crop 224x224, rescale x0.00392157,
  /// normalise mean [...] std [...] — from <source>".
  std::string describe() const;
};

/// The preprocessing of `ckpt`'s family: Hugging Face ViT/DeiT/DINO and DINOv2 from the folder's
/// preprocessor_config.json (the family's defaults when there is none, said in `source`); timm from
/// config.json's pretrained_cfg. Throws FileError naming the file and key on a bad value, and
/// InvalidArgument for a text model.
ImagePreprocess preprocessFor(const Checkpoint& ckpt);
/// A Hugging Face image processor: preprocessor_config.json beside the checkpoint, else the
/// class's defaults (`dinov2`: BitImageProcessor's, as facebook/dinov2-*; else ViTImageProcessor's).
ImagePreprocess hfPreprocess(const Checkpoint& ckpt, bool dinov2);
/// timm's eval transform from config.json's pretrained_cfg (timm's defaults without one).
ImagePreprocess timmPreprocess(const Checkpoint& ckpt);

/// The output size of an aspect-keeping resize of width x height so that the shorter side becomes
/// `shortestEdge` (transformers get_resize_output_image_size / torchvision Resize(int): the long
/// side is int(shortestEdge * long / short)). Returns {width, height}.
std::array<int, 2> shortestEdgeSize(int width, int height, int shortestEdge);

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
struct Rgb8Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
};

/// Pillow's Image.resize((outW, outH), filter) of an RGB image (reducing_gap=None): separable
/// fixed-point convolution, horizontal pass first, a pass skipped when that side keeps its size;
/// nearest is Pillow's affine nearest path. Throws InvalidArgument on bad sizes.
Rgb8Image resizePil(const Rgb8Image& image, int outW, int outH, ResampleFilter filter);

/// Float [0,1] image to 8 bits: lround(x * 255) clamped to 0..255 (validates the image first).
Rgb8Image toRgb8(const RgbImage& image);

/// The model's input: float32 [3][height][width] plus what was done.
struct PreprocessedImage {
  int width = 0, height = 0;
  std::vector<float> chw;                   ///< [3][height][width]
  int resizedWidth = 0, resizedHeight = 0;  ///< after the resize (= source when none)
  int cropLeft = 0, cropTop = 0;            ///< of the crop inside the resized image
  int sourceWidth = 0, sourceHeight = 0;
  std::vector<std::string> notices;
};

/// resize (Pillow) -> centre crop -> rescale -> normalise, as `p` says. Throws InvalidArgument when
/// the crop does not fit the (resized) image.
PreprocessedImage preprocessImage(const RgbImage& image, const ImagePreprocess& p);

/// Native resolution ("keep aspect"): the aspect ratio is kept; the image is scaled down (never up)
/// only as far as needed for (W/patch)·(H/patch) <= maxPatches (the largest such size) with p's
/// filter, centre-cropped to multiples of the patch, then rescaled/normalised as p says. Throws
/// InvalidArgument for an image smaller than one patch or one that cannot fit the budget.
PreprocessedImage preprocessNative(const RgbImage& image, const ImagePreprocess& p, int patchSize,
                                   int maxPatches);

}  // namespace attnscope::models
