// How the core and the model layer name a setting in a message: by its session key, written
// "{compute.maxDenseN}". The core knows no flags or window labels; each front end rewords the
// reference (the CLI names its flag, the window its control: app/session/settings.h).
#pragma once

#include <string>

namespace attnscope {

/// "{key}": a setting named in a message.
inline std::string settingRef(const std::string& key) { return "{" + key + "}"; }

}  // namespace attnscope
