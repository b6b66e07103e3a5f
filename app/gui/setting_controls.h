// The window's controls generated from the settings table (session/settings.h): a spin box, a
// check box or a combo box with the setting's range, choices, label and help, named after its key
// (QObject::objectName), showing a session's value and emitting the edit of a change. The
// controls panel and the model bar build theirs here, so a registered setting has a control
// without a line of GUI code.
#pragma once

#include <QWidget>
#include <functional>

#include "session/session.h"

namespace attnscope::gui {

/// One control's edit of a session.
using SessionEdit = std::function<void(attnscope::Session&)>;

/// A control for `setting` (ControlKind::None: nullptr), with its range or choices and its help
/// as the tooltip; a Check carries its label as text.
QWidget* makeSettingControl(const Setting& setting, QWidget* parent);
/// The slider of a Spin setting with a sliderMax (null otherwise): it moves `box`, and follows it,
/// so the box's edit is the one path; it applies when released or stepped from the keyboard.
QWidget* makeSettingSlider(const Setting& setting, QWidget* box, QWidget* parent);
/// Shows the setting's value in `session` (the caller keeps its own edits from firing).
void showSetting(QWidget* control, const Setting& setting, const Session& session);
/// Calls `edited` with the edit each change of the control makes (through editSetting, so the
/// session's rules apply: a new M clears the 2D windows).
void onSettingEdited(QWidget* control, const Setting& setting, QObject* context,
                     const std::function<void(const SessionEdit&)>& edited);

}  // namespace attnscope::gui
