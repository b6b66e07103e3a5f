#include "gui/controls_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QSpinBox>
#include <QVBoxLayout>

#include "attnscope/eigen_backend.h"
#include "figures/colormaps.h"
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
  auto* s = new QDoubleSpinBox(parent);
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setDecimals(2);
  s->setToolTip(tip);
  s->setKeyboardTracking(false);
  return s;
}
}  // namespace

ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
  source_ = new QComboBox(this);
  for (const char* s : {"sample-image", "sample-text", "synthetic", "image", "text", "npy"})
    source_->addItem(QString::fromLatin1(s));
  source_->setToolTip(tr("Where the tokens come from (File ▸ Open loads an image, text, .npy or session)"));
  imageBudget_ = spin(this, 16, kMaxTokenBudget, tr("Most patches an image becomes"));
  imageBudget_->setSingleStep(256);
  textBudget_ = spin(this, 1, kMaxTokenBudget, tr("Most tokens a text becomes"));
  syntheticN_ = spin(this, 1, kMaxTokenBudget, tr("Synthetic source: number of tokens"));
  positionWeight_ = dspin(this, 0, 10, 0.1, tr("λ: 0 = pure content, larger = more locality"));
  heads_ = spin(this, 1, 64, tr("Heads H of the embedding"));
  dHead_ = spin(this, 1, 1024, tr("d_k = d_v per head"));
  tieQK_ = new QCheckBox(tr("tied Q/K (W_K = W_Q)"), this);
  seed_ = spin(this, 0, 1 << 30, tr("Seed of the embedding, synthetic data and favor features"));
  head_ = new QComboBox(this);
  head_->setToolTip(tr("Head whose maps are shown, or the mean over heads"));
  featureMap_ = new QComboBox(this);
  for (const char* s : {"relu", "elu1", "softplus", "favor"}) featureMap_->addItem(s);
  featureMap_->setToolTip(tr("φ of linear attention and MHLA (MATH.md)"));
  temperature_ = dspin(this, 0.01, 100, 0.1, tr("Softmax temperature τ: s = 1/(τ·√d_k)"));
  blocks_ = spin(this, 0, 4096, tr("MHLA blocks M (0 = automatic: about 16 windows on images, 8 chunks on text)"));
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
  threads_ = spin(this, 0, 256, tr("CPU threads (0 = all cores)"));
  threads_->setSpecialValueText(tr("all (%1)").arg(hardwareThreads()));
  colormap_ = new QComboBox(this);
  for (const std::string& c : colormapNames()) colormap_->addItem(QString::fromStdString(c));
  logScale_ = new QCheckBox(tr("log colour scale"), this);
  sharedScale_ = new QCheckBox(tr("shared colour scale"), this);
  showImage_ = new QCheckBox(tr("image under maps"), this);
  opacity_ = dspin(this, 0, 1, 0.05, tr("Heatmap opacity over the image"));

  auto group = [this](const QString& title) {
    auto* g = new QGroupBox(title, this);
    auto* f = new QFormLayout(g);
    f->setContentsMargins(6, 4, 6, 4);
    f->setVerticalSpacing(3);
    return std::make_pair(g, f);
  };
  auto [gIn, fIn] = group(tr("Input"));
  fIn->addRow(tr("source"), source_);
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
  auto [gV, fV] = group(tr("View"));
  fV->addRow(tr("colormap"), colormap_);
  fV->addRow(logScale_);
  fV->addRow(sharedScale_);
  fV->addRow(showImage_);
  fV->addRow(tr("opacity"), opacity_);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(gIn);
  lay->addWidget(gM);
  lay->addWidget(gV);
  lay->addStretch(1);

  for (QComboBox* c : {source_, head_, featureMap_, normaliser_, backend_, colormap_})
    connect(c, &QComboBox::currentIndexChanged, this, &ControlsPanel::emitEdited);
  for (QSpinBox* s : {imageBudget_, textBudget_, syntheticN_, heads_, dHead_, seed_, blocks_, threads_})
    connect(s, &QSpinBox::valueChanged, this, &ControlsPanel::emitEdited);
  for (QDoubleSpinBox* s : {positionWeight_, temperature_, opacity_})
    connect(s, &QDoubleSpinBox::valueChanged, this, &ControlsPanel::emitEdited);
  for (QCheckBox* c : {tieQK_, causal_, logScale_, sharedScale_, showImage_})
    connect(c, &QCheckBox::toggled, this, &ControlsPanel::emitEdited);
}

void ControlsPanel::setNumHeads(int heads) {
  const bool was = updating_;
  updating_ = true;
  const QVariant cur = head_->currentData();
  head_->clear();
  head_->addItem(tr("mean over heads"), Session::kHeadMean);
  for (int h = 0; h < heads; ++h) head_->addItem(tr("head %1").arg(h), h);
  const int i = head_->findData(base_.head);
  head_->setCurrentIndex(i >= 0 ? i : 1);
  updating_ = was;
}

void ControlsPanel::setSession(const Session& s) {
  updating_ = true;
  base_ = s;
  source_->setCurrentText(QString::fromStdString(toString(s.source.kind)));
  imageBudget_->setValue(s.input.imageTokenBudget);
  textBudget_->setValue(s.input.textTokenBudget);
  syntheticN_->setValue(s.input.syntheticN);
  positionWeight_->setValue(s.input.positionWeight);
  heads_->setValue(s.input.heads);
  dHead_->setValue(s.input.dHead);
  tieQK_->setChecked(s.input.tieQK);
  seed_->setValue(static_cast<int>(s.seed));
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
  colormap_->setCurrentText(QString::fromStdString(s.view.colormap));
  logScale_->setChecked(s.view.logScale);
  sharedScale_->setChecked(s.view.sharedScale);
  showImage_->setChecked(s.view.showImage);
  opacity_->setValue(s.view.overlayOpacity);
  updating_ = false;
}

Session ControlsPanel::session() const {
  Session s = base_;
  s.source.kind = parseSourceKind(source_->currentText().toStdString());
  s.input.imageTokenBudget = imageBudget_->value();
  s.input.textTokenBudget = textBudget_->value();
  s.input.syntheticN = syntheticN_->value();
  s.input.positionWeight = positionWeight_->value();
  s.input.heads = heads_->value();
  s.input.dHead = dHead_->value();
  s.input.tieQK = tieQK_->isChecked();
  s.seed = static_cast<std::uint64_t>(seed_->value());
  if (head_->currentIndex() >= 0) s.head = head_->currentData().toInt();
  s.featureMap = parseFeatureMap(featureMap_->currentText().toStdString());
  s.temperature = temperature_->value();
  s.blocks = blocks_->value();
  if (s.blocks != base_.blocks) s.windowRows = s.windowCols = 0;
  s.normaliser = parseNormaliser(normaliser_->currentText().toStdString());
  s.causal = causal_->isChecked();
  s.backend = backend_->currentText().section(' ', 0, 0).toStdString();
  s.threads = threads_->value();
  s.view.colormap = colormap_->currentText().toStdString();
  s.view.logScale = logScale_->isChecked();
  s.view.sharedScale = sharedScale_->isChecked();
  s.view.showImage = showImage_->isChecked();
  s.view.overlayOpacity = opacity_->value();
  return s;
}

void ControlsPanel::emitEdited() {
  if (updating_) return;
  const Session s = session();
  base_ = s;
  emit sessionEdited(s);
}

}  // namespace attnscope::gui
