// What each family's reference does to an image: Hugging Face image processors (ViTImageProcessor,
// DeiTImageProcessor, BitImageProcessor for DINOv2) from preprocessor_config.json, with each
// class's defaults for keys left out; timm's eval transform from config.json's pretrained_cfg.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "attnscope/error.h"
#include "attnscope/models/preprocess.h"
#include "attnscope/models/json_config.h"
#include "bounded_file.h"

namespace attnscope::models {

namespace {

constexpr std::array<double, 3> kHalf{0.5, 0.5, 0.5};                // IMAGENET_STANDARD_*
constexpr std::array<double, 3> kImagenetMean{0.485, 0.456, 0.406};  // IMAGENET_DEFAULT_MEAN
constexpr std::array<double, 3> kImagenetStd{0.229, 0.224, 0.225};   // IMAGENET_DEFAULT_STD
constexpr std::array<double, 3> kClipMean{0.48145466, 0.4578275, 0.40821073};  // OPENAI_CLIP_MEAN
constexpr std::array<double, 3> kClipStd{0.26862954, 0.26130258, 0.27577711};  // OPENAI_CLIP_STD

std::string num(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

std::string triple(const std::array<double, 3>& a) {
  return "[" + num(a[0]) + ", " + num(a[1]) + ", " + num(a[2]) + "]";
}

int positiveInt(const nlohmann::json& v, const std::string& file, const std::string& key) {
  if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > (1 << 20))
    throw FileError(file + ": \"" + key + "\" must be a positive integer (found " + shortValue(v) + ")");
  return v.get<int>();
}

ResampleFilter pilFilter(const nlohmann::json& v, const std::string& file) {
  if (!v.is_number_integer())
    throw FileError(file + ": \"resample\" must be a PIL filter code 0-4 (found " + shortValue(v) + ")");
  switch (v.get<long long>()) {
    case 0:
      return ResampleFilter::Nearest;
    case 1:
      return ResampleFilter::Lanczos;
    case 2:
      return ResampleFilter::Bilinear;
    case 3:
      return ResampleFilter::Bicubic;
    case 4:
      return ResampleFilter::Box;
    case 5:
      throw FileError(file + ": \"resample\" 5 (hamming) is not supported");
    default:
      throw FileError(file + ": \"resample\" " + shortValue(v) +
                      " is not a PIL filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box)");
  }
}

ResampleFilter timmFilter(const std::string& name, const std::string& file) {
  if (name == "bilinear") return ResampleFilter::Bilinear;
  if (name == "bicubic") return ResampleFilter::Bicubic;
  if (name == "nearest") return ResampleFilter::Nearest;
  if (name == "lanczos") return ResampleFilter::Lanczos;
  if (name == "box") return ResampleFilter::Box;
  throw FileError(file + ": \"pretrained_cfg.interpolation\" \"" + name +
                  "\" is not supported (bilinear, bicubic, nearest, lanczos, box)");
}

/// A number or 3 numbers (mean/std); std entries must not be 0.
std::array<double, 3> channelValues(const nlohmann::json& v, const std::string& file,
                                    const std::string& key, bool nonZero) {
  std::array<double, 3> out{};
  if (v.is_number()) {
    out.fill(v.get<double>());
  } else if (v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() &&
             v[2].is_number()) {
    for (int c = 0; c < 3; ++c) out[c] = v[c].get<double>();
  } else {
    throw FileError(file + ": \"" + key + "\" must be a number or 3 numbers (found " + shortValue(v) +
                    ")");
  }
  for (double x : out) {
    if (!std::isfinite(x))
      throw FileError(file + ": \"" + key + "\" has a value that is not finite");
    if (nonZero && x == 0.0) throw FileError(file + ": \"" + key + "\" has a 0 (division by zero)");
  }
  return out;
}

std::string sizeText(long long w, long long h) { return std::to_string(w) + "x" + std::to_string(h); }

/// The sizes a config asks for, checked before any pixel is allocated: the resize and the crop
/// within the pixel budget, and the model's input (the crop, else a fixed resize) a whole number of
/// patches. `file` names the file in the message, `what` the keys.
void checkSizes(const ImagePreprocess& p, int patchSize, const std::string& file, const char* resizeKey,
                const char* cropKey) {
  auto budget = [&](long long w, long long h, const char* key) {
    if (w > kMaxPreprocessSide || h > kMaxPreprocessSide || w * h > kMaxPreprocessPixels)
      throw FileError(file + ": \"" + key + "\" " + sizeText(w, h) + " is over the " +
                      std::to_string(kMaxPreprocessPixels / 1000000) + " megapixels (at most " +
                      std::to_string(kMaxPreprocessSide) + " a side) an image may be preprocessed to");
  };
  if (p.doResize) {
    if (p.shortestEdge > 0) budget(p.shortestEdge, p.shortestEdge, resizeKey);
    else budget(p.resizeWidth, p.resizeHeight, resizeKey);
  }
  if (p.doCenterCrop) budget(p.cropWidth, p.cropHeight, cropKey);
  if (patchSize <= 0) return;
  auto whole = [&](long long w, long long h, const char* key) {
    if (w % patchSize != 0 || h % patchSize != 0)
      throw FileError(file + ": \"" + key + "\" " + sizeText(w, h) + " is not a multiple of the patch size " +
                      std::to_string(patchSize));
  };
  if (p.doCenterCrop) whole(p.cropWidth, p.cropHeight, cropKey);
  else if (p.doResize && p.shortestEdge == 0) whole(p.resizeWidth, p.resizeHeight, resizeKey);
}

/// The Hugging Face image processor classes attnscope knows, with their defaults.
struct HfClass {
  std::string name;
  bool intSizeIsShortestEdge;  ///< get_size_dict(default_to_square=False)
  bool hasCenterCrop;
  ImagePreprocess defaults;
};

HfClass hfClass(const std::string& type, bool dinov2) {
  HfClass k;
  const bool bit = type.find("Bit") == 0 || (type.empty() && dinov2);
  const bool deit = type.find("DeiT") == 0;
  if (bit) {  // BitImageProcessor (DINOv2's)
    k = {"BitImageProcessor", true, true, {}};
    k.defaults.shortestEdge = 224;
    k.defaults.filter = ResampleFilter::Bicubic;
    k.defaults.doCenterCrop = true;
    k.defaults.cropWidth = k.defaults.cropHeight = 224;
    k.defaults.mean = kClipMean;
    k.defaults.std = kClipStd;
    return k;
  }
  if (deit) {
    k = {"DeiTImageProcessor", false, true, {}};
    k.defaults.resizeWidth = k.defaults.resizeHeight = 256;
    k.defaults.filter = ResampleFilter::Bicubic;
    k.defaults.doCenterCrop = true;
    k.defaults.cropWidth = k.defaults.cropHeight = 224;
    k.defaults.mean = kHalf;
    k.defaults.std = kHalf;
    return k;
  }
  k = {"ViTImageProcessor", false, false, {}};
  k.defaults.resizeWidth = k.defaults.resizeHeight = 224;
  k.defaults.filter = ResampleFilter::Bilinear;
  k.defaults.mean = kHalf;
  k.defaults.std = kHalf;
  return k;
}

std::string processorFolder(const Checkpoint& ckpt) {
  if (!ckpt.configPath().empty()) return parentDir(ckpt.configPath());
  if (isDirectory(ckpt.path())) return ckpt.path();
  return parentDir(ckpt.path());
}

ImagePreprocess hfFromFile(const std::string& file, bool dinov2, int patchSize) {
  const nlohmann::json j = readJsonFile(file);
  std::string type = configString(j, "image_processor_type", file);
  if (type.empty()) type = configString(j, "feature_extractor_type", file);
  const HfClass k = hfClass(type, dinov2);
  ImagePreprocess p = k.defaults;
  p.source = file + " (" + k.name + ")";
  if (!type.empty() && type.find("ViT") != 0 && type.find("DeiT") != 0 && type.find("Bit") != 0)
    p.source = file + " (unknown image_processor_type \"" + type + "\", read as " + k.name + ")";

  p.doResize = configBool(j, "do_resize", true, file);
  if (const auto it = j.find("size"); it != j.end() && !it->is_null()) {
    const nlohmann::json& s = *it;
    if (s.is_number_integer()) {
      const int v = positiveInt(s, file, "size");
      if (k.intSizeIsShortestEdge) {
        p.shortestEdge = v;
      } else {
        p.shortestEdge = 0;
        p.resizeWidth = p.resizeHeight = v;
      }
    } else if (s.is_object() && s.contains("height") && s.contains("width")) {
      p.shortestEdge = 0;
      p.resizeHeight = positiveInt(s["height"], file, "size.height");
      p.resizeWidth = positiveInt(s["width"], file, "size.width");
    } else if (s.is_object() && s.contains("shortest_edge")) {
      if (s.contains("longest_edge") && !s["longest_edge"].is_null())
        throw FileError(file + ": \"size\" with \"longest_edge\" is not supported (found " +
                        shortValue(s) + ")");
      p.shortestEdge = positiveInt(s["shortest_edge"], file, "size.shortest_edge");
    } else {
      throw FileError(
          file +
          ": \"size\" must be {\"height\", \"width\"}, {\"shortest_edge\"} or an integer (found " +
          shortValue(s) + ")");
    }
  }
  if (const auto it = j.find("resample"); it != j.end() && !it->is_null())
    p.filter = pilFilter(*it, file);

  const bool cropAsked = configBool(j, "do_center_crop", k.defaults.doCenterCrop, file);
  if (k.hasCenterCrop) {
    p.doCenterCrop = cropAsked;
    if (const auto it = j.find("crop_size"); it != j.end() && !it->is_null()) {
      const nlohmann::json& c = *it;
      if (c.is_number_integer()) {
        p.cropWidth = p.cropHeight = positiveInt(c, file, "crop_size");
      } else if (c.is_object() && c.contains("height") && c.contains("width")) {
        p.cropHeight = positiveInt(c["height"], file, "crop_size.height");
        p.cropWidth = positiveInt(c["width"], file, "crop_size.width");
      } else {
        throw FileError(file +
                        ": \"crop_size\" must be {\"height\", \"width\"} or an integer (found " +
                        shortValue(c) + ")");
      }
    }
  } else if (cropAsked) {
    p.source += "; do_center_crop ignored: " + k.name + " has no crop step";
  }

  p.doRescale = configBool(j, "do_rescale", true, file);
  p.rescaleFactor = configDouble(j, "rescale_factor", 1.0 / 255.0, file);
  if (!(p.rescaleFactor > 0.0))
    throw FileError(file + ": \"rescale_factor\" must be positive (found " +
                    shortValue(j["rescale_factor"]) + ")");
  p.doNormalize = configBool(j, "do_normalize", true, file);
  if (const auto it = j.find("image_mean"); it != j.end() && !it->is_null())
    p.mean = channelValues(*it, file, "image_mean", false);
  if (const auto it = j.find("image_std"); it != j.end() && !it->is_null())
    p.std = channelValues(*it, file, "image_std", true);

  if (p.doResize && p.doCenterCrop) {
    const bool tooBig = p.shortestEdge > 0
                            ? (p.cropWidth > p.shortestEdge || p.cropHeight > p.shortestEdge)
                            : (p.cropWidth > p.resizeWidth || p.cropHeight > p.resizeHeight);
    if (tooBig)
      throw FileError(file + ": \"crop_size\" " + std::to_string(p.cropWidth) + "x" +
                      std::to_string(p.cropHeight) + " is larger than the resized image (" +
                      (p.shortestEdge > 0
                           ? "shortest edge " + std::to_string(p.shortestEdge)
                           : std::to_string(p.resizeWidth) + "x" + std::to_string(p.resizeHeight)) +
                      ")");
  }
  checkSizes(p, patchSize, file, "size", "crop_size");
  return p;
}

ImagePreprocess hfDefaults(const Checkpoint& ckpt, const std::string& file, bool dinov2) {
  ImagePreprocess p;
  const ModelInfo& m = ckpt.info();
  if (dinov2) {
    // The facebook/dinov2-* preprocessor_config.json (BitImageProcessor).
    p.shortestEdge = 256;
    p.filter = ResampleFilter::Bicubic;
    p.doCenterCrop = true;
    p.cropWidth = p.cropHeight = 224;
    p.mean = kImagenetMean;
    p.std = kImagenetStd;
    p.source = "no " + file +
               ": the facebook/dinov2 defaults (BitImageProcessor, shortest edge 256, crop 224)";
  } else {
    p.resizeWidth = p.resizeHeight = m.imageSize;
    p.filter = ResampleFilter::Bilinear;
    p.mean = kHalf;
    p.std = kHalf;
    p.source =
        "no " + file + ": ViTImageProcessor defaults at image_size " + std::to_string(m.imageSize);
  }
  return p;
}

}  // namespace

std::string ImagePreprocess::describe() const {
  std::string s;
  if (doResize) {
    s += shortestEdge > 0
             ? "resize shortest edge " + std::to_string(shortestEdge)
             : "resize " + std::to_string(resizeWidth) + "x" + std::to_string(resizeHeight);
    s += std::string(" (") + filterName(filter) + ")";
  } else {
    s += "no resize";
  }
  if (doCenterCrop)
    s += ", centre crop " + std::to_string(cropWidth) + "x" + std::to_string(cropHeight);
  if (doRescale) s += ", rescale x" + num(rescaleFactor);
  if (doNormalize) s += ", normalise mean " + triple(mean) + " std " + triple(std);
  if (!source.empty()) s += " \xe2\x80\x94 from " + source;
  return s;
}

ImagePreprocess timmPreprocess(const Checkpoint& ckpt) {
  const ModelInfo& m = ckpt.info();
  ImagePreprocess p;
  p.cropRounding = CropRounding::RoundHalfEven;
  p.filter = ResampleFilter::Bicubic;
  p.mean = kImagenetMean;
  p.std = kImagenetStd;
  int inputSize = m.imageSize;
  double cropPct = 0.875;  // timm DEFAULT_CROP_PCT
  std::string cropMode = "center";
  const std::string file = ckpt.configPath();
  if (file.empty()) {
    p.source = "no config.json: timm defaults (input " + std::to_string(inputSize) +
               ", crop_pct 0.875, bicubic)";
  } else {
    const nlohmann::json j = readJsonFile(file);
    const auto pc = j.find("pretrained_cfg");
    if (pc == j.end() || !pc->is_object()) {
      p.source = file + " has no pretrained_cfg: timm defaults";
    } else {
      const nlohmann::json& cfg = *pc;
      p.source = file + " (pretrained_cfg)";
      if (const auto it = cfg.find("input_size"); it != cfg.end() && !it->is_null()) {
        if (!it->is_array() || it->size() != 3)
          throw FileError(
              file + ": \"pretrained_cfg.input_size\" must be [channels, height, width] (found " +
              shortValue(*it) + ")");
        const int hgt = positiveInt((*it)[1], file, "pretrained_cfg.input_size");
        const int wid = positiveInt((*it)[2], file, "pretrained_cfg.input_size");
        if (hgt != wid)
          throw FileError(file + ": \"pretrained_cfg.input_size\" " + shortValue(*it) +
                          " is not square");
        inputSize = hgt;
      }
      if (const auto it = cfg.find("crop_pct"); it != cfg.end() && !it->is_null()) {
        if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0)
          throw FileError(file + ": \"pretrained_cfg.crop_pct\" must be a positive number (found " +
                          shortValue(*it) + ")");
        // timm: crop_pct = crop_pct or DEFAULT_CROP_PCT (0 counts as absent).
        if (it->get<double>() > 0.0) cropPct = it->get<double>();
      }
      const std::string interp = configString(cfg, "interpolation", file);
      if (!interp.empty()) p.filter = timmFilter(interp, file);
      if (const auto it = cfg.find("mean"); it != cfg.end() && !it->is_null())
        p.mean = channelValues(*it, file, "pretrained_cfg.mean", false);
      if (const auto it = cfg.find("std"); it != cfg.end() && !it->is_null())
        p.std = channelValues(*it, file, "pretrained_cfg.std", true);
      const std::string mode = configString(cfg, "crop_mode", file);
      if (!mode.empty()) cropMode = mode;
      if (cropMode != "center" && cropMode != "squash")
        throw FileError(file + ": \"pretrained_cfg.crop_mode\" \"" + cropMode +
                        "\" is not supported (center, squash)");
    }
  }
  if (inputSize <= 0) throw FileError(ckpt.path() + ": no input size for the timm preprocessing");
  // transforms_imagenet_eval: scale_size = math.floor(img_size / crop_pct).
  const double scaled = std::floor(inputSize / cropPct);
  if (!(scaled >= inputSize) || scaled > (1 << 20))
    throw FileError((file.empty() ? ckpt.path() : file) + ": \"pretrained_cfg.crop_pct\" " +
                    num(cropPct) + " makes the resize (" + num(scaled) +
                    ") smaller than the crop " + std::to_string(inputSize));
  const int scaleSize = static_cast<int>(scaled);
  p.doResize = true;
  if (cropMode == "squash") {
    p.resizeWidth = p.resizeHeight = scaleSize;
  } else {
    p.shortestEdge = scaleSize;
  }
  p.doCenterCrop = true;
  p.cropWidth = p.cropHeight = inputSize;
  p.doRescale = true;
  p.rescaleFactor = 1.0 / 255.0;  // ToTensor divides by 255; equal in float32 for every byte
  p.doNormalize = true;
  checkSizes(p, 0, file.empty() ? ckpt.path() : file, "pretrained_cfg.crop_pct", "pretrained_cfg.input_size");
  return p;
}


ImagePreprocess hfPreprocess(const Checkpoint& ckpt, bool dinov2) {
  const std::string file = joinPath(processorFolder(ckpt), "preprocessor_config.json");
  return pathExists(file) ? hfFromFile(file, dinov2, ckpt.info().patchSize) : hfDefaults(ckpt, file, dinov2);
}

ImagePreprocess preprocessFor(const Checkpoint& ckpt) {
  const FamilyEntry& family = familyEntry(ckpt.info().family);
  if (family.preprocess) return family.preprocess(ckpt);
  throw InvalidArgument(ckpt.path() + ": " + family.description + " is a text model (no image preprocessing)");
}

}  // namespace attnscope::models
