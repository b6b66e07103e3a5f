// What an input file is, decided by its first bytes: one rule for the window and the command line.
//
// The rules, in order (the first that matches wins):
//  1. Image magic: PNG "\x89PNG\r\n\x1a\n", JPEG FF D8 FF, GIF "GIF87a"/"GIF89a",
//     BMP "BM" with its four reserved header bytes zero, WebP "RIFF" + 4 bytes + "WEBP",
//     TIFF "II*\0" / "MM\0*"                                                → Image
//  2. NumPy magic "\x93NUMPY"                                               → Npy
//  3. The first byte that is not whitespace (after an optional UTF-8 BOM) is '{' → Session
//  4. Content that names no kind for sure: PNM headers ("P1" … "P7" and whitespace), XPM
//     ("/* XPM */"), or binary-looking bytes (NUL, control characters, invalid UTF-8). Only here
//     does the extension decide: an image extension (png, jpg, jpeg, bmp, gif, webp, tif, tiff,
//     ppm, pgm, pbm, pnm, pam, xpm) → Image, npy → Npy, json → Session; any other → Text.
//  5. Everything else, an empty file included                               → Text
// So a PNG named picture.txt is an image, an .npy named q.png is an array, and an extensionless
// LICENSE is text. The loader of each kind then says clearly what is wrong with a file (an empty
// text, invalid UTF-8 replaced, a corrupt image, a bad .npy header).
#pragma once

#include <QByteArray>
#include <QString>

namespace attnscope {

enum class FileKind { Session, Image, Text, Npy };

/// How many leading bytes sniffFileKind reads (never the whole file).
constexpr int kSniffBytes = 512;

/// The kind of a file whose first bytes are `head` (up to kSniffBytes of them; fewer for a short
/// file). `nameForTieBreak` is only consulted by rule 4 above (its suffix, case-insensitive).
FileKind sniffBytes(const QByteArray& head, const QString& nameForTieBreak);

/// Reads the first kSniffBytes bytes of the file at `path` and applies sniffBytes. Throws
/// FileError naming the file when it is missing, a folder, or cannot be opened.
FileKind sniffFileKind(const QString& path);

/// "session", "image", "text" or "npy" (for messages).
const char* fileKindName(FileKind kind);

}  // namespace attnscope
