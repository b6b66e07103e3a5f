// The consistency rules of a Session (what one edit clears) and which work an edit makes stale.
#include "session/session.h"

namespace attnscope {

bool SessionSource::operator==(const SessionSource& o) const {
  return kind == o.kind && path == o.path && qPath == o.qPath && kPath == o.kPath &&
         vPath == o.vPath && labelsPath == o.labelsPath && backgroundPath == o.backgroundPath &&
         gridRows == o.gridRows && gridCols == o.gridCols && gridFirstToken == o.gridFirstToken;
}

void Session::setSource(const SessionSource& src) {
  if (src == source) return;
  source = src;
  clearQuery();
  customMixing = MatrixD();
}

void Session::setBlocks(int m) {
  if (m == blocks && windowRows == 0 && windowCols == 0) return;
  blocks = m;
  windowRows = windowCols = 0;
  customMixing = MatrixD();
  mixingFile.clear();
}

void Session::setWindows(int rows, int cols) {
  if (rows <= 0 || cols <= 0) rows = cols = 0;
  const int m = rows > 0 ? 0 : blocks;
  if (rows == windowRows && cols == windowCols && m == blocks) return;
  windowRows = rows;
  windowCols = cols;
  blocks = m;
  customMixing = MatrixD();
  mixingFile.clear();
}

void Session::setMixingInit(const std::string& name) {
  mixing = name;
  resetMixing();
}

void Session::setMixingFile(const std::string& path) {
  mixingFile = path;
  customMixing = MatrixD();
}

void Session::setCustomMixing(const MatrixD& m) {
  customMixing = m;
}

void Session::resetMixing() {
  customMixing = MatrixD();
  mixingFile.clear();
}

void Session::clearQuery() {
  query = queryRow = queryCol = -1;
}

void Session::pinQuery(int index) {
  query = index;
  queryRow = queryCol = -1;
}

void Session::pinQueryCell(int row, int col) {
  query = -1;
  queryRow = row;
  queryCol = col;
}

void Session::fitToInput(int numTokens, int gridRows, int gridCols, int numHeads) {
  if (query >= numTokens || queryRow >= gridRows || queryCol >= gridCols) clearQuery();
  if (head >= numHeads) head = 0;
}

SessionChanges Session::changes(const Session& before, const Session& after) {
  return changes(before.toJson(), after.toJson());
}

SessionChanges Session::changes(const QJsonObject& before, const QJsonObject& after) {
  const unsigned bits = staleBetween(before, after);
  SessionChanges c;
  c.input = (bits & stale::kInput) != 0;
  c.analysis = c.input || (bits & stale::kAnalysis) != 0;
  c.query = (bits & stale::kQuery) != 0;
  c.view = (bits & (stale::kView | stale::kRollout)) != 0;
  return c;
}

}  // namespace attnscope
