// The error every failed CUDA, cuBLAS or cuSOLVER call becomes (its own header, so the backend's
// sources include it without including the whole backend).
#pragma once

#include "attnscope/error.h"

namespace attnscope {

/// A CUDA, cuBLAS or cuSOLVER call failed; the message names the call and the error string.
class CudaError : public Error {
 public:
  using Error::Error;
};

}  // namespace attnscope
