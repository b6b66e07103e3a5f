#include "io/input_loader.h"

#include "io/samples.h"
#include "io/text_loader.h"

namespace attnscope {

namespace {
void prependNotices(Input& in, const std::vector<std::string>& notices) {
  in.tokens.notices.insert(in.tokens.notices.begin(), notices.begin(), notices.end());
}
}  // namespace

Input loadImageInput(const QString& path, ImageInputSettings settings,
                     const EmbeddingSettings& embedding, const ImageLoadOptions& options) {
  const LoadedImage loaded = loadImageFile(path, options);
  settings.sourceName = path.toStdString();
  Input in = makeImageInput(loaded.image, settings, embedding);
  prependNotices(in, loaded.notices);
  return in;
}

Input loadTextInput(const QString& path, TextInputSettings settings,
                    const EmbeddingSettings& embedding) {
  std::vector<std::string> notices;
  const std::string utf8 = textAsUtf8(readTextFile(path), path.toStdString(), notices);
  settings.sourceName = path.toStdString();
  Input in = makeTextInput(utf8, settings, embedding);
  prependNotices(in, notices);
  return in;
}

Input loadNpyQkvInput(NpyQkvSettings settings, const QString& backgroundPath) {
  std::vector<std::string> notices;
  if (!backgroundPath.isEmpty()) {
    LoadedImage bg = loadImageFile(backgroundPath);
    settings.background = std::move(bg.image);
    notices = std::move(bg.notices);
  }
  Input in = loadNpyInput(settings);
  prependNotices(in, notices);
  return in;
}

Input sampleImageInput(ImageInputSettings settings, const EmbeddingSettings& embedding) {
  settings.sourceName = "<sample image>";
  return makeImageInput(sampleImage(), settings, embedding);
}

Input sampleTextInput(TextInputSettings settings, const EmbeddingSettings& embedding) {
  settings.sourceName = "<sample text>";
  return makeTextInput(sampleText(), settings, embedding);
}

Input defaultInput() {
  return sampleImageInput(ImageInputSettings{}, EmbeddingSettings{});
}

}  // namespace attnscope
