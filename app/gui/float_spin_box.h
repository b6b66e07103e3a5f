// A double spin box that shows and accepts any double of its range exactly: shortest round-trip
// 'g' text (0.001, 1e-12, 0.123456789), scientific notation when typing, and no rounding of the
// value to a fixed number of decimals (a session's τ = 0.001 stays 0.001).
#pragma once

#include <QDoubleSpinBox>

namespace attnscope::gui {

class FloatSpinBox : public QDoubleSpinBox {
  Q_OBJECT
 public:
  explicit FloatSpinBox(QWidget* parent = nullptr);

  QString textFromValue(double value) const override;
  double valueFromText(const QString& text) const override;
  QValidator::State validate(QString& text, int& pos) const override;
  /// Steps by singleStep; the result is rounded to 12 significant digits so that stepping from
  /// 0.1 gives 0.3, not 0.30000000000000004 (typed values are kept exactly).
  void stepBy(int steps) override;

 private:
  QLocale numberLocale() const;
};

}  // namespace attnscope::gui
