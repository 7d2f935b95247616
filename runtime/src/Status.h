//===- Status.h - the C API's status object and small helpers -------------===//

#ifndef TILEC_RUNTIME_STATUS_H
#define TILEC_RUNTIME_STATUS_H

#include "tilec/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

struct tilec_status {
  tilec_status_code code;
  std::string message;
};

namespace tilec::runtime {

/// A new status the caller frees with tilec_status_free.
inline tilec_status *makeStatus(tilec_status_code code, std::string message) {
  return new tilec_status{code, std::move(message)};
}

inline std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

inline std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "()" : s;
}

} // namespace tilec::runtime

#endif // TILEC_RUNTIME_STATUS_H
