#include "model/sample_models.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "attnscope/error.h"
#include "attnscope/models/checkpoint.h"
#include "attnscope/models/family.h"
#include "model/build_info.h"

namespace attnscope {

namespace fs = std::filesystem;

std::string sampleModelName(SampleModel which) { return which == SampleModel::Text ? "text" : "image"; }

SampleModel parseSampleModel(const std::string& name) {
  if (name == "text") return SampleModel::Text;
  if (name == "image") return SampleModel::Image;
  throw InvalidArgument("expected text or image, got '" + name + "'");
}

std::vector<std::string> sampleModelRoots() {
  if (const char* env = std::getenv(kSampleModelsEnv); env && *env) return {env};
  const std::string dir = executableDir();
  if (dir.empty()) return {};
  return {(fs::path(dir) / ".." / "share" / "attnscope" / "models").lexically_normal().string()};
}

std::string sampleModelDir(SampleModel which) {
  const std::string name = sampleModelName(which);
  std::string looked;
  for (const std::string& root : sampleModelRoots()) {
    const fs::path dir = fs::path(root) / name;
    std::error_code ec;
    if (fs::is_regular_file(dir / "config.json", ec)) return dir.string();
    looked += (looked.empty() ? "" : ", ") + dir.string();
  }
  throw FileError("the sample " + name + " model is not installed (looked in " +
                  (looked.empty() ? std::string("no folder: the program's own path is unknown") : looked) +
                  "; set " + kSampleModelsEnv + " to a folder holding text/ and image/)");
}

Session sessionWithModel(const std::string& path, const Session& current) {
  Session s = current;
  s.model = SessionModel{};
  s.model.path = fs::path(path).is_absolute() ? path : fs::absolute(fs::path(path)).lexically_normal().string();
  const models::Checkpoint ckpt = models::Checkpoint::open(s.model.path);  // says what is wrong with it
  const bool text = models::familyEntry(ckpt.info().family).text;
  const SourceKind k = s.source.kind;
  const bool keeps = text ? k == SourceKind::Text : k == SourceKind::Image;
  if (!keeps) {
    SessionSource src;
    src.kind = text ? SourceKind::SampleText : SourceKind::SampleImage;
    std::error_code ec;
    const fs::path folder = fs::is_directory(s.model.path, ec) ? fs::path(s.model.path) : fs::path(s.model.path).parent_path();
    const fs::path own = folder / (text ? "sample.txt" : "sample.png");
    if (fs::is_regular_file(own, ec)) {
      src.kind = text ? SourceKind::Text : SourceKind::Image;
      src.path = own.string();
    }
    if (src != s.source) s.setSource(src);
  }
  s.head = Session::kHeadMean;
  s.clearQuery();
  return s;
}

Session sessionForSampleModel(SampleModel which, const Session& current) {
  Session base = current;
  base.setSource(SessionSource{});  // the built-in sample: replaced by the model's natural source
  return sessionWithModel(sampleModelDir(which), base);
}

}  // namespace attnscope
