#include "gui/model_bar.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>

#include "model/mechanism_registry.h"

namespace attnscope::gui {

ModelBar::ModelBar(QWidget* parent) : QWidget(parent) {
  auto* lay = new QHBoxLayout(this);
  lay->setContentsMargins(2, 0, 2, 0);
  name_ = new QLabel(this);
  name_->setStyleSheet("font-weight:bold;");
  layerSlider_ = new QSlider(Qt::Horizontal, this);
  layerSlider_->setMinimumWidth(120);
  layerSlider_->setToolTip(tr("Layer ([ and ] step through them)"));
  layer_ = new QSpinBox(this);
  layer_->setToolTip(layerSlider_->toolTip());
  head_ = new QSpinBox(this);
  head_->setMinimum(-1);
  head_->setSpecialValueText(tr("mean"));
  head_->setToolTip(tr("Head (, and . step through them; below 0: the mean over heads)"));
  mechanism_ = new QComboBox(this);
  for (const MechanismEntry& e : mechanismRegistry())
    mechanism_->addItem(QString::fromStdString(e.displayName), QString::fromStdString(e.id));
  mechanism_->setToolTip(tr("The mechanism the model view and the CLS maps show"));
  // The views' settings: generated from the settings table (section "Model").
  auto generated = [this](const char* key) {
    QWidget* w = makeSettingControl(*findSetting(key), this);
    settingControls_.push_back(w);
    onSettingEdited(w, *findSetting(key), this, [this](const SessionEdit& e) { emitEdit(e); });
    return w;
  };
  metric_ = qobject_cast<QComboBox*>(generated("view.explorer.metric"));
  thumbnails_ = qobject_cast<QComboBox*>(generated("view.explorer.thumbnails"));
  fusion_ = qobject_cast<QComboBox*>(generated("view.explorer.fusion"));
  discard_ = qobject_cast<QDoubleSpinBox*>(generated("view.explorer.discardRatio"));
  mass_ = qobject_cast<QDoubleSpinBox*>(generated("view.explorer.clsMass"));
  // Low-rank K/V (issue 25 #5): the rank of the [K/α | V] latent and the layer it applies to.
  QWidget* kvRank = generated("model.kvRank");
  QWidget* kvLayer = generated("model.kvRankLayer");
  auto* close = new QPushButton(tr("Close model"), this);
  close->setToolTip(tr("Back to the hand-made embedding of the same input"));

  auto label = [this](const QString& t) { return new QLabel(t, this); };
  lay->addWidget(name_);
  lay->addSpacing(8);
  lay->addWidget(label(tr("layer")));
  lay->addWidget(layerSlider_, 1);
  lay->addWidget(layer_);
  lay->addWidget(label(tr("head")));
  lay->addWidget(head_);
  lay->addSpacing(8);
  lay->addWidget(label(tr("view")));
  lay->addWidget(mechanism_);
  lay->addWidget(metric_);
  lay->addWidget(thumbnails_);
  lay->addWidget(label(tr("rollout")));
  lay->addWidget(fusion_);
  lay->addWidget(discard_);
  lay->addWidget(label(tr("CLS mass")));
  lay->addWidget(mass_);
  lay->addSpacing(8);
  lay->addWidget(label(tr("K/V rank")));
  lay->addWidget(kvRank);
  lay->addWidget(kvLayer);
  lay->addWidget(close);

  auto setLayer = [this](int l) { emitEdit([l](Session& s) { s.model.layer = l; }); };
  connect(layerSlider_, &QSlider::valueChanged, this, setLayer);
  connect(layer_, &QSpinBox::valueChanged, this, setLayer);
  connect(head_, &QSpinBox::valueChanged, this,
          [this](int h) { emitEdit([h](Session& s) { s.head = h < 0 ? Session::kHeadMean : h; }); });
  connect(mechanism_, &QComboBox::currentIndexChanged, this, [this](int) {
    const std::string v = mechanism_->currentData().toString().toStdString();
    emitEdit([v](Session& s) { s.view.explorer.mechanism = v; });
  });
  connect(close, &QPushButton::clicked, this, &ModelBar::closeModel);
}

void ModelBar::emitEdit(const SessionEdit& edit) {
  if (!updating_) emit edited(edit);
}

void ModelBar::setSession(const Session& s, int layers, int heads) {
  updating_ = true;
  const QFileInfo f(QString::fromStdString(s.model.path));
  name_->setText(f.fileName().isEmpty() ? f.filePath() : f.fileName());
  name_->setToolTip(QString::fromStdString(s.model.path));
  const int last = std::max(0, layers - 1);
  const int layer = s.model.layer < 0 ? last : std::min(s.model.layer, last);
  for (QSlider* sl : {layerSlider_}) {
    sl->setRange(0, last);
    sl->setValue(layer);
  }
  layer_->setRange(0, last);
  layer_->setValue(layer);
  head_->setMaximum(std::max(0, heads - 1));
  head_->setValue(s.head >= 0 ? s.head : -1);
  auto select = [](QComboBox* box, const std::string& v) {
    const int i = box->findData(QString::fromStdString(v));
    if (i >= 0) box->setCurrentIndex(i);
  };
  select(mechanism_, s.view.explorer.mechanism);
  for (QWidget* w : settingControls_) showSetting(w, *findSetting(w->objectName().toStdString()), s);
  updating_ = false;
}

}  // namespace attnscope::gui
