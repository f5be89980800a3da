// Test harness for the SMMUv3 translator: a sparse memory, an allocator, and helpers that
// write stream tables, L1 descriptors, CD tables and page tables with the production encoders
// (encode_ste / encode_cd) and pt::Builder.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/smmuv3/translator.h"
#include "pagetable/builder.h"

namespace isim::smmuv3::test {

using pt::ArmLpaeFormat;
using pt::Builder;
using pt::MapAttrs;
using pt::MapStatus;

inline constexpr uint64_t kMemBytes = uint64_t{1} << 36;

struct SmmuEnv {
  SparseMemory mem{kMemBytes};
  PhysAllocator alloc{uint64_t{1} << 20, uint64_t{1} << 34};
  IdParams caps;
  uint64_t strtab_base = 0;
  uint32_t strtab_cfg = 0;
  uint32_t cr0 = 1u << cr0::SMMUEN;
  uint32_t cr2 = 1u << cr2::RECINVSID;
  uint32_t gbpa = 0;

  uint64_t take(uint64_t size, uint64_t align) {
    auto a = alloc.alloc(size, align);
    EXPECT_TRUE(a.has_value());
    return a.value_or(0);
  }

  void linear_strtab(unsigned log2size) {
    strtab_base = take(uint64_t{kSteBytes} << log2size, uint64_t{kSteBytes} << log2size);
    strtab_cfg =
        static_cast<uint32_t>(set_bits(0, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO, log2size));
  }
  void two_level_strtab(unsigned log2size, unsigned split) {
    const uint64_t l1_bytes = uint64_t{8} << (log2size - split);
    strtab_base = take(l1_bytes, l1_bytes < 64 ? 64 : l1_bytes);
    uint64_t c = set_bits(0, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO, log2size);
    c = set_bits(c, strtab::SPLIT_HI, strtab::SPLIT_LO, split);
    c = set_bits(c, strtab::FMT_HI, strtab::FMT_LO, strtab::kFmt2Level);
    strtab_cfg = static_cast<uint32_t>(c);
  }
  /// Writes the L1STD for `sid` with `span` and a fresh level-2 array; returns its address.
  uint64_t set_l1(uint32_t sid, unsigned span) {
    const unsigned split =
        static_cast<unsigned>(bits(strtab_cfg, strtab::SPLIT_HI, strtab::SPLIT_LO));
    const uint64_t bytes = uint64_t{kSteBytes} << (span ? span - 1 : 0);
    const uint64_t l2 = take(bytes, bytes);
    mem.write_le64(strtab_base + ((uint64_t{sid} >> split) << 3), l2 | span);
    return l2;
  }
  uint64_t ste_addr(uint32_t sid) const {
    if (bits(strtab_cfg, strtab::FMT_HI, strtab::FMT_LO) == strtab::kFmtLinear) {
      return strtab_base + uint64_t{sid} * kSteBytes;
    }
    const unsigned split =
        static_cast<unsigned>(bits(strtab_cfg, strtab::SPLIT_HI, strtab::SPLIT_LO));
    uint64_t l1 = 0;
    const_cast<SparseMemory&>(mem).read(strtab_base + ((uint64_t{sid} >> split) << 3), &l1, 8);
    return (l1 & mask(55, 6)) + (uint64_t{sid} & (lg2_size(split) - 1)) * kSteBytes;
  }
  void write_ste(uint32_t sid, const Ste& s) { write_words(ste_addr(sid), encode_ste(s)); }
  void write_cd(uint64_t pa, const Cd& c) { write_words(pa, encode_cd(c)); }
  template <size_t N>
  void write_words(uint64_t pa, const std::array<uint64_t, N>& w) {
    ASSERT_TRUE(mem.write(pa, w.data(), N * 8));
  }

  SmmuState state() const {
    return SmmuState::from_regs(caps, cr0, cr2, gbpa, strtab_base, strtab_cfg);
  }
  TranslateResult go(const Request& r) { return translate(state(), mem, r); }
};

/// A valid stage-1 STE pointing at `cd_ptr`.
inline Ste s1_ste(uint64_t cd_ptr, unsigned s1cdmax = 0, S1Fmt fmt = S1Fmt::kLinear) {
  Ste s;
  s.v = true;
  s.config = static_cast<uint8_t>(SteConfig::kS1);
  s.s1_context_ptr = cd_ptr;
  s.s1cdmax = static_cast<uint8_t>(s1cdmax);
  s.s1fmt = static_cast<uint8_t>(fmt);
  s.s2vmid = 7;
  return s;
}

/// A valid CD for TTB0 with the given granule and T0SZ, faults recorded and aborting.
inline Cd s1_cd(uint64_t ttb0, unsigned granule_lg2, unsigned t0sz = 16, uint16_t asid = 0x42) {
  Cd c;
  c.v = true;
  c.aa64 = true;
  c.t0sz = static_cast<uint8_t>(t0sz);
  c.tg0 = static_cast<uint8_t>(tg0_encode(granule_lg2));
  c.epd1 = true;
  c.ips = 5;  // 48 bits
  c.r = true;
  c.a = true;
  c.asid = asid;
  c.ttb0 = ttb0;
  return c;
}

/// Adds stage-2 fields to `s` for the given geometry.
inline void add_s2(Ste& s, uint64_t s2ttb, unsigned granule_lg2, unsigned t0sz, unsigned sl0) {
  s.s2ttb = s2ttb;
  s.s2tg = static_cast<uint8_t>(tg0_encode(granule_lg2));
  s.s2t0sz = static_cast<uint8_t>(t0sz);
  s.s2sl0 = static_cast<uint8_t>(sl0);
  s.s2ps = 5;
  s.s2aa64 = true;
  s.s2r = true;
  s.s2vmid = 9;
}

}  // namespace isim::smmuv3::test
