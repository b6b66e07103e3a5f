#include "io/input_loader.h"

#include "io/samples.h"
#include "io/text_loader.h"

namespace attnscope {

namespace {
void prependNotices(Input& in, const std::vector<std::string>& notices) {
  in.tokens.notices.insert(in.tokens.notices.begin(), notices.begin(), notices.end());
}
}  // namespace

SourceContent readSource(bool text, const QString& path, const ImageLoadOptions& options) {
  SourceContent c;
  c.text = text;
  if (path.isEmpty()) {
    c.name = text ? "<sample text>" : "<sample image>";
    if (text)
      c.utf8 = sampleText();
    else
      c.image = sampleImage();
    return c;
  }
  c.name = path.toStdString();
  if (text) {
    c.utf8 = textAsUtf8(readTextFile(path), c.name, c.notices);
  } else {
    LoadedImage loaded = loadImageFile(path, options);
    c.image = std::move(loaded.image);
    c.notices = std::move(loaded.notices);
  }
  return c;
}

Input contentInput(SourceContent content, ImageInputSettings image, TextInputSettings text,
                   const EmbeddingSettings& embedding) {
  image.sourceName = text.sourceName = content.name;
  Input in = content.text ? makeTextInput(content.utf8, text, embedding) : makeImageInput(content.image, image, embedding);
  prependNotices(in, content.notices);
  return in;
}

Input loadImageInput(const QString& path, ImageInputSettings settings, const EmbeddingSettings& embedding,
                     const ImageLoadOptions& options) {
  return contentInput(readSource(false, path, options), settings, {}, embedding);
}

Input loadTextInput(const QString& path, TextInputSettings settings, const EmbeddingSettings& embedding) {
  return contentInput(readSource(true, path), {}, settings, embedding);
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
  return contentInput(readSource(false, QString()), settings, {}, embedding);
}

Input sampleTextInput(TextInputSettings settings, const EmbeddingSettings& embedding) {
  return contentInput(readSource(true, QString()), {}, settings, embedding);
}

Input defaultInput() {
  return sampleImageInput(ImageInputSettings{}, EmbeddingSettings{});
}

}  // namespace attnscope
