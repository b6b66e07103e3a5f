#include "gui/setting_controls.h"

#include <QCheckBox>
#include <QComboBox>
#include <QSlider>
#include <QSpinBox>
#include <limits>

#include "gui/float_spin_box.h"

namespace attnscope::gui {

namespace {
int clampInt(double x) {
  return int(std::max<double>(std::numeric_limits<int>::min(), std::min<double>(std::numeric_limits<int>::max(), x)));
}
}  // namespace

QWidget* makeSettingControl(const Setting& d, QWidget* parent) {
  QWidget* w = nullptr;
  switch (d.control) {
    case ControlKind::None: return nullptr;
    case ControlKind::Spin: {
      auto* s = new QSpinBox(parent);
      s->setRange(clampInt(d.min), clampInt(d.max));
      s->setSingleStep(std::max(1, int(d.step)));
      if (!d.specialText.empty()) s->setSpecialValueText(QString::fromStdString(d.specialText));
      s->setKeyboardTracking(false);
      w = s;
      break;
    }
    case ControlKind::DoubleSpin: {
      auto* s = new FloatSpinBox(parent);
      s->setRange(d.min, d.max);
      s->setSingleStep(d.step);
      s->setKeyboardTracking(false);
      w = s;
      break;
    }
    case ControlKind::Check: w = new QCheckBox(QString::fromStdString(d.label), parent); break;
    case ControlKind::Combo: {
      auto* c = new QComboBox(parent);
      for (std::size_t i = 0; i < d.choices.size(); ++i)
        c->addItem(QString::fromStdString(i < d.choiceLabels.size() ? d.choiceLabels[i] : d.choices[i]),
                   QString::fromStdString(d.choices[i]));
      w = c;
      break;
    }
  }
  w->setObjectName(QString::fromStdString(d.key));
  w->setToolTip(QString::fromStdString(d.help));
  return w;
}

QWidget* makeSettingSlider(const Setting& d, QWidget* box, QWidget* parent) {
  auto* spin = qobject_cast<QSpinBox*>(box);
  if (!spin || d.sliderMax <= 0) return nullptr;
  auto* slider = new QSlider(Qt::Horizontal, parent);
  slider->setObjectName(QString::fromStdString(d.key) + QStringLiteral(".slider"));
  slider->setRange(clampInt(d.min), std::min(d.sliderMax, spin->maximum()));
  slider->setPageStep(4);
  slider->setTracking(false);  // a drag applies on release: one analysis, not one per pixel
  slider->setToolTip(QString::fromStdString(d.help));
  slider->setValue(spin->value());
  QObject::connect(slider, &QSlider::valueChanged, spin, [spin](int v) {
    if (spin->value() != v) spin->setValue(v);
  });
  QObject::connect(spin, &QSpinBox::valueChanged, slider, [slider](int v) {
    const QSignalBlocker block(slider);
    slider->setValue(v);
  });
  return slider;
}

void showSetting(QWidget* control, const Setting& d, const Session& session) {
  const SettingValue v = settingValue(session, d.key);
  if (auto* s = qobject_cast<QSpinBox*>(control))
    s->setValue(clampInt(double(std::get<std::int64_t>(v))));
  else if (auto* s = qobject_cast<QDoubleSpinBox*>(control))
    s->setValue(std::get<double>(v));
  else if (auto* c = qobject_cast<QCheckBox*>(control))
    c->setChecked(std::get<bool>(v));
  else if (auto* c = qobject_cast<QComboBox*>(control)) {
    const int i = c->findData(QString::fromStdString(std::get<std::string>(v)));
    if (i >= 0) c->setCurrentIndex(i);
  }
}

void onSettingEdited(QWidget* control, const Setting& d, QObject* context,
                     const std::function<void(const SessionEdit&)>& edited) {
  // The edit holds the key, not the descriptor: the table may grow while the window lives.
  const std::string key = d.key;
  auto emitValue = [key, edited](SettingValue v) {
    edited([key, v](Session& s) {
      if (const Setting* d = findSetting(key)) editSetting(s, *d, v);
    });
  };
  if (auto* s = qobject_cast<QSpinBox*>(control))
    QObject::connect(s, &QSpinBox::valueChanged, context, [emitValue](int x) { emitValue(std::int64_t(x)); });
  else if (auto* s = qobject_cast<QDoubleSpinBox*>(control))
    QObject::connect(s, &QDoubleSpinBox::valueChanged, context, [emitValue](double x) { emitValue(x); });
  else if (auto* c = qobject_cast<QCheckBox*>(control))
    QObject::connect(c, &QCheckBox::toggled, context, [emitValue](bool x) { emitValue(x); });
  else if (auto* c = qobject_cast<QComboBox*>(control))
    QObject::connect(c, &QComboBox::currentIndexChanged, context, [c, emitValue](int i) {
      if (i >= 0) emitValue(c->itemData(i).toString().toStdString());
    });
}

}  // namespace attnscope::gui
