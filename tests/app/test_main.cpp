// Runs every QtTest class of the app layer in one binary (each file contributes one run function).
#include <QGuiApplication>

int runImageLoaderTests(int argc, char** argv);
int runInputLoaderTests(int argc, char** argv);

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  int failures = 0;
  failures += runImageLoaderTests(argc, argv);
  failures += runInputLoaderTests(argc, argv);
  return failures == 0 ? 0 : 1;
}
