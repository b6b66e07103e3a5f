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
  metric_ = new QComboBox(this);
  metric_->addItem(tr("normalised entropy"), "entropy");
  metric_->addItem(tr("effective rank"), "rank");
  metric_->addItem(tr("KL to softmax"), "kl");
  metric_->setToolTip(tr("The number in each model-view cell"));
  thumbnails_ = new QComboBox(this);
  thumbnails_->addItem(tr("auto"), "auto");
  thumbnails_->addItem(tr("query rows"), "rows");
  thumbnails_->addItem(tr("CLS rows"), "cls");
  thumbnails_->addItem(tr("whole maps"), "matrix");
  thumbnails_->setToolTip(tr("Model-view cells: the query's row, or whole maps (texts up to 512 tokens)"));
  fusion_ = new QComboBox(this);
  for (const char* f : {"mean", "max", "min"}) fusion_->addItem(QString::fromLatin1(f), QString::fromLatin1(f));
  fusion_->setToolTip(tr("Rollout: how the heads of a layer are fused"));
  discard_ = new QDoubleSpinBox(this);
  discard_->setRange(0, 0.999);
  discard_->setDecimals(3);
  discard_->setSingleStep(0.05);
  discard_->setToolTip(tr("Rollout: the lowest fraction of each fused map set to 0 (vit-explain)"));
  mass_ = new QDoubleSpinBox(this);
  mass_->setRange(0.01, 1);
  mass_->setDecimals(2);
  mass_->setSingleStep(0.05);
  mass_->setToolTip(tr("CLS maps: keep the fewest patches holding this share of the attention (DINO)"));
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
  lay->addWidget(close);

  auto setLayer = [this](int l) { emitEdit([l](Session& s) { s.model.layer = l; }); };
  connect(layerSlider_, &QSlider::valueChanged, this, setLayer);
  connect(layer_, &QSpinBox::valueChanged, this, setLayer);
  connect(head_, &QSpinBox::valueChanged, this,
          [this](int h) { emitEdit([h](Session& s) { s.head = h < 0 ? Session::kHeadMean : h; }); });
  auto combo = [this](QComboBox* box, std::string ViewSettings::Explorer::*field) {
    connect(box, &QComboBox::currentIndexChanged, this, [this, box, field](int) {
      const std::string v = box->currentData().toString().toStdString();
      emitEdit([v, field](Session& s) { s.view.explorer.*field = v; });
    });
  };
  combo(mechanism_, &ViewSettings::Explorer::mechanism);
  combo(metric_, &ViewSettings::Explorer::metric);
  combo(thumbnails_, &ViewSettings::Explorer::thumbnails);
  combo(fusion_, &ViewSettings::Explorer::fusion);
  connect(discard_, &QDoubleSpinBox::valueChanged, this,
          [this](double v) { emitEdit([v](Session& s) { s.view.explorer.discardRatio = v; }); });
  connect(mass_, &QDoubleSpinBox::valueChanged, this,
          [this](double v) { emitEdit([v](Session& s) { s.view.explorer.clsMass = v; }); });
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
  const ViewSettings::Explorer& e = s.view.explorer;
  select(mechanism_, e.mechanism);
  select(metric_, e.metric);
  select(thumbnails_, e.thumbnails);
  select(fusion_, e.fusion);
  discard_->setValue(e.discardRatio);
  mass_->setValue(e.clsMass);
  updating_ = false;
}

}  // namespace attnscope::gui
