#include "gui/float_spin_box.h"

#include <QRegularExpression>
#include <cfloat>

namespace attnscope::gui {

FloatSpinBox::FloatSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
  // QDoubleSpinBox rounds every value to `decimals` places; the most it allows keeps all of a
  // double's digits from 1e-308 up.
  setDecimals(DBL_MAX_10_EXP + DBL_DIG);
}

QLocale FloatSpinBox::numberLocale() const {
  QLocale l = locale();
  l.setNumberOptions(QLocale::OmitGroupSeparator);
  return l;
}

QString FloatSpinBox::textFromValue(double value) const {
  return numberLocale().toString(value, 'g', QLocale::FloatingPointShortest);
}

double FloatSpinBox::valueFromText(const QString& text) const {
  bool ok = false;
  const double v = numberLocale().toDouble(text.trimmed(), &ok);
  return ok ? v : value();
}

QValidator::State FloatSpinBox::validate(QString& text, int&) const {
  const QString t = text.trimmed();
  if (t.isEmpty()) return QValidator::Intermediate;
  bool ok = false;
  const double v = numberLocale().toDouble(t, &ok);
  if (ok && v >= minimum() && v <= maximum()) return QValidator::Acceptable;
  // A number still being typed ("1e", "0.", "-") or one outside the range.
  const QString point = QRegularExpression::escape(numberLocale().decimalPoint());
  const QRegularExpression partial(
      QStringLiteral("^[+-]?\\d*(%1\\d*)?([eE][+-]?\\d*)?$").arg(point));
  return partial.match(t).hasMatch() ? QValidator::Intermediate : QValidator::Invalid;
}

void FloatSpinBox::stepBy(int steps) {
  const double v = value() + steps * singleStep();
  setValue(QString::number(v, 'g', 12).toDouble());
  selectAll();
}

}  // namespace attnscope::gui
