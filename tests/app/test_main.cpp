// Runs every QtTest class of the app layer in one binary (each file contributes one run function).
#include <QApplication>

int runImageLoaderTests(int argc, char** argv);
int runInputLoaderTests(int argc, char** argv);
int runFileKindTests(int argc, char** argv);
int runBackendTests(int argc, char** argv);
int runFigureTests(int argc, char** argv);
int runModelSourceTests(int argc, char** argv);
int runModelSurveyTests(int argc, char** argv);

int main(int argc, char** argv) {
  QApplication app(argc, argv);  // widgets: the figure builders draw into QCustomPlot
  int failures = 0;
  failures += runImageLoaderTests(argc, argv);
  failures += runInputLoaderTests(argc, argv);
  failures += runFileKindTests(argc, argv);
  failures += runBackendTests(argc, argv);
  failures += runFigureTests(argc, argv);
  failures += runModelSourceTests(argc, argv);
  failures += runModelSurveyTests(argc, argv);
  return failures == 0 ? 0 : 1;
}
