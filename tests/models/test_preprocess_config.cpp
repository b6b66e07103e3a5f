// preprocessFor: Hugging Face preprocessor_config.json (ViT, DeiT, DINOv2's BitImageProcessor) and
// the defaults without one; timm's pretrained_cfg; bad values refused with the file and key named.
#include <gtest/gtest.h>

#include "attnscope/error.h"
#include "attnscope/models/checkpoint.h"
#include "attnscope/models/preprocess.h"
#include "st_writer.h"

using namespace attnscope;
using namespace attnscope::models;
using namespace attnscope::test;

namespace {

/// A tiny checkpoint folder with `processor` as its preprocessor_config.json (none when empty).
std::string folder(const TinyModel& m, const std::string& processor) {
  const std::string dir = makeTempDir("preprocess");
  writeCheckpoint(dir, m);
  if (!processor.empty()) writeBytes(dir + "/preprocessor_config.json", processor);
  return dir;
}

ImagePreprocess forFolder(const std::string& dir) {
  OpenOptions o;
  o.heads = 2;
  return preprocessFor(Checkpoint::open(dir, o));
}

void expectRefused(const std::string& dir, const std::vector<std::string>& parts) {
  try {
    forFolder(dir);
    ADD_FAILURE() << "accepted " << dir;
  } catch (const FileError& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' in: " << e.what();
  }
}

const std::array<double, 3> kImagenetMean{0.485, 0.456, 0.406};
const std::array<double, 3> kImagenetStd{0.229, 0.224, 0.225};
const std::array<double, 3> kHalf{0.5, 0.5, 0.5};

}  // namespace

TEST(PreprocessFor, HfVitFromItsFile) {
  const std::string dir = folder(tinyHfVit(), R"({
    "image_processor_type": "ViTImageProcessor", "do_resize": true, "size": {"height": 8, "width": 12},
    "resample": 3, "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true,
    "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]})");
  const ImagePreprocess p = forFolder(dir);
  EXPECT_TRUE(p.doResize);
  EXPECT_EQ(p.shortestEdge, 0);
  EXPECT_EQ(p.resizeWidth, 12);
  EXPECT_EQ(p.resizeHeight, 8);
  EXPECT_EQ(p.filter, ResampleFilter::Bicubic);
  EXPECT_FALSE(p.doCenterCrop);
  EXPECT_DOUBLE_EQ(p.rescaleFactor, 1.0 / 255.0);
  EXPECT_EQ(p.mean, kImagenetMean);
  EXPECT_EQ(p.std, kImagenetStd);
  EXPECT_EQ(p.cropRounding, CropRounding::Floor);
  EXPECT_NE(p.source.find(dir + "/preprocessor_config.json"), std::string::npos) << p.source;
  const std::string d = p.describe();
  EXPECT_NE(d.find("resize 12x8 (bicubic)"), std::string::npos) << d;
  EXPECT_NE(d.find("normalise mean [0.485, 0.456, 0.406]"), std::string::npos) << d;
}

TEST(PreprocessFor, HfVitFlagsOffAnIntSizeAndACropItHasNoStepFor) {
  // ViTImageProcessor: an int size is square; it has no centre crop, whatever the file says.
  const ImagePreprocess p = forFolder(folder(tinyHfVit(), R"({
    "feature_extractor_type": "ViTFeatureExtractor", "size": 16, "resample": 2, "do_center_crop": true,
    "crop_size": 8, "do_rescale": false, "do_normalize": false})"));
  EXPECT_EQ(p.resizeWidth, 16);
  EXPECT_EQ(p.resizeHeight, 16);
  EXPECT_EQ(p.filter, ResampleFilter::Bilinear);
  EXPECT_FALSE(p.doCenterCrop);
  EXPECT_NE(p.source.find("do_center_crop ignored"), std::string::npos) << p.source;
  EXPECT_FALSE(p.doRescale);
  EXPECT_FALSE(p.doNormalize);
  // Keys left out take the class defaults.
  const ImagePreprocess q =
      forFolder(folder(tinyHfVit(), R"({"image_processor_type": "ViTImageProcessor"})"));
  EXPECT_EQ(q.resizeWidth, 224);
  EXPECT_EQ(q.filter, ResampleFilter::Bilinear);
  EXPECT_EQ(q.mean, kHalf);
  EXPECT_TRUE(q.doRescale);
}

TEST(PreprocessFor, HfVitDefaultsWithoutAFile) {
  const ImagePreprocess p = forFolder(folder(tinyHfVit(), ""));
  EXPECT_TRUE(p.doResize);
  EXPECT_EQ(p.resizeWidth, 8);  // the checkpoint's image_size
  EXPECT_EQ(p.resizeHeight, 8);
  EXPECT_EQ(p.shortestEdge, 0);
  EXPECT_EQ(p.filter, ResampleFilter::Bilinear);
  EXPECT_FALSE(p.doCenterCrop);
  EXPECT_EQ(p.mean, kHalf);
  EXPECT_EQ(p.std, kHalf);
  EXPECT_NE(p.source.find("no "), std::string::npos) << p.source;
  EXPECT_NE(p.source.find("defaults"), std::string::npos) << p.source;
}

TEST(PreprocessFor, DeiTResizesThenCrops) {
  const ImagePreprocess p =
      forFolder(folder(tinyHfVit(), R"({"image_processor_type": "DeiTImageProcessor",
    "size": {"height": 256, "width": 256}, "crop_size": {"height": 224, "width": 224}, "resample": 3})"));
  EXPECT_EQ(p.resizeWidth, 256);
  EXPECT_TRUE(p.doCenterCrop);
  EXPECT_EQ(p.cropWidth, 224);
  EXPECT_EQ(p.cropHeight, 224);
}

TEST(PreprocessFor, Dinov2FromItsFileAndDefaults) {
  const ImagePreprocess p = forFolder(folder(tinyDinov2(0), R"({
    "image_processor_type": "BitImageProcessor", "do_resize": true, "size": {"shortest_edge": 256},
    "resample": 3, "do_center_crop": true, "crop_size": {"height": 224, "width": 224},
    "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true,
    "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "do_convert_rgb": true})"));
  EXPECT_EQ(p.shortestEdge, 256);
  EXPECT_EQ(p.filter, ResampleFilter::Bicubic);
  EXPECT_TRUE(p.doCenterCrop);
  EXPECT_EQ(p.cropWidth, 224);
  EXPECT_EQ(p.cropHeight, 224);
  EXPECT_EQ(p.mean, kImagenetMean);
  EXPECT_NE(p.describe().find("resize shortest edge 256 (bicubic), centre crop 224x224"),
            std::string::npos)
      << p.describe();
  // BitImageProcessor: an int size is the shortest edge, an int crop is square.
  const ImagePreprocess q =
      forFolder(folder(tinyDinov2(0), R"({"image_processor_type": "BitImageProcessor",
    "size": 300, "crop_size": 200, "resample": 2})"));
  EXPECT_EQ(q.shortestEdge, 300);
  EXPECT_EQ(q.cropWidth, 200);
  EXPECT_EQ(q.cropHeight, 200);
  EXPECT_EQ(q.filter, ResampleFilter::Bilinear);
  EXPECT_TRUE(q.doCenterCrop);  // the class default
  // No file: the facebook/dinov2 settings.
  const ImagePreprocess d = forFolder(folder(tinyDinov2(4), ""));
  EXPECT_EQ(d.shortestEdge, 256);
  EXPECT_EQ(d.filter, ResampleFilter::Bicubic);
  EXPECT_TRUE(d.doCenterCrop);
  EXPECT_EQ(d.cropWidth, 224);
  EXPECT_EQ(d.mean, kImagenetMean);
  EXPECT_EQ(d.std, kImagenetStd);
  EXPECT_NE(d.source.find("dinov2 defaults"), std::string::npos) << d.source;
}

TEST(PreprocessFor, TimmFromPretrainedCfg) {
  const ImagePreprocess p =
      forFolder(folder(tinyTimmVit(), ""));  // input 8, crop_pct 0.875, bicubic
  EXPECT_EQ(p.shortestEdge, 9);              // floor(8 / 0.875)
  EXPECT_EQ(p.filter, ResampleFilter::Bicubic);
  EXPECT_TRUE(p.doCenterCrop);
  EXPECT_EQ(p.cropWidth, 8);
  EXPECT_EQ(p.cropHeight, 8);
  EXPECT_EQ(p.cropRounding, CropRounding::RoundHalfEven);
  EXPECT_TRUE(p.doRescale);
  EXPECT_EQ(p.mean, kImagenetMean);
  EXPECT_EQ(p.std, kImagenetStd);
  EXPECT_NE(p.source.find("pretrained_cfg"), std::string::npos) << p.source;

  TinyModel m = tinyTimmVit();
  m.config = R"({"architecture": "vit_x", "model_args": {"num_heads": 2},
    "pretrained_cfg": {"input_size": [3, 8, 8], "crop_pct": 0.9, "interpolation": "bilinear",
                       "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}})";
  const ImagePreprocess q = forFolder(folder(m, ""));
  EXPECT_EQ(q.shortestEdge, 8);  // floor(8 / 0.9) = 8
  EXPECT_EQ(q.filter, ResampleFilter::Bilinear);
  EXPECT_EQ(q.mean, kHalf);
  // Defaults: crop_pct 0.875 and bicubic when left out (or 0, as timm's `crop_pct or DEFAULT`).
  m.config =
      R"({"architecture": "vit_x", "model_args": {"num_heads": 2}, "pretrained_cfg": {"crop_pct": 0}})";
  const ImagePreprocess r = forFolder(folder(m, ""));
  EXPECT_EQ(r.shortestEdge, 9);
  EXPECT_EQ(r.filter, ResampleFilter::Bicubic);
  // Squash: both sides to the scale size, then the crop.
  m.config = R"({"architecture": "vit_x", "model_args": {"num_heads": 2},
    "pretrained_cfg": {"input_size": [3, 8, 8], "crop_pct": 0.5, "crop_mode": "squash"}})";
  const ImagePreprocess s = forFolder(folder(m, ""));
  EXPECT_EQ(s.shortestEdge, 0);
  EXPECT_EQ(s.resizeWidth, 16);
  EXPECT_EQ(s.resizeHeight, 16);
  EXPECT_EQ(s.cropWidth, 8);
}

TEST(PreprocessFor, BadHfValuesNameTheFileAndKey) {
  const TinyModel vit = tinyHfVit();
  const TinyModel dino = tinyDinov2(0);
  struct Bad {
    const TinyModel& model;
    const char* json;
    std::vector<std::string> parts;
  };
  const std::vector<Bad> cases = {
      {vit,
       R"({"size": {"height": -1, "width": 8}})",
       {"preprocessor_config.json", "size.height", "positive"}},
      {vit, R"({"size": {"height": 8}})", {"\"size\""}},
      {vit, R"({"size": "big"})", {"\"size\""}},
      {vit, R"({"resample": 7})", {"\"resample\"", "not a PIL filter"}},
      {vit, R"({"resample": 5})", {"\"resample\"", "hamming"}},
      {vit, R"({"resample": "bicubic"})", {"\"resample\""}},
      {vit, R"({"image_std": [0.5, 0, 0.5]})", {"\"image_std\"", "0"}},
      {vit, R"({"image_mean": [0.5, 0.5]})", {"\"image_mean\"", "3 numbers"}},
      {vit, R"({"rescale_factor": -1})", {"\"rescale_factor\"", "positive"}},
      {vit, R"({"do_resize": "yes"})", {"\"do_resize\""}},
      {dino,
       R"({"size": {"shortest_edge": 200}, "crop_size": {"height": 224, "width": 224}})",
       {"\"crop_size\"", "larger than the resized image"}},
      {dino, R"({"size": {"shortest_edge": 0}})", {"size.shortest_edge"}},
      {dino, R"({"crop_size": [224, 224]})", {"\"crop_size\""}},
      {dino, R"({"size": {"shortest_edge": 256, "longest_edge": 512}})", {"longest_edge"}},
      {vit, R"({"size": {"height": 8, )", {"preprocessor_config.json", "not valid JSON"}},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.json);
    expectRefused(folder(b.model, b.json), b.parts);
  }
}

TEST(PreprocessFor, BadTimmValuesNameTheKey) {
  TinyModel m = tinyTimmVit();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"interpolation": "random"})", "pretrained_cfg.interpolation"},
      {R"({"crop_pct": -0.5})", "pretrained_cfg.crop_pct"},
      {R"({"crop_pct": 2.0})", "pretrained_cfg.crop_pct"},
      {R"({"crop_mode": "border"})", "pretrained_cfg.crop_mode"},
      {R"({"std": [0.5, 0.0, 0.5]})", "pretrained_cfg.std"},
      {R"({"mean": "imagenet"})", "pretrained_cfg.mean"},
  };
  for (const auto& [cfg, key] : cases) {
    SCOPED_TRACE(cfg);
    m.config = R"({"architecture": "vit_x", "model_args": {"num_heads": 2}, "pretrained_cfg": )" +
               cfg + "}";
    expectRefused(folder(m, ""), {"config.json", key});
  }
}

TEST(PreprocessFor, TextModelsHaveNone) {
  const std::string dir = makeTempDir("preprocess-gpt2");
  writeCheckpoint(dir, tinyGpt2());
  EXPECT_THROW(preprocessFor(Checkpoint::open(dir)), InvalidArgument);
}
