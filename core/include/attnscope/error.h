// Exceptions thrown by the core. Every message names what was wrong (and the file, for I/O), so the
// GUI and the command line can show it as it is.
#pragma once

#include <stdexcept>
#include <string>

namespace attnscope {

/// Base class of every error the core reports.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid settings or inputs (shapes that disagree, M > N, NaN/Inf, negative mixing weights, ...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed.
class FileError : public Error {
 public:
  using Error::Error;
};

/// A request would exceed a memory budget (dense N×N maps, dense spectra).
class BudgetExceeded : public Error {
 public:
  using Error::Error;
};

/// Long work stopped because its cancel token was set.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace attnscope
