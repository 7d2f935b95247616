//===- Kernels.cpp - reference convolution, matmul, pooling, norms --------===//
//
// See Kernels.h for the contract. Index names: n batch, c/o channels, h/w
// spatial, k kernel, o-prefixed for output and i-prefixed for input positions.
//
//===----------------------------------------------------------------------===//

#include "reference/Kernels.h"

#include <cmath>
#include <limits>

using namespace tilec::reference;

namespace {

/// Outputs o in [first, last) of a sliding window read input position
/// o * stride + offset inside [0, size).
std::pair<int64_t, int64_t> validOutputs(int64_t outSize, int64_t stride, int64_t offset,
                                         int64_t size) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - offset <= 0 ? 0 : (size - 1 - offset) / stride + 1;
  return {std::min(first, outSize), std::clamp(last, first, outSize)};
}

} // namespace

void tilec::reference::conv2d(const Tensor &in, const Tensor &weight, const Tensor *bias,
                              const Window2D &w, int64_t groups, Tensor &out, int threads) {
  int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), wd = in.dim(3);
  int64_t o = out.dim(1), oh = out.dim(2), ow = out.dim(3);
  int64_t cPerGroup = c / groups, oPerGroup = o / groups;
  int64_t kh = weight.dim(2), kw = weight.dim(3);
  parallelFor(n * o, threads, [&](int64_t plane) {
    int64_t b = plane / o, oc = plane % o, g = oc / oPerGroup;
    std::vector<double> acc(oh * ow, bias ? bias->data[oc] : 0.0);
    for (int64_t ci = 0; ci < cPerGroup; ++ci) {
      const float *input = &in.data[((b * c) + g * cPerGroup + ci) * h * wd];
      for (int64_t y = 0; y < kh; ++y) {
        for (int64_t x = 0; x < kw; ++x) {
          double wv = weight.data[((oc * cPerGroup + ci) * kh + y) * kw + x];
          int64_t offH = y * w.dilations[0] - w.padding[0];
          int64_t offW = x * w.dilations[1] - w.padding[1];
          auto [h0, h1] = validOutputs(oh, w.strides[0], offH, h);
          auto [w0, w1] = validOutputs(ow, w.strides[1], offW, wd);
          for (int64_t r = h0; r < h1; ++r) {
            int64_t rowBase = (r * w.strides[0] + offH) * wd + offW;
            double *accRow = &acc[r * ow];
            for (int64_t col = w0; col < w1; ++col)
              accRow[col] += wv * input[rowBase + col * w.strides[1]];
          }
        }
      }
    }
    std::copy(acc.begin(), acc.end(), &out.data[plane * oh * ow]);
  });
}

void tilec::reference::matmul(const Tensor &lhs, const Tensor &rhs, Tensor &out, int threads) {
  int64_t m = lhs.dim(lhs.rank() - 2), k = lhs.dim(lhs.rank() - 1), n = rhs.dim(rhs.rank() - 1);
  std::vector<int64_t> batch(out.shape.begin(), out.shape.end() - 2);
  std::vector<int64_t> lhsBatch(lhs.shape.begin(), lhs.shape.end() - 2);
  std::vector<int64_t> rhsBatch(rhs.shape.begin(), rhs.shape.end() - 2);
  std::vector<int64_t> lhsIndex = broadcastIndices(batch, lhsBatch);
  std::vector<int64_t> rhsIndex = broadcastIndices(batch, rhsBatch);
  int64_t batches = Tensor::numElements(batch);
  parallelFor(batches * m, threads, [&](int64_t row) {
    int64_t bi = row / m, i = row % m;
    const float *a = &lhs.data[(lhsIndex[bi] * m + i) * k];
    const float *bmat = &rhs.data[rhsIndex[bi] * k * n];
    std::vector<double> acc(n, 0.0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j)
        acc[j] += double(a[p]) * bmat[p * n + j];
    std::copy(acc.begin(), acc.end(), &out.data[row * n]);
  });
}

void tilec::reference::linear(const Tensor &in, const Tensor &weight, const Tensor *bias,
                              Tensor &out, int threads) {
  int64_t n = weight.dim(0), k = weight.dim(1), rows = in.numel() / k;
  parallelFor(rows * n, threads, [&](int64_t idx) {
    int64_t r = idx / n, j = idx % n;
    double acc = bias ? bias->data[j] : 0.0;
    for (int64_t p = 0; p < k; ++p)
      acc += double(in.data[r * k + p]) * weight.data[j * k + p];
    out.data[idx] = float(acc);
  });
}

void tilec::reference::attention(const Tensor &q, const Tensor &k, const Tensor &v,
                                 double scale, Tensor &out, int threads) {
  int64_t s = q.dim(q.rank() - 2), d = q.dim(q.rank() - 1);
  int64_t t = k.dim(k.rank() - 2), dv = v.dim(v.rank() - 1);
  int64_t batches = q.numel() / (s * d);
  parallelFor(batches * s, threads, [&](int64_t row) {
    int64_t b = row / s, i = row % s;
    const float *qi = &q.data[(b * s + i) * d];
    std::vector<double> scores(t);
    double maxScore = -std::numeric_limits<double>::infinity(), sum = 0;
    for (int64_t j = 0; j < t; ++j) {
      double dot = 0;
      for (int64_t c = 0; c < d; ++c)
        dot += double(qi[c]) * k.data[(b * t + j) * d + c];
      scores[j] = dot * scale;
      maxScore = std::max(maxScore, scores[j]);
    }
    for (double &p : scores)
      sum += (p = std::exp(p - maxScore));
    for (int64_t c = 0; c < dv; ++c) {
      double acc = 0;
      for (int64_t j = 0; j < t; ++j)
        acc += scores[j] * v.data[(b * t + j) * dv + c];
      out.data[(b * s + i) * dv + c] = float(acc / sum);
    }
  });
}

void tilec::reference::batchNorm(const Tensor &in, const Tensor &scale, const Tensor &bias,
                                 const Tensor &mean, const Tensor &var, double eps,
                                 Tensor &out) {
  int64_t n = in.dim(0), c = in.dim(1), inner = in.numel() / (n * c);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      double s = scale.data[ch] / std::sqrt(double(var.data[ch]) + eps);
      double shift = bias.data[ch] - mean.data[ch] * s;
      int64_t base = (b * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i)
        out.data[base + i] = float(in.data[base + i] * s + shift);
    }
}

void tilec::reference::layerNorm(const Tensor &in, const Tensor &weight, const Tensor &bias,
                                 int64_t axis, double eps, Tensor &out) {
  int64_t inner = 1;
  for (int64_t d = axis; d < in.rank(); ++d)
    inner *= in.dim(d);
  for (int64_t base = 0; base < in.numel(); base += inner) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i)
      mean += in.data[base + i];
    mean /= inner;
    for (int64_t i = 0; i < inner; ++i)
      var += (in.data[base + i] - mean) * (in.data[base + i] - mean);
    double inv = 1.0 / std::sqrt(var / inner + eps);
    for (int64_t i = 0; i < inner; ++i)
      out.data[base + i] = float((in.data[base + i] - mean) * inv * weight.data[i] + bias.data[i]);
  }
}

void tilec::reference::softmax(const Tensor &in, int64_t axis, Tensor &out) {
  int64_t size = in.dim(axis), inner = strides(in.shape)[axis];
  int64_t outer = in.numel() / (size * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * size * inner + i;
      double maxValue = -std::numeric_limits<double>::infinity(), sum = 0;
      for (int64_t a = 0; a < size; ++a)
        maxValue = std::max(maxValue, double(in.data[base + a * inner]));
      for (int64_t a = 0; a < size; ++a)
        sum += std::exp(in.data[base + a * inner] - maxValue);
      for (int64_t a = 0; a < size; ++a)
        out.data[base + a * inner] = float(std::exp(in.data[base + a * inner] - maxValue) / sum);
    }
}

void tilec::reference::lrn(const Tensor &in, int64_t size, double alpha, double beta,
                           double bias, Tensor &out) {
  int64_t n = in.dim(0), c = in.dim(1), inner = in.numel() / (n * c);
  int64_t before = (size - 1) / 2, after = size - 1 - before; // ONNX's window
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < inner; ++i) {
        double sum = 0;
        for (int64_t k = std::max<int64_t>(0, ch - before); k <= std::min(c - 1, ch + after); ++k) {
          double v = in.data[(b * c + k) * inner + i];
          sum += v * v;
        }
        int64_t idx = (b * c + ch) * inner + i;
        out.data[idx] = float(in.data[idx] / std::pow(bias + alpha / size * sum, beta));
      }
}

void tilec::reference::maxPool2d(const Tensor &in, const Window2D &w, Tensor &out) {
  int64_t planes = in.dim(0) * in.dim(1), h = in.dim(2), wd = in.dim(3);
  int64_t oh = out.dim(2), ow = out.dim(3);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t col = 0; col < ow; ++col) {
        double best = -std::numeric_limits<double>::infinity();
        for (int64_t y = 0; y < w.kernel[0]; ++y)
          for (int64_t x = 0; x < w.kernel[1]; ++x) {
            int64_t ih = r * w.strides[0] - w.padding[0] + y * w.dilations[0];
            int64_t iw = col * w.strides[1] - w.padding[1] + x * w.dilations[1];
            if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
              best = std::max(best, double(in.data[(p * h + ih) * wd + iw]));
          }
        out.data[(p * oh + r) * ow + col] = float(best);
      }
}

void tilec::reference::avgPool2d(const Tensor &in, const Window2D &w, bool countIncludePad,
                                 Tensor &out) {
  int64_t planes = in.dim(0) * in.dim(1), h = in.dim(2), wd = in.dim(3);
  int64_t oh = out.dim(2), ow = out.dim(3);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t col = 0; col < ow; ++col) {
        // PyTorch's divisor: the window clipped to the padded input (with padding)
        // or to the input itself (without).
        int64_t h0 = r * w.strides[0] - w.padding[0], w0 = col * w.strides[1] - w.padding[1];
        int64_t h1 = std::min(h0 + w.kernel[0], h + w.padding[2]);
        int64_t w1 = std::min(w0 + w.kernel[1], wd + w.padding[3]);
        int64_t paddedCount = (h1 - h0) * (w1 - w0);
        h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
        h1 = std::min(h1, h), w1 = std::min(w1, wd);
        double sum = 0;
        for (int64_t y = h0; y < h1; ++y)
          for (int64_t x = w0; x < w1; ++x)
            sum += in.data[(p * h + y) * wd + x];
        int64_t count = countIncludePad ? paddedCount : (h1 - h0) * (w1 - w0);
        out.data[(p * oh + r) * ow + col] = float(count > 0 ? sum / count : 0.0);
      }
}

void tilec::reference::adaptiveAvgPool2d(const Tensor &in, Tensor &out) {
  int64_t planes = in.dim(0) * in.dim(1), h = in.dim(2), wd = in.dim(3);
  int64_t oh = out.dim(2), ow = out.dim(3);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t col = 0; col < ow; ++col) {
        int64_t h0 = r * h / oh, h1 = ((r + 1) * h + oh - 1) / oh;
        int64_t w0 = col * wd / ow, w1 = ((col + 1) * wd + ow - 1) / ow;
        double sum = 0;
        for (int64_t y = h0; y < h1; ++y)
          for (int64_t x = w0; x < w1; ++x)
            sum += in.data[(p * h + y) * wd + x];
        out.data[(p * oh + r) * ow + col] = float(sum / ((h1 - h0) * (w1 - w0)));
      }
}

void tilec::reference::globalAvgPool(const Tensor &in, Tensor &out) {
  int64_t planes = in.dim(0) * in.dim(1), inner = in.numel() / planes;
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < inner; ++i)
      sum += in.data[p * inner + i];
    out.data[p] = float(sum / inner);
  }
}
