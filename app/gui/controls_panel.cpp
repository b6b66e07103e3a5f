#include "gui/controls_panel.h"

#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QPushButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

#include "attnscope/eigen_backend.h"
#include "gui/float_spin_box.h"
#include "gui/uint64_spin_box.h"
#include "model/backend_registry.h"

namespace attnscope::gui {

namespace {
QSpinBox* spinBox(QWidget* parent, int lo, int hi, const QString& tip) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  s->setKeyboardTracking(false);
  return s;
}
}  // namespace

// The generated controls take their ranges from the settings table, which are those
// Session::fromJson accepts, so a loaded session shows unclamped.
ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
  source_ = new QComboBox(this);
  for (const char* s : {"sample-image", "sample-text", "synthetic", "image", "text", "npy"})
    source_->addItem(QString::fromLatin1(s));
  source_->setToolTip(tr("Where the tokens come from (File ▸ Open loads an image, text, .npy or session)"));
  // .npy Q/K/V: the grid, off-grid tokens and labels (what --grid, --grid-first-token and
  // --labels set on the command line).
  npyGridRows_ = spinBox(this, 0, kMaxTokenBudget, tr(".npy tokens on an R×C patch grid: R (0 = no grid)"));
  npyGridCols_ = spinBox(this, 0, kMaxTokenBudget, tr(".npy tokens on an R×C patch grid: C (0 = no grid)"));
  npyFirst_ = spinBox(this, 0, kMaxTokenBudget, tr("Tokens before this index are off the grid (CLS, registers)"));
  npyLabels_ = new QPushButton(tr("choose…"), this);
  npyLabels_->setToolTip(tr("A text file with one label per token (shift-click: no labels)"));
  seed_ = new UInt64SpinBox(this);
  seed_->setToolTip(tr("Seed of the embedding, synthetic data and favor features"));
  head_ = new QComboBox(this);
  head_->setToolTip(tr("Head whose maps are shown, or the mean over heads"));
  backend_ = new QComboBox(this);
  QStringList backendTips{
      tr("Backend of the maps, outputs and spectra (timings compare every available backend)")};
  for (const BackendEntry& b : listBackends()) {
    const QString name = QString::fromStdString(b.name);
    const QString why = QString::fromStdString(b.availability.reason);
    // The reason goes in tooltips, not the item text: it can be long and would widen the dock.
    backend_->addItem(b.availability.ok ? name : tr("%1 (unavailable)").arg(name));
    const int i = backend_->count() - 1;
    backend_->setItemData(i, b.availability.ok ? QString::fromStdString(b.description) : why,
                          Qt::ToolTipRole);
    if (!b.availability.ok) {
      backend_->setItemData(i, 0, Qt::UserRole - 1);  // disabled
      backendTips << tr("%1: unavailable — %2").arg(name, why);
    }
  }
  backend_->setToolTip(backendTips.join(QLatin1Char('\n')));

  // The sections in order: the built-in three, then those registered settings name. The model
  // explorer's settings ("Model") are in the model bar.
  std::vector<std::string> sections{"Input", "Mechanisms", "View"};
  for (const Setting& d : settings())
    if (d.control != ControlKind::None && d.section != "Model" &&
        std::find(sections.begin(), sections.end(), d.section) == sections.end())
      sections.push_back(d.section);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  for (const std::string& section : sections) {
    auto* g = new QGroupBox(QString::fromStdString(section), this);
    auto* f = new QFormLayout(g);
    f->setContentsMargins(6, 4, 6, 4);
    f->setVerticalSpacing(3);
    if (section == "Input") inputForm_ = f;
    for (const Setting& d : settings()) {
      if (d.section != section) continue;
      if (d.key == "source") {
        f->addRow(tr("source"), source_);
        f->addRow(tr("grid rows"), npyGridRows_);
        f->addRow(tr("grid cols"), npyGridCols_);
        f->addRow(tr("first grid token"), npyFirst_);
        f->addRow(tr("labels"), npyLabels_);
      } else if (d.key == "seed") {
        f->addRow(tr("seed"), seed_);
      } else if (d.key == "head") {
        f->addRow(tr("head"), head_);
      } else if (d.key == "compute.backend") {
        f->addRow(tr("backend"), backend_);
      } else if (QWidget* w = makeSettingControl(d, this)) {
        controls_[d.key] = w;
        if (d.control == ControlKind::Check)
          f->addRow(w);
        else
          f->addRow(QString::fromStdString(d.label), w);
        onSettingEdited(w, d, this, [this](const SessionEdit& e) {
          if (!updating_) emitEdit(e);
        });
        if (QWidget* slider = makeSettingSlider(d, w, this)) f->addRow(QString(), slider);
      }
    }
    lay->addWidget(g);
  }
  lay->addStretch(1);
  if (QSpinBox* t = threadsBox()) t->setSpecialValueText(tr("all (%1)").arg(hardwareThreads()));

  // The controls of their own: each writes its own field and nothing else.
  connect(source_, &QComboBox::currentTextChanged, this, [this](const QString& t) {
    if (updating_) return;
    const SourceKind kind = parseSourceKind(t.toStdString());
    if (kind == SourceKind::Image || kind == SourceKind::Text || kind == SourceKind::Npy) {
      emit fileSourceChosen(kind);
      return;
    }
    emitEdit([kind](Session& s) {
      SessionSource src = s.source;
      src.kind = kind;
      s.setSource(src);
    });
  });
  auto npyEdit = [this](auto set) {
    return [this, set](int v) {
      if (updating_) return;
      emitEdit([set, v](Session& s) {
        SessionSource src = s.source;
        set(src, v);
        s.setSource(src);
      });
    };
  };
  connect(npyGridRows_, &QSpinBox::valueChanged, this, npyEdit([](SessionSource& s, int v) { s.gridRows = v; }));
  connect(npyGridCols_, &QSpinBox::valueChanged, this, npyEdit([](SessionSource& s, int v) { s.gridCols = v; }));
  connect(npyFirst_, &QSpinBox::valueChanged, this, npyEdit([](SessionSource& s, int v) { s.gridFirstToken = v; }));
  connect(npyLabels_, &QPushButton::clicked, this, [this] {
    const bool clear = QApplication::keyboardModifiers() & Qt::ShiftModifier;
    const QString path = clear ? QString() : QFileDialog::getOpenFileName(this, tr("Token labels (one per line)"));
    if (!clear && path.isEmpty()) return;
    emitEdit([p = path.toStdString()](Session& s) {
      SessionSource src = s.source;
      src.labelsPath = p;
      s.setSource(src);
    });
  });
  connect(seed_, &UInt64SpinBox::valueChanged, this, [this](std::uint64_t v) {
    if (!updating_) emitEdit([v](Session& s) { s.seed = v; });
  });
  connect(head_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (updating_ || i < 0) return;
    const int h = head_->itemData(i).toInt();
    emitEdit([h](Session& s) { s.head = h; });
  });
  connect(backend_, &QComboBox::currentTextChanged, this, [this](const QString& t) {
    if (updating_) return;
    const std::string name = t.section(' ', 0, 0).toStdString();  // "cuda (unavailable)" → cuda
    emitEdit([name](Session& s) { s.backend = name; });
  });
}

QWidget* ControlsPanel::control(const std::string& key) const {
  const auto it = controls_.find(key);
  return it == controls_.end() ? nullptr : it->second;
}
QSpinBox* ControlsPanel::spin(const std::string& key) const { return qobject_cast<QSpinBox*>(control(key)); }
QDoubleSpinBox* ControlsPanel::dspin(const std::string& key) const {
  return qobject_cast<QDoubleSpinBox*>(control(key));
}
QCheckBox* ControlsPanel::check(const std::string& key) const { return qobject_cast<QCheckBox*>(control(key)); }
QComboBox* ControlsPanel::combo(const std::string& key) const { return qobject_cast<QComboBox*>(control(key)); }

void ControlsPanel::emitEdit(const SessionEdit& edit) {
  edit(shown_);
  emit edited(edit);
}

void ControlsPanel::setNumHeads(int heads) {
  const bool was = updating_;
  updating_ = true;
  const QVariant cur = head_->currentData();
  head_->clear();
  head_->addItem(tr("mean over heads"), Session::kHeadMean);
  for (int h = 0; h < heads; ++h) head_->addItem(tr("head %1").arg(h), h);
  const int i = head_->findData(shown_.head);
  head_->setCurrentIndex(i >= 0 ? i : 1);
  updating_ = was;
}

void ControlsPanel::showSourceRows(SourceKind kind) {
  if (!inputForm_) return;
  const bool npy = kind == SourceKind::Npy;
  for (QWidget* w : std::initializer_list<QWidget*>{npyGridRows_, npyGridCols_, npyFirst_, npyLabels_})
    inputForm_->setRowVisible(w, npy);
}

void ControlsPanel::setSession(const Session& s) {
  const bool was = updating_;
  updating_ = true;
  shown_ = s;
  source_->setCurrentText(QString::fromStdString(toString(s.source.kind)));
  npyGridRows_->setValue(s.source.gridRows);
  npyGridCols_->setValue(s.source.gridCols);
  npyFirst_->setValue(s.source.gridFirstToken);
  npyLabels_->setText(s.source.labelsPath.empty() ? tr("choose…")
                                                  : QFileInfo(QString::fromStdString(s.source.labelsPath)).fileName());
  showSourceRows(s.source.kind);
  seed_->setValue(s.seed);
  if (head_->count() == 0) setNumHeads(s.input.heads);
  const int hi = head_->findData(s.head == Session::kHeadAll ? Session::kHeadMean : s.head);
  if (hi >= 0) head_->setCurrentIndex(hi);
  const int bi = backend_->findText(QString::fromStdString(s.backend), Qt::MatchStartsWith);
  if (bi >= 0) backend_->setCurrentIndex(bi);
  for (const auto& [key, w] : controls_)
    if (const Setting* d = findSetting(key)) showSetting(w, *d, s);
  updating_ = was;
}

}  // namespace attnscope::gui
