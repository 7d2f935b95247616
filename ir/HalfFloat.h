//===- HalfFloat.h - f32 <-> bf16 / f16 bit conversions ---------*- C++ -*-===//
//
// Round-to-nearest-even conversions between float and the two 16-bit formats,
// on bits, with no dependencies: the weight converter (compile time), the
// reference interpreter (`tilec.convert`) and the artifact writer share them,
// so a weight rounded at compile time equals the reference's rounding bit for bit.
// NaN stays NaN (quiet); values beyond the format's range become infinities;
// f16 subnormals are produced and read exactly.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_IR_HALFFLOAT_H
#define TILEC_IR_HALFFLOAT_H

#include <cstdint>
#include <cstring>

namespace tilec::half {

inline uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline uint16_t toBF16(float f) {
  uint32_t u = bitsOf(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN
    return uint16_t((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float fromBF16(uint16_t h) { return floatOf(uint32_t(h) << 16); }

inline uint16_t toF16(float f) {
  uint32_t u = bitsOf(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u)
    return sign | 0x7e00u; // NaN
  if (a >= 0x477ff000u)    // rounds to >= 65520: infinity
    return sign | 0x7c00u;
  if (a < 0x38800000u) {   // below 2^-14: subnormal (or zero)
    // Scale so the f16 subnormal unit (2^-24) becomes one ulp of an f32 in
    // [0.5, 1): adding 0.5 lets the FPU round to nearest even.
    float scaled = floatOf(a) + 0.5f;
    return sign | uint16_t(bitsOf(scaled) - 0x3f000000u);
  }
  uint32_t mantissaOdd = (a >> 13) & 1u;
  a += 0xc8000fffu + mantissaOdd; // rebias exponent (127 -> 15) and round
  return sign | uint16_t(a >> 13);
}

inline float fromF16(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) // zero or subnormal: mantissa * 2^-24, exact in f32
    return floatOf(sign | bitsOf(float(mantissa) * 5.9604644775390625e-8f));
  if (exponent == 31)
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// `f` as bf16 (`isBF16`) or f16 bits, and back.
inline uint16_t narrow(float f, bool isBF16) { return isBF16 ? toBF16(f) : toF16(f); }
inline float widen(uint16_t h, bool isBF16) { return isBF16 ? fromBF16(h) : fromF16(h); }

/// `f` rounded to bf16 (`isBF16`) or f16, as a float.
inline float round(float f, bool isBF16) { return widen(narrow(f, isBF16), isBF16); }

} // namespace tilec::half

#endif // TILEC_IR_HALFFLOAT_H
