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
#include <type_traits>

#include "attnscope/eigen_backend.h"
#include "figures/colormaps.h"
#include "gui/float_spin_box.h"
#include "gui/uint64_spin_box.h"
#include "model/backend_registry.h"

namespace attnscope::gui {

namespace {
QSpinBox* spin(QWidget* parent, int lo, int hi, const QString& tip) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  s->setKeyboardTracking(false);
  return s;
}
QDoubleSpinBox* dspin(QWidget* parent, double lo, double hi, double step, const QString& tip) {
  auto* s = new FloatSpinBox(parent);
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setToolTip(tip);
  s->setKeyboardTracking(false);
  return s;
}
}  // namespace

template <class Control, class Signal, class Set>
void ControlsPanel::onEdit(Control* control, Signal signal, Set set) {
  connect(control, signal, this, [this, set](const auto& value) {
    if (updating_) return;
    std::decay_t<decltype(value)> v = value;
    emitEdit([set, v](Session& s) { set(s, v); });
  });
}

// The ranges below are those Session::fromJson accepts, so a loaded session shows unclamped.
ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
  source_ = new QComboBox(this);
  for (const char* s : {"sample-image", "sample-text", "synthetic", "image", "text", "npy"})
    source_->addItem(QString::fromLatin1(s));
  source_->setToolTip(tr("Where the tokens come from (File ▸ Open loads an image, text, .npy or session)"));
  // .npy Q/K/V: the grid, off-grid tokens and labels (what --grid, --grid-first-token and
  // --labels set on the command line).
  npyGridRows_ = spin(this, 0, kMaxTokenBudget, tr(".npy tokens on an R×C patch grid: R (0 = no grid)"));
  npyGridCols_ = spin(this, 0, kMaxTokenBudget, tr(".npy tokens on an R×C patch grid: C (0 = no grid)"));
  npyFirst_ = spin(this, 0, kMaxTokenBudget, tr("Tokens before this index are off the grid (CLS, registers)"));
  npyLabels_ = new QPushButton(tr("choose…"), this);
  npyLabels_->setToolTip(tr("A text file with one label per token (shift-click: no labels)"));
  imageBudget_ = spin(this, 1, kMaxTokenBudget, tr("Most patches an image becomes"));
  imageBudget_->setSingleStep(256);
  textBudget_ = spin(this, 1, kMaxTokenBudget, tr("Most tokens a text becomes"));
  syntheticN_ = spin(this, 1, kMaxTokenBudget, tr("Synthetic source: number of tokens"));
  positionWeight_ = dspin(this, 0, 1e6, 0.1, tr("λ: 0 = pure content, larger = more locality"));
  heads_ = spin(this, 1, 64, tr("Heads H of the embedding"));
  dHead_ = spin(this, 1, 1024, tr("d_k = d_v per head"));
  tieQK_ = new QCheckBox(tr("tied Q/K (W_K = W_Q)"), this);
  seed_ = new UInt64SpinBox(this);
  seed_->setToolTip(tr("Seed of the embedding, synthetic data and favor features"));
  head_ = new QComboBox(this);
  head_->setToolTip(tr("Head whose maps are shown, or the mean over heads"));
  featureMap_ = new QComboBox(this);
  for (const char* s : {"relu", "elu1", "softplus", "favor"}) featureMap_->addItem(s);
  featureMap_->setToolTip(tr("φ of linear attention and MHLA (docs/math.md, “Feature maps”)"));
  temperature_ = dspin(this, 1e-12, 1e12, 0.1, tr("Softmax temperature τ: s = 1/(τ·√d_k)"));
  blocks_ = spin(this, 0, kMaxTokenBudget, tr("MHLA blocks M (0 = automatic: about 16 windows on images, 8 chunks on text)"));
  blocks_->setSpecialValueText(tr("auto"));
  normaliser_ = new QComboBox(this);
  normaliser_->addItem("paper");
  normaliser_->addItem("official");
  normaliser_->setToolTip(tr("MHLA normaliser: the paper's, or the official code's (equal blocks only)"));
  causal_ = new QCheckBox(tr("causal (text)"), this);
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
  threads_ = spin(this, 0, 4096, tr("CPU threads (0 = all cores)"));
  threads_->setSpecialValueText(tr("all (%1)").arg(hardwareThreads()));
  maxDenseN_ = spin(this, 2, kMaxTokenBudget,
                    tr("Largest N for dense spectra (softmax, causal maps): about 30 s at 4096 on two cores, "
                       "8× per doubling; above it they are skipped with a note"));
  colormap_ = new QComboBox(this);
  for (const std::string& c : colormapNames()) colormap_->addItem(QString::fromStdString(c));
  logScale_ = new QCheckBox(tr("log colour scale"), this);
  sharedScale_ = new QCheckBox(tr("shared colour scale"), this);
  showImage_ = new QCheckBox(tr("image under maps"), this);
  mapMode_ = new QComboBox(this);
  for (const char* m : {"row", "matrix", "difference"}) mapMode_->addItem(QString::fromLatin1(m));
  mapMode_->setToolTip(tr("row: the query's attention row; matrix: the whole N×N map, tokens in MHLA block order; "
                          "difference: each map minus softmax's (whole maps up to N = 2048, rows above)"));
  rangeWithoutQuery_ = new QCheckBox(tr("colour range without the query"), this);
  rangeWithoutQuery_->setToolTip(tr("The query's weight on itself does not set the top of the colour range "
                                    "(a softmax that is one-hot on the query would make its map one bright cell)"));
  opacity_ = dspin(this, 0, 1, 0.05, tr("Heatmap opacity over the image"));

  auto group = [this](const QString& title) {
    auto* g = new QGroupBox(title, this);
    auto* f = new QFormLayout(g);
    f->setContentsMargins(6, 4, 6, 4);
    f->setVerticalSpacing(3);
    return std::make_pair(g, f);
  };
  auto [gIn, fIn] = group(tr("Input"));
  inputForm_ = fIn;
  fIn->addRow(tr("source"), source_);
  fIn->addRow(tr("grid rows"), npyGridRows_);
  fIn->addRow(tr("grid cols"), npyGridCols_);
  fIn->addRow(tr("first grid token"), npyFirst_);
  fIn->addRow(tr("labels"), npyLabels_);
  fIn->addRow(tr("image tokens"), imageBudget_);
  fIn->addRow(tr("text tokens"), textBudget_);
  fIn->addRow(tr("synthetic N"), syntheticN_);
  fIn->addRow(tr("position λ"), positionWeight_);
  fIn->addRow(tr("heads"), heads_);
  fIn->addRow(tr("d_head"), dHead_);
  fIn->addRow(tieQK_);
  fIn->addRow(tr("seed"), seed_);
  auto [gM, fM] = group(tr("Mechanisms"));
  fM->addRow(tr("head"), head_);
  fM->addRow(tr("φ"), featureMap_);
  fM->addRow(tr("temperature"), temperature_);
  fM->addRow(tr("MHLA M"), blocks_);
  fM->addRow(tr("normaliser"), normaliser_);
  fM->addRow(causal_);
  fM->addRow(tr("backend"), backend_);
  fM->addRow(tr("threads"), threads_);
  fM->addRow(tr("dense spectra ≤ N"), maxDenseN_);
  auto [gV, fV] = group(tr("View"));
  fV->addRow(tr("maps"), mapMode_);
  fV->addRow(tr("colormap"), colormap_);
  fV->addRow(logScale_);
  fV->addRow(sharedScale_);
  fV->addRow(showImage_);
  fV->addRow(rangeWithoutQuery_);
  fV->addRow(tr("opacity"), opacity_);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(gIn);
  lay->addWidget(gM);
  lay->addWidget(gV);
  lay->addStretch(1);

  // Each control writes its own field and nothing else.
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
  onEdit(imageBudget_, &QSpinBox::valueChanged,
         [](Session& s, int v) { s.input.imageTokenBudget = v; });
  onEdit(textBudget_, &QSpinBox::valueChanged,
         [](Session& s, int v) { s.input.textTokenBudget = v; });
  onEdit(syntheticN_, &QSpinBox::valueChanged, [](Session& s, int v) { s.input.syntheticN = v; });
  onEdit(positionWeight_, &QDoubleSpinBox::valueChanged,
         [](Session& s, double v) { s.input.positionWeight = v; });
  onEdit(heads_, &QSpinBox::valueChanged, [](Session& s, int v) { s.input.heads = v; });
  onEdit(dHead_, &QSpinBox::valueChanged, [](Session& s, int v) { s.input.dHead = v; });
  onEdit(tieQK_, &QCheckBox::toggled, [](Session& s, bool v) { s.input.tieQK = v; });
  onEdit(seed_, &UInt64SpinBox::valueChanged, [](Session& s, std::uint64_t v) { s.seed = v; });
  connect(head_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (updating_ || i < 0) return;
    const int h = head_->itemData(i).toInt();
    emitEdit([h](Session& s) { s.head = h; });
  });
  onEdit(featureMap_, &QComboBox::currentTextChanged,
         [](Session& s, const QString& t) { s.featureMap = parseFeatureMap(t.toStdString()); });
  onEdit(temperature_, &QDoubleSpinBox::valueChanged,
         [](Session& s, double v) { s.temperature = v; });
  onEdit(blocks_, &QSpinBox::valueChanged, [](Session& s, int v) { s.setBlocks(v); });
  onEdit(normaliser_, &QComboBox::currentTextChanged,
         [](Session& s, const QString& t) { s.normaliser = parseNormaliser(t.toStdString()); });
  onEdit(causal_, &QCheckBox::toggled, [](Session& s, bool v) { s.causal = v; });
  onEdit(backend_, &QComboBox::currentTextChanged, [](Session& s, const QString& t) {
    s.backend = t.section(' ', 0, 0).toStdString();  // "cuda (unavailable)" → cuda
  });
  onEdit(threads_, &QSpinBox::valueChanged, [](Session& s, int v) { s.threads = v; });
  onEdit(maxDenseN_, &QSpinBox::valueChanged, [](Session& s, int v) { s.maxDenseN = v; });
  onEdit(colormap_, &QComboBox::currentTextChanged,
         [](Session& s, const QString& t) { s.view.colormap = t.toStdString(); });
  onEdit(logScale_, &QCheckBox::toggled, [](Session& s, bool v) { s.view.logScale = v; });
  onEdit(sharedScale_, &QCheckBox::toggled, [](Session& s, bool v) { s.view.sharedScale = v; });
  onEdit(showImage_, &QCheckBox::toggled, [](Session& s, bool v) { s.view.showImage = v; });
  onEdit(mapMode_, &QComboBox::currentTextChanged,
         [](Session& s, const QString& t) { s.view.mapMode = t.toStdString(); });
  onEdit(rangeWithoutQuery_, &QCheckBox::toggled, [](Session& s, bool v) { s.view.rangeWithoutQuery = v; });
  onEdit(opacity_, &QDoubleSpinBox::valueChanged,
         [](Session& s, double v) { s.view.overlayOpacity = v; });
}

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
  imageBudget_->setValue(s.input.imageTokenBudget);
  textBudget_->setValue(s.input.textTokenBudget);
  syntheticN_->setValue(s.input.syntheticN);
  positionWeight_->setValue(s.input.positionWeight);
  heads_->setValue(s.input.heads);
  dHead_->setValue(s.input.dHead);
  tieQK_->setChecked(s.input.tieQK);
  seed_->setValue(s.seed);
  if (head_->count() == 0) setNumHeads(s.input.heads);
  const int hi = head_->findData(s.head == Session::kHeadAll ? Session::kHeadMean : s.head);
  if (hi >= 0) head_->setCurrentIndex(hi);
  featureMap_->setCurrentText(QString::fromStdString(toString(s.featureMap)));
  temperature_->setValue(s.temperature);
  blocks_->setValue(s.blocks);
  normaliser_->setCurrentText(QString::fromStdString(toString(s.normaliser)));
  causal_->setChecked(s.causal);
  const int bi = backend_->findText(QString::fromStdString(s.backend), Qt::MatchStartsWith);
  if (bi >= 0) backend_->setCurrentIndex(bi);
  threads_->setValue(std::max(0, s.threads));
  maxDenseN_->setValue(s.maxDenseN);
  colormap_->setCurrentText(QString::fromStdString(s.view.colormap));
  logScale_->setChecked(s.view.logScale);
  sharedScale_->setChecked(s.view.sharedScale);
  showImage_->setChecked(s.view.showImage);
  mapMode_->setCurrentText(QString::fromStdString(s.view.mapMode));
  rangeWithoutQuery_->setChecked(s.view.rangeWithoutQuery);
  opacity_->setValue(s.view.overlayOpacity);
  updating_ = was;
}

}  // namespace attnscope::gui
