// A spin box over the whole unsigned 64-bit range (0 … 18446744073709551615), parsed and printed
// exactly: session seeds are uint64 and QSpinBox stops at 2^31 − 1. Emits valueChanged when the
// value changes: typed text on Return or focus loss, or a step.
#pragma once

#include <QAbstractSpinBox>
#include <cstdint>

namespace attnscope::gui {

class UInt64SpinBox : public QAbstractSpinBox {
  Q_OBJECT
 public:
  explicit UInt64SpinBox(QWidget* parent = nullptr);

  std::uint64_t value() const { return value_; }
  void setValue(std::uint64_t value);

  void stepBy(int steps) override;
  QValidator::State validate(QString& text, int& pos) const override;
  void fixup(QString& text) const override;

 signals:
  void valueChanged(std::uint64_t value);

 protected:
  StepEnabled stepEnabled() const override;

 private:
  /// Takes the typed text as the value, or puts the value's text back when it does not parse.
  void commitText();

  std::uint64_t value_ = 0;
};

}  // namespace attnscope::gui
