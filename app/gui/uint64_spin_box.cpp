#include "gui/uint64_spin_box.h"

#include <QLineEdit>
#include <limits>

namespace attnscope::gui {

namespace {
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

bool parse(const QString& text, std::uint64_t& out) {
  const QString t = text.trimmed();
  for (QChar c : t)
    if (c < QLatin1Char('0') || c > QLatin1Char('9')) return false;
  bool ok = false;
  const qulonglong v = t.toULongLong(&ok);  // fails on overflow
  if (ok) out = v;
  return ok;
}
}  // namespace

UInt64SpinBox::UInt64SpinBox(QWidget* parent) : QAbstractSpinBox(parent) {
  lineEdit()->setText(QStringLiteral("0"));
  connect(this, &QAbstractSpinBox::editingFinished, this, &UInt64SpinBox::commitText);
}

void UInt64SpinBox::setValue(std::uint64_t value) {
  const QString text = QString::number(value);
  if (lineEdit()->text() != text) lineEdit()->setText(text);
  if (value == value_) return;
  value_ = value;
  emit valueChanged(value);
}

void UInt64SpinBox::commitText() {
  std::uint64_t v = 0;
  if (parse(lineEdit()->text(), v))
    setValue(v);
  else
    lineEdit()->setText(QString::number(value_));
}

void UInt64SpinBox::stepBy(int steps) {
  std::uint64_t v = value_;
  parse(lineEdit()->text(), v);  // a typed value steps from what is shown
  const std::uint64_t n = steps < 0 ? std::uint64_t(-std::int64_t(steps)) : std::uint64_t(steps);
  if (steps > 0)
    v = v > kMax - n ? kMax : v + n;
  else
    v = v < n ? 0 : v - n;
  setValue(v);
  selectAll();
}

QValidator::State UInt64SpinBox::validate(QString& text, int&) const {
  if (text.trimmed().isEmpty()) return QValidator::Intermediate;
  std::uint64_t v = 0;
  return parse(text, v) ? QValidator::Acceptable : QValidator::Invalid;
}

void UInt64SpinBox::fixup(QString& text) const {
  std::uint64_t v = 0;
  if (!parse(text, v)) text = QString::number(value_);
}

QAbstractSpinBox::StepEnabled UInt64SpinBox::stepEnabled() const {
  StepEnabled e = StepNone;
  if (value_ > 0) e |= StepDownEnabled;
  if (value_ < kMax) e |= StepUpEnabled;
  return e;
}

}  // namespace attnscope::gui
