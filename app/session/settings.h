// Settings as data: one descriptor per session setting — its JSON key, type, range or choices,
// default, help, command-line flag, window control, and which work an edit of it makes stale.
// Session JSON read and write (session.cpp), the command-line options, help and their errors
// (cli/session_options.cpp), the generated window controls (gui/setting_controls.cpp), the
// staleness of an edit (Session::changes) and the cache keys of the forward, the timings and the
// rollout are all generated from this table. A new setting is one registerSetting() call; its
// value lives in Session::extra and a mechanism (or anything else) reads it with settingValue().
//
// The core and the model layer name a setting in a message by its key, written settingRef(key)
// ("{compute.maxDenseN}"); each front end words it (wordSettings: the CLI names the flag, the
// window the control's label).
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "attnscope/setting_ref.h"

namespace attnscope {

struct Session;

/// A setting's value: Bool, Int, Number, or the text of a Choice / Text.
using SettingValue = std::variant<bool, std::int64_t, double, std::string>;

/// What an edit of a setting makes stale (bits of Setting::stale).
namespace stale {
inline constexpr unsigned kInput = 1;      ///< the tokens / Q/K/V are loaded again
inline constexpr unsigned kForward = 2;    ///< part of the model forward's cache key
inline constexpr unsigned kAnalysis = 4;   ///< the mechanisms run again
inline constexpr unsigned kTiming = 8;     ///< part of the timing's key (timed again)
inline constexpr unsigned kQuery = 16;     ///< the pinned query changed
inline constexpr unsigned kRollout = 32;   ///< the rollout runs again (not the analysis)
inline constexpr unsigned kView = 64;      ///< only how figures look changed
}  // namespace stale

enum class SettingType {
  Bool,
  Int,
  Number,
  Choice,      ///< one of `choices`
  Text,        ///< any string (a path when `path` is set)
  Structured,  ///< an object, a matrix or a value of several forms: `toJson`/`fromJson` hooks
};

/// Which commands take a setting's flag.
enum class FlagGroup {
  Session,   ///< compute, render, bench (input, mechanisms, compute)
  View,      ///< render (how figures look)
  Explorer,  ///< compute and render (the model explorer's views)
};

/// The window's control of a setting (None: the window edits it elsewhere or not at all).
enum class ControlKind { None, Spin, DoubleSpin, Check, Combo };

/// Where a setting is read from: the session file (messages name it), the folder relative paths
/// are resolved against, and the setting's key.
struct JsonRead {
  std::string file, baseDir, key;
  /// Throws FileError "<file>: field '<key>' <what>".
  [[noreturn]] void fail(const std::string& what) const;
  /// The same for a field inside an object setting: "<file>: field '<key>.<sub>' <what>".
  [[noreturn]] void fail(const std::string& sub, const std::string& what) const;
};

struct Setting {
  std::string key;  ///< JSON path ("mhla.blocks"); also its name in messages
  SettingType type = SettingType::Int;
  SettingValue def;  ///< default (built-in settings: the member's initial value)
  double min = 0, max = 0;                 ///< Int, Number
  std::vector<std::string> choices;        ///< Choice: the values
  std::vector<std::string> choiceLabels;   ///< Choice: what the window shows (empty: the values)
  std::string what;   ///< JSON errors: "must be <what>" (empty: from the type and range)
  std::string help;   ///< one line: the CLI help and the control's tooltip
  bool path = false;  ///< Text: a file path (relative paths resolved against the session's folder)
  /// The JSON key is written only when this says so (empty: always).
  std::function<bool(const Session&)> writeIf;

  // Command line.
  std::string flag;      ///< without "--" (empty: no flag)
  std::string metavar;   ///< value name in the help ("N"); empty: a flag without a value
  FlagGroup group = FlagGroup::Session;
  bool flagSets = true;  ///< Bool flag without a value: the value it sets
  /// A flag whose value is not the setting's plain value (--tokens sets both budgets, --mixing
  /// takes an initialisation or a file, --matrix-budget is in MiB): throws InvalidArgument.
  std::function<void(Session&, const std::string& text)> applyFlag;

  // Window.
  ControlKind control = ControlKind::None;
  std::string section;      ///< "Input", "Mechanisms", "View", "Model"
  std::string label;        ///< the control's label (a Check: its text)
  double step = 1;          ///< Spin / DoubleSpin step
  std::string specialText;  ///< Spin: shown at the minimum ("auto")
  /// Spin: also a slider from the minimum to this value beside the box (a quick M slider); 0: none.
  int sliderMax = 0;

  unsigned stale = stale::kAnalysis;

  /// The value in a session (empty: Session::extra, or `def` when it has none).
  std::function<SettingValue(const Session&)> get;
  /// Writes the value as it is (session files); empty: Session::extra.
  std::function<void(Session&, const SettingValue&)> set;
  /// Writes an edit through the session's rules (a new M clears the 2D windows); empty: `set`.
  std::function<void(Session&, const SettingValue&)> edit;
  /// Structured: the JSON value, and reading it back (`fail` names the field).
  std::function<QJsonValue(const Session&)> toJson;
  std::function<void(const QJsonValue&, Session&, const JsonRead& at)> fromJson;
  /// Checks a read or edited value beyond type and range (throws InvalidArgument).
  std::function<void(const SettingValue&)> check;
};

/// The settings in order: built-in ones (session.cpp's table), then registered ones.
const std::vector<Setting>& settings();
/// The setting with this key, or nullptr.
const Setting* findSetting(const std::string& key);
/// The setting with this command-line flag, or nullptr.
const Setting* findSettingByFlag(const std::string& flag);
/// Adds a setting (a new key of [A-Za-z0-9_.] whose first part is not a built-in object, a new
/// flag; throws InvalidArgument). Call it before sessions are made (start-up, a test's set-up).
void registerSetting(Setting setting);
/// Removes a setting registerSetting added (tests clean up after them).
void unregisterSetting(const std::string& key);

/// The setting's value in `s` (its default when a registered setting was never set).
SettingValue settingValue(const Session& s, const std::string& key);
/// Sets a setting through its edit rule, after checking type, range, choices (InvalidArgument).
void editSetting(Session& s, const Setting& setting, const SettingValue& value);
/// Checks a value against the setting's type, range, choices and check (InvalidArgument "expected
/// an integer in 1..64, got 0").
void validateSetting(const Setting& setting, const SettingValue& value);
/// Parses command-line text into a value of the setting's type (InvalidArgument, as above).
SettingValue parseSettingText(const Setting& setting, const std::string& text);
/// "4", "0.5", "true", "magma".
std::string settingText(const SettingValue& v);
/// "an integer in 1..64", "a number in [0, 1]", "viridis, magma, cividis or greyscale".
std::string settingExpectation(const Setting& setting);

/// The settings whose `stale` has any of `mask`, as one string (a cache key): key=value|…
std::string settingsKey(const Session& s, unsigned mask);
/// The `stale` bits of every setting whose JSON differs between two session objects; a key no
/// setting covers counts as stale::kAnalysis (it may change numbers).
unsigned staleBetween(const QJsonObject& before, const QJsonObject& after);

/// Every setting into `root` (nested objects by key path).
void writeSettings(const Session& s, QJsonObject& root);
/// Every setting from `root` (missing keys keep the session's value). Throws FileError
/// "<file>: field '<key>' must be …".
void readSettings(const QJsonObject& root, Session& s, const std::string& file, const std::string& baseDir);

/// How a front end names settings in messages.
enum class SettingWording { Flag, Control };
/// Replaces each settingRef "{key}" in `text`: "--max-dense-n" (Flag) or "“dense spectra ≤ N”"
/// (Control; with its section). An unknown key is left as its name.
std::string wordSettings(const std::string& text, SettingWording how);

}  // namespace attnscope
