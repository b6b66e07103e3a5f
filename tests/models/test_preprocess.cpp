// Pillow-exact resizing, position-grid resampling and the preprocessing pipeline against the values
// of resample_reference.py (tests/models/data/preprocess_reference.json), plus native resolution.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/error.h"
#include "attnscope/models/position_resample.h"
#include "attnscope/models/preprocess.h"

using namespace attnscope;
using namespace attnscope::models;

namespace {

const nlohmann::json& reference() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(ATTNSCOPE_PREPROCESS_FIXTURES) + "/preprocess_reference.json");
    std::stringstream s;
    s << in.rdbuf();
    return nlohmann::json::parse(s.str());
  }();
  return j;
}

ResampleFilter filterNamed(const std::string& n) {
  if (n == "nearest") return ResampleFilter::Nearest;
  if (n == "bilinear") return ResampleFilter::Bilinear;
  if (n == "bicubic") return ResampleFilter::Bicubic;
  if (n == "box") return ResampleFilter::Box;
  if (n == "lanczos") return ResampleFilter::Lanczos;
  throw std::runtime_error("filter " + n);
}

Rgb8Image rgb8(const nlohmann::json& c) {
  Rgb8Image im{c["w"].get<int>(), c["h"].get<int>(), {}};
  for (const auto& v : c["rgb"]) im.rgb.push_back(static_cast<std::uint8_t>(v.get<int>()));
  return im;
}

/// The 8-bit image as the [0,1] floats the decoder hands over.
RgbImage floats(const Rgb8Image& im) {
  RgbImage f{im.width, im.height, {}};
  for (std::uint8_t v : im.rgb) f.rgb.push_back(static_cast<float>(v / 255.0));
  return f;
}

RgbImage gradient(int w, int h) {
  RgbImage f{w, h, {}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        f.rgb.push_back(static_cast<float>(((x * 7 + y * 3 + c * 50) % 256) / 255.0));
  return f;
}

}  // namespace

TEST(PilResize, MatchesTheReferenceBitForBit) {
  ASSERT_GE(reference()["pil"].size(), 10u);
  for (const auto& c : reference()["pil"]) {
    const std::string what =
        c["filter"].get<std::string>() + " " + std::to_string(c["w"].get<int>()) + "x" +
        std::to_string(c["h"].get<int>()) + " -> " + std::to_string(c["ow"].get<int>()) + "x" +
        std::to_string(c["oh"].get<int>());
    const Rgb8Image out = resizePil(rgb8(c), c["ow"].get<int>(), c["oh"].get<int>(),
                                    filterNamed(c["filter"].get<std::string>()));
    ASSERT_EQ(out.width, c["ow"].get<int>()) << what;
    ASSERT_EQ(out.height, c["oh"].get<int>()) << what;
    ASSERT_EQ(out.rgb.size(), c["out"].size()) << what;
    int mismatches = 0;
    for (std::size_t i = 0; i < out.rgb.size(); ++i)
      mismatches += out.rgb[i] != c["out"][i].get<int>();
    EXPECT_EQ(mismatches, 0) << what;
  }
}

TEST(PilResize, IdentityReturnsTheInputAndBadSizesAreRefused) {
  Rgb8Image im{3, 2, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}};
  for (ResampleFilter f : {ResampleFilter::Nearest, ResampleFilter::Bilinear,
                           ResampleFilter::Bicubic, ResampleFilter::Box, ResampleFilter::Lanczos})
    EXPECT_EQ(resizePil(im, 3, 2, f).rgb, im.rgb) << filterName(f);
  EXPECT_THROW(resizePil(im, 0, 2, ResampleFilter::Bilinear), InvalidArgument);
  im.rgb.pop_back();
  EXPECT_THROW(resizePil(im, 4, 4, ResampleFilter::Bilinear), InvalidArgument);
}

TEST(PilResize, ConstantImagesStayConstant) {
  // Weights sum to one in fixed point: a flat image stays flat under every filter, up and down.
  Rgb8Image im{9, 7, std::vector<std::uint8_t>(9 * 7 * 3, 200)};
  for (ResampleFilter f : {ResampleFilter::Bilinear, ResampleFilter::Bicubic,
                           ResampleFilter::Lanczos, ResampleFilter::Box, ResampleFilter::Nearest})
    for (auto [w, h] : {std::pair{4, 3}, std::pair{17, 11}, std::pair{9, 2}})
      for (std::uint8_t v : resizePil(im, w, h, f).rgb)
        ASSERT_EQ(v, 200) << filterName(f) << " " << w << "x" << h;
}

TEST(PositionResample, MatchesTheReferenceWithAndWithoutAntialias) {
  ASSERT_GE(reference()["grid"].size(), 10u);
  for (const auto& c : reference()["grid"]) {
    const int sh = c["sh"], sw = c["sw"], gh = c["gh"], gw = c["gw"], D = c["D"];
    const bool aa = c["antialias"];
    MatrixF in(sh * sw, D);
    for (int r = 0; r < sh * sw; ++r)
      for (int d = 0; d < D; ++d) in(r, d) = c["in"][r * D + d].get<float>();
    const MatrixF out = resamplePositionGrid(in, sh, sw, gh, gw, aa);
    ASSERT_EQ(out.rows(), gh * gw);
    ASSERT_EQ(out.cols(), D);
    double worst = 0;
    for (int r = 0; r < gh * gw; ++r)
      for (int d = 0; d < D; ++d)
        worst = std::max(worst, std::fabs(out(r, d) - c["out"][r * D + d].get<double>()));
    EXPECT_LT(worst, 2e-6) << sh << "x" << sw << " -> " << gh << "x" << gw
                           << (aa ? " antialias" : "");
  }
}

TEST(PositionResample, AntialiasChangesTheResult) {
  // The two kernels differ (a = -0.75 clamped vs a = -0.5 normalised), shrinking and growing.
  MatrixF in(16, 2);
  for (int r = 0; r < 16; ++r) in.row(r) << std::sin(r * 0.9f), std::cos(r * 0.4f);
  for (auto [gh, gw] : {std::pair{2, 3}, std::pair{7, 6}}) {
    const MatrixF a = resamplePositionGrid(in, 4, 4, gh, gw, false);
    const MatrixF b = resamplePositionGrid(in, 4, 4, gh, gw, true);
    EXPECT_GT((a - b).cwiseAbs().maxCoeff(), 1e-3) << gh << "x" << gw;
  }
}

TEST(PositionResample, SameSizeIsTheIdentityAndBadShapesAreRefused) {
  MatrixF in(12, 5);
  for (int r = 0; r < 12; ++r)
    for (int d = 0; d < 5; ++d) in(r, d) = static_cast<float>(r * 0.25 - d);
  for (bool aa : {false, true}) {
    const MatrixF out = resamplePositionGrid(in, 3, 4, 3, 4, aa);
    EXPECT_EQ((out - in).cwiseAbs().maxCoeff(), 0.0f);
  }
  // One side kept: that side's rows are untouched by the other side's pass (columns resampled).
  const MatrixF wide = resamplePositionGrid(in, 3, 4, 3, 7, false);
  EXPECT_EQ(wide.rows(), 21);
  EXPECT_THROW(resamplePositionGrid(in, 4, 4, 2, 2, false), InvalidArgument);  // 12 rows for 4x4
  EXPECT_THROW(resamplePositionGrid(in, 3, 4, 0, 2, true), InvalidArgument);
}

TEST(PositionResample, AntialiasPerFamily) {
  EXPECT_TRUE(positionAntialias(Family::TimmVit));
  EXPECT_FALSE(positionAntialias(Family::HfVit));
  EXPECT_FALSE(positionAntialias(Family::Dinov2));
}

TEST(PreprocessSizes, ShortestEdgeCropOffsetsAndTimmScale) {
  for (const auto& c : reference()["sizes"]) {
    const auto s = shortestEdgeSize(c["w"], c["h"], c["edge"]);
    EXPECT_EQ(s[0], c["out"][0].get<int>()) << c.dump();
    EXPECT_EQ(s[1], c["out"][1].get<int>()) << c.dump();
  }
  // Centre-crop offsets through the pipeline: a size x 1 image cropped to crop x 1.
  for (const auto& c : reference()["crops"]) {
    for (bool halfEven : {false, true}) {
      ImagePreprocess p;
      p.doResize = false;
      p.doCenterCrop = true;
      p.cropWidth = c["crop"];
      p.cropHeight = 1;
      p.cropRounding = halfEven ? CropRounding::RoundHalfEven : CropRounding::Floor;
      const PreprocessedImage out = preprocessImage(gradient(c["size"], 1), p);
      EXPECT_EQ(out.cropLeft, c[halfEven ? "halfeven" : "floor"].get<int>()) << c.dump();
      EXPECT_EQ(out.width, c["crop"].get<int>());
    }
  }
}

TEST(PreprocessImage, PipelineMatchesTheReference) {
  for (const auto& c : reference()["pipeline"]) {
    ImagePreprocess p;
    p.doResize = true;
    p.shortestEdge = c["edge"];
    p.resizeWidth = c["exact"][0];
    p.resizeHeight = c["exact"][1];
    p.filter = filterNamed(c["filter"]);
    p.doCenterCrop = true;
    p.cropWidth = c["crop"][0];
    p.cropHeight = c["crop"][1];
    p.cropRounding = c["halfeven"].get<bool>() ? CropRounding::RoundHalfEven : CropRounding::Floor;
    p.rescaleFactor = c["rescale"];
    for (int k = 0; k < 3; ++k) {
      p.mean[k] = c["mean"][k];
      p.std[k] = c["std"][k];
    }
    const PreprocessedImage out = preprocessImage(floats(rgb8(c)), p);
    const std::string name = c["name"];
    EXPECT_EQ(out.resizedWidth, c["resized"][0].get<int>()) << name;
    EXPECT_EQ(out.resizedHeight, c["resized"][1].get<int>()) << name;
    EXPECT_EQ(out.cropLeft, c["crop_left"].get<int>()) << name;
    EXPECT_EQ(out.cropTop, c["crop_top"].get<int>()) << name;
    EXPECT_EQ(out.sourceWidth, 23);
    ASSERT_EQ(out.chw.size(), c["chw"].size()) << name;
    int mismatches = 0;
    for (std::size_t i = 0; i < out.chw.size(); ++i)
      mismatches += out.chw[i] != c["chw"][i].get<float>();
    EXPECT_EQ(mismatches, 0) << name << ": float32 values must be identical";
  }
}

TEST(PreprocessImage, RescaleNormaliseFlagsAndCropThatDoesNotFit) {
  const RgbImage img = floats(Rgb8Image{2, 1, {0, 51, 255, 102, 153, 204}});
  ImagePreprocess p;
  p.doResize = false;
  p.doRescale = false;
  p.doNormalize = false;
  PreprocessedImage out = preprocessImage(img, p);
  ASSERT_EQ(out.chw.size(), 6u);
  EXPECT_EQ(out.chw[0], 0.0f);    // R of pixel 0
  EXPECT_EQ(out.chw[1], 102.0f);  // R of pixel 1
  EXPECT_EQ(out.chw[2], 51.0f);   // G of pixel 0
  p.doRescale = true;
  p.doNormalize = true;
  p.mean = {0.5, 0.5, 0.5};
  p.std = {0.5, 0.5, 0.5};
  out = preprocessImage(img, p);
  EXPECT_EQ(out.chw[0], -1.0f);
  EXPECT_EQ(out.chw[4], 1.0f);  // B of pixel 0 = 255
  p.doCenterCrop = true;
  p.cropWidth = 3;
  p.cropHeight = 1;
  EXPECT_THROW(preprocessImage(img, p), InvalidArgument);
  RgbImage bad = img;
  bad.rgb[0] = NAN;
  EXPECT_THROW(preprocessImage(bad, ImagePreprocess{}), InvalidArgument);
}

TEST(PreprocessNative, KeepsTheAspectWithinTheBudgetInMultiplesOfThePatch) {
  ImagePreprocess p;  // ViT defaults: bilinear, mean = std = 0.5
  struct Case {
    int w, h, maxPatches;
  };
  for (const Case& c :
       {Case{640, 480, 196}, Case{480, 640, 196}, Case{1000, 300, 256}, Case{300, 1000, 100},
        Case{224, 224, 196}, Case{229, 230, 196}, Case{97, 33, 1000}, Case{2000, 17, 128}}) {
    const PreprocessedImage out = preprocessNative(gradient(c.w, c.h), p, 16, c.maxPatches);
    const std::string what =
        std::to_string(c.w) + "x" + std::to_string(c.h) + " / " + std::to_string(c.maxPatches);
    EXPECT_EQ(out.width % 16, 0) << what;
    EXPECT_EQ(out.height % 16, 0) << what;
    EXPECT_GT(out.width, 0) << what;
    EXPECT_GT(out.height, 0) << what;
    EXPECT_LE((out.width / 16) * (out.height / 16), c.maxPatches) << what;
    EXPECT_LE(out.resizedWidth, c.w) << what << ": never upscaled";
    EXPECT_LE(out.resizedHeight, c.h) << what;
    // Aspect kept by the resize: the shorter side is the longer one's share, rounded.
    if (c.w >= c.h)
      EXPECT_NEAR(out.resizedHeight, static_cast<double>(c.h) * out.resizedWidth / c.w, 0.5 + 1e-9)
          << what;
    else
      EXPECT_NEAR(out.resizedWidth, static_cast<double>(c.w) * out.resizedHeight / c.h, 0.5 + 1e-9)
          << what;
    // Largest: one pixel more on the long side would not fit (when it was scaled at all).
    if (out.resizedWidth != c.w) {
      const bool wide = c.w >= c.h;
      const int l = (wide ? out.resizedWidth : out.resizedHeight) + 1;
      const int s = static_cast<int>(
          std::lround(static_cast<double>(wide ? c.h : c.w) * l / (wide ? c.w : c.h)));
      EXPECT_GT(static_cast<long long>(l / 16) * (s / 16), c.maxPatches) << what;
    }
    EXPECT_EQ(out.chw.size(), static_cast<std::size_t>(3) * out.width * out.height);
  }
  // Within budget already: not resized, only cropped to multiples of 16 (centred).
  const PreprocessedImage same = preprocessNative(gradient(229, 230), p, 16, 196);
  EXPECT_EQ(same.resizedWidth, 229);
  EXPECT_EQ(same.width, 224);
  EXPECT_EQ(same.cropLeft, 2);
  EXPECT_EQ(same.cropTop, 3);
}

TEST(PreprocessNative, RefusesImagesSmallerThanAPatchOrTooElongated) {
  ImagePreprocess p;
  try {
    preprocessNative(gradient(15, 40), p, 16, 100);
    ADD_FAILURE() << "accepted an image narrower than a patch";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("smaller than one 16x16 patch"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(preprocessNative(gradient(4000, 16), p, 16, 4), InvalidArgument);
  EXPECT_THROW(preprocessNative(gradient(64, 64), p, 0, 4), InvalidArgument);
  EXPECT_THROW(preprocessNative(gradient(64, 64), p, 16, 0), InvalidArgument);
}
