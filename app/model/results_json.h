// Results → the metrics.json document (MATH.md metrics per mechanism and head, N, M, r, bounds,
// settings). Non-finite numbers become "inf" / "-inf" strings or null (NaN), never invalid JSON.
#pragma once

#include <QJsonObject>
#include <QJsonValue>

#include "model/results.h"

namespace attnscope {

/// A number as JSON: finite → number, ±∞ → "inf"/"-inf", NaN → null.
QJsonValue jsonNumber(double v);
QJsonObject timingToJson(const TimingResult& t);
QJsonObject resultsToJson(const Results& results);

}  // namespace attnscope
