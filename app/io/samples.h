// The built-in samples (resources/attnscope.qrc): the program starts on the sample image.
#pragma once

#include <QString>
#include <string>

#include "attnscope/input/rgb_image.h"

namespace attnscope {

/// Resource paths of the samples (":/attnscope/sample.png", ":/attnscope/sample.txt").
QString sampleImagePath();
QString sampleTextPath();

/// The decoded sample image (640×427) and the sample text's UTF-8 bytes.
RgbImage sampleImage();
std::string sampleText();

}  // namespace attnscope
