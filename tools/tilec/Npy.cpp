//===- Npy.cpp - NumPy .npy files in and out ------------------------------===//
//
// Format: "\x93NUMPY", version (major, minor), header length (uint16 for v1,
// uint32 for v2/v3), then a Python dict literal with 'descr', 'fortran_order'
// and 'shape', padded with spaces to a multiple of 64 bytes, then raw data.
//
//===----------------------------------------------------------------------===//

#include "tools/tilec/Npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

using namespace tilec;

namespace {

/// The text after `'key':` in the header dict, up to the next ',' or '}' (or
/// the closing ')' for tuples); empty if the key is absent.
std::string headerField(const std::string &header, const std::string &key) {
  size_t pos = header.find("'" + key + "'");
  if (pos == std::string::npos)
    return "";
  pos = header.find(':', pos);
  if (pos == std::string::npos)
    return "";
  size_t start = header.find_first_not_of(' ', pos + 1);
  if (start == std::string::npos)
    return "";
  size_t end = header[start] == '(' ? header.find(')', start) + 1 : header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0)
    return "";
  return header.substr(start, end - start);
}

bool parseShape(std::string text, std::vector<int64_t> &shape) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    return false;
  std::stringstream ss(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue; // trailing comma of a 1-tuple
    size_t e = item.find_last_not_of(' ');
    item = item.substr(b, e - b + 1);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos)
      return false;
    shape.push_back(std::stoll(item));
  }
  return true;
}

} // namespace

bool npy::read(const std::string &path, reference::Tensor &out, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open file";
    return false;
  }
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file (bad magic); write it with numpy.save";
    return false;
  }
  uint32_t headerLength = 0;
  unsigned char lengthBytes[4] = {0, 0, 0, 0};
  int lengthSize = magic[6] == 1 ? 2 : 4;
  if (magic[6] < 1 || magic[6] > 3 || !file.read(reinterpret_cast<char *>(lengthBytes), lengthSize)) {
    error = path + ": unsupported .npy version " + std::to_string(int(magic[6]));
    return false;
  }
  for (int i = lengthSize - 1; i >= 0; --i)
    headerLength = headerLength * 256 + lengthBytes[i];
  std::string header(headerLength, '\0');
  if (headerLength > (1u << 20) || !file.read(header.data(), headerLength)) {
    error = path + ": truncated header";
    return false;
  }
  std::string descr = headerField(header, "descr"), order = headerField(header, "fortran_order");
  std::vector<int64_t> shape;
  if (!parseShape(headerField(header, "shape"), shape)) {
    error = path + ": malformed header (no readable 'shape'): " + header;
    return false;
  }
  if (order != "False") {
    error = path + ": array is in Fortran order; save np.ascontiguousarray(a) instead";
    return false;
  }
  size_t elementSize = descr == "'<f4'" ? 4 : descr == "'<f8'" ? 8 : 0;
  if (!elementSize) {
    error = path + ": dtype " + descr +
            " is not supported; tilec reads little-endian float32 ('<f4') or float64 ('<f8')";
    return false;
  }
  out = reference::Tensor(shape);
  std::vector<char> raw(out.numel() * elementSize);
  if (!file.read(raw.data(), raw.size())) {
    error = path + ": truncated data: header promises " + std::to_string(out.numel()) +
            " elements";
    return false;
  }
  if (file.peek() != std::char_traits<char>::eof()) {
    error = path + ": trailing bytes after the " + std::to_string(out.numel()) +
            " elements its header describes";
    return false;
  }
  for (int64_t i = 0; i < out.numel(); ++i) {
    if (elementSize == 4) {
      std::memcpy(&out.data[i], &raw[i * 4], 4);
    } else {
      double d;
      std::memcpy(&d, &raw[i * 8], 8);
      out.data[i] = float(d);
    }
  }
  return true;
}

bool npy::write(const std::string &path, const reference::Tensor &tensor, std::string &error) {
  std::string shape = "(";
  for (int64_t d : tensor.shape)
    shape += std::to_string(d) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1); // keep the 1-tuple comma: "(5,)"
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open for writing";
    return false;
  }
  unsigned char version[2] = {1, 0};
  uint16_t length = uint16_t(header.size());
  unsigned char lengthBytes[2] = {uint8_t(length & 0xff), uint8_t(length >> 8)};
  file.write("\x93NUMPY", 6);
  file.write(reinterpret_cast<char *>(version), 2);
  file.write(reinterpret_cast<char *>(lengthBytes), 2);
  file.write(header.data(), header.size());
  file.write(reinterpret_cast<const char *>(tensor.data.data()), tensor.numel() * sizeof(float));
  if (!file) {
    error = path + ": write failed (disk full?)";
    return false;
  }
  return true;
}
