// Bit-field helpers shared by every encoding in the project.
//
// Vocabulary: `hi:lo` is an inclusive bit range as the specifications write it (bit 0 = LSB);
// `_lg2` names a base-2 logarithm (page_lg2 = 12 for 4 KiB).
#pragma once

#include <bit>
#include <cstdint>

namespace isim {

/// Mask with bits hi..lo set (inclusive), e.g. mask(11, 9) == 0xe00.
constexpr uint64_t mask(unsigned hi, unsigned lo) {
  return (hi >= 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1)) & ~((uint64_t{1} << lo) - 1);
}

/// Field hi..lo of v, shifted down to bit 0.
constexpr uint64_t bits(uint64_t v, unsigned hi, unsigned lo) {
  return (v & mask(hi, lo)) >> lo;
}

/// Single bit b of v.
constexpr bool bit(uint64_t v, unsigned b) {
  return (v >> b) & 1;
}

/// v with field hi..lo replaced by f (f is truncated to the field width).
constexpr uint64_t set_bits(uint64_t v, unsigned hi, unsigned lo, uint64_t f) {
  return (v & ~mask(hi, lo)) | ((f << lo) & mask(hi, lo));
}

/// v with bit b set to on.
constexpr uint64_t set_bit(uint64_t v, unsigned b, bool on) {
  return on ? (v | (uint64_t{1} << b)) : (v & ~(uint64_t{1} << b));
}

/// Field hi..lo kept in place (not shifted), e.g. an address field 51:12.
constexpr uint64_t field_in_place(uint64_t v, unsigned hi, unsigned lo) {
  return v & mask(hi, lo);
}

constexpr uint64_t lg2_size(unsigned lg2) {
  return uint64_t{1} << lg2;
}
constexpr bool is_pow2(uint64_t v) {
  return v && !(v & (v - 1));
}
constexpr unsigned log2_floor(uint64_t v) {
  return 63u - static_cast<unsigned>(std::countl_zero(v | 1));
}
constexpr uint64_t align_down(uint64_t v, unsigned lg2) {
  return v & ~(lg2_size(lg2) - 1);
}
constexpr uint64_t align_up(uint64_t v, unsigned lg2) {
  return (v + lg2_size(lg2) - 1) & ~(lg2_size(lg2) - 1);
}
constexpr bool is_aligned(uint64_t v, unsigned lg2) {
  return (v & (lg2_size(lg2) - 1)) == 0;
}

/// Sign-extend v from bit `top` (bit `top` is the sign bit).
constexpr uint64_t sign_extend(uint64_t v, unsigned top) {
  const unsigned sh = 63 - top;
  return static_cast<uint64_t>(static_cast<int64_t>(v << sh) >> sh);
}

}  // namespace isim
