//===- Npy.h - NumPy .npy files in and out ----------------------*- C++ -*-===//
//
// Reads little-endian float32 or float64 arrays in C order (float64 is converted
// to float32) and writes float32. Every malformed file gets an error that says
// what is wrong with it, e.g. "x.npy: array is in Fortran order; save it with
// np.ascontiguousarray(a)".
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TOOLS_NPY_H
#define TILEC_TOOLS_NPY_H

#include "reference/Tensor.h"

#include <string>

namespace tilec::npy {

/// Reads `path` into `out`; on failure returns false with a message in `error`.
bool read(const std::string &path, reference::Tensor &out, std::string &error);

/// Writes `tensor` as a float32 .npy file; on failure returns false with a message.
bool write(const std::string &path, const reference::Tensor &tensor, std::string &error);

} // namespace tilec::npy

#endif // TILEC_TOOLS_NPY_H
