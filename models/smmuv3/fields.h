// Multi-word little-endian structures (STE, CD, commands, event records) as arrays of 64-bit
// words, and bit fields addressed the way IHI 0070 draws them: word and bit range in the word
// (absolute bit = 64 * word + bit).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bits.h"

namespace isim::smmuv3 {

/// Field hi..lo (inclusive) of 64-bit word `word`.
struct WordField {
  uint8_t word;
  uint8_t hi;
  uint8_t lo;
};

template <std::size_t N>
constexpr uint64_t get(const std::array<uint64_t, N>& w, WordField f) {
  return bits(w[f.word], f.hi, f.lo);
}
template <std::size_t N>
constexpr bool get_bit(const std::array<uint64_t, N>& w, WordField f) {
  return get(w, f) != 0;
}
template <std::size_t N>
constexpr void put(std::array<uint64_t, N>& w, WordField f, uint64_t v) {
  w[f.word] = set_bits(w[f.word], f.hi, f.lo, v);
}
/// An address field kept in place: bits hi..lo of `addr` land in bits hi..lo of the word.
template <std::size_t N>
constexpr uint64_t get_addr(const std::array<uint64_t, N>& w, WordField f) {
  return w[f.word] & mask(f.hi, f.lo);
}
template <std::size_t N>
constexpr void put_addr(std::array<uint64_t, N>& w, WordField f, uint64_t addr) {
  w[f.word] = (w[f.word] & ~mask(f.hi, f.lo)) | (addr & mask(f.hi, f.lo));
}

/// IHI 0070 5.2 STE.S2TG / 5.4 CD.TG0: 00 4 KiB, 01 64 KiB, 10 16 KiB, 11 reserved (0).
constexpr unsigned tg0_granule_lg2(unsigned tg) {
  return tg == 0 ? 12 : tg == 1 ? 16 : tg == 2 ? 14 : 0;
}
constexpr unsigned tg0_encode(unsigned granule_lg2) {
  return granule_lg2 == 16 ? 1 : granule_lg2 == 14 ? 2 : 0;
}
/// IHI 0070 5.4 CD.TG1 (the TCR_EL1.TG1 encoding): 01 16 KiB, 10 4 KiB, 11 64 KiB, 00 reserved.
constexpr unsigned tg1_granule_lg2(unsigned tg) {
  return tg == 1 ? 14 : tg == 2 ? 12 : tg == 3 ? 16 : 0;
}
constexpr unsigned tg1_encode(unsigned granule_lg2) {
  return granule_lg2 == 14 ? 1 : granule_lg2 == 12 ? 2 : 3;
}

}  // namespace isim::smmuv3
