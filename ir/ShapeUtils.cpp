//===- ShapeUtils.cpp - broadcasting and strides --------------------------===//

#include "ir/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

std::optional<SmallVector<int64_t>> tilec::broadcastShapes(ArrayRef<int64_t> a,
                                                           ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    result[i] = da == 1 ? db : da;
  }
  return result;
}

std::vector<int64_t> tilec::rowMajorStrides(ArrayRef<int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::vector<int64_t> tilec::broadcastIndices(ArrayRef<int64_t> outShape,
                                             ArrayRef<int64_t> inShape) {
  size_t rank = outShape.size(), offset = rank - inShape.size();
  std::vector<int64_t> inStrides = rowMajorStrides(inShape);
  // Stride 0 along broadcast dimensions (missing or of size 1).
  std::vector<int64_t> step(rank, 0);
  for (size_t d = offset; d < rank; ++d)
    step[d] = inShape[d - offset] == 1 ? 0 : inStrides[d - offset];
  int64_t total = 1;
  for (int64_t d : outShape)
    total *= d;
  std::vector<int64_t> result(total);
  std::vector<int64_t> index(rank, 0);
  int64_t in = 0;
  for (int64_t &r : result) {
    r = in;
    for (int64_t d = int64_t(rank) - 1; d >= 0; --d) { // odometer increment
      in += step[d];
      if (++index[d] < outShape[d])
        break;
      in -= step[d] * outShape[d];
      index[d] = 0;
    }
  }
  return result;
}

std::string tilec::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}
