// Shared fixtures for the page-table tests: a sparse simulated memory, an allocator for table
// pages, hand-written table helpers (so decode tests do not depend on the builder's encoder),
// and the format configurations every parameterised suite runs over.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "pagetable/builder.h"
#include "pagetable/page_table.h"
#include "pagetable/walker.h"

namespace isim::pt {
// Readable gtest output for the library's enums.
inline void PrintTo(FaultKind k, std::ostream* os) {
  *os << to_string(k);
}
inline void PrintTo(MapStatus s, std::ostream* os) {
  *os << to_string(s);
}
}  // namespace isim::pt

namespace isim::pt::test {

inline constexpr uint64_t kMemSize = uint64_t{1} << 40;    // 1 TiB, sparse
inline constexpr uint64_t kTableBase = uint64_t{1} << 32;  // table pages come from here
inline constexpr uint64_t kTableLimit = uint64_t{1} << 33;

struct Env {
  SparseMemory mem{kMemSize};
  PhysAllocator alloc{kTableBase, kTableLimit};

  /// A zeroed 4 KiB table page for hand-built tables.
  uint64_t page() {
    const uint64_t pa = *alloc.alloc(4096, 4096);
    for (uint64_t off = 0; off < 4096; off += 8) mem.write_le64(pa + off, 0);
    return pa;
  }
  void set(uint64_t table, uint64_t index, uint64_t entry) {
    mem.write_le64(table + index * 8, entry);
  }
  uint64_t get(uint64_t table, uint64_t index) { return *mem.read_le64(table + index * 8); }
};

/// Index of `va` at `level` for 9-bit-per-level, 4 KiB-granule formats, computed bit by bit
/// (an oracle independent of table_index()).
inline uint64_t idx9(uint64_t va, unsigned level) {
  uint64_t r = 0;
  for (unsigned b = 0; b < 9; ++b) {
    const unsigned src = 12 + 9 * level + b;
    if (src < 64 && ((va >> src) & 1)) r |= uint64_t{1} << b;
  }
  return r;
}

/// One named configuration for parameterised suites.
struct FmtCase {
  std::string name;
  FormatVariant fmt;
  BuilderOptions opts{};
};

inline std::vector<FmtCase> all_format_cases() {
  std::vector<FmtCase> v;
  for (unsigned levels : {4u, 5u}) {
    for (bool g1 : {false, true}) {
      X86Config c;
      c.levels = levels;
      c.page_1g = g1;
      v.push_back({"x86_" + std::to_string(levels) + "l" + (g1 ? "_1g" : "_no1g"), X86Format(c)});
    }
  }
  v.push_back({"amdv2_4l", X86Format(amd_v2_config(4))});
  for (unsigned levels : {3u, 4u, 5u}) {
    for (unsigned sp = 0; sp < 4; ++sp) {
      VtdSsConfig c;
      c.levels = levels;
      c.sp_2m = sp & 1;
      c.sp_1g = sp & 2;
      c.exec = levels == 4 && sp == 3;
      v.push_back(
          {"vtdss_" + std::to_string(levels) + "l_sp" + std::to_string(sp) + (c.exec ? "_x" : ""),
           VtdSsFormat(c)});
    }
  }
  for (unsigned mode = 1; mode <= 6; ++mode) {
    for (bool skip : {false, true}) {
      if (skip && mode < 3) continue;
      AmdV1Config c;
      c.mode = mode;
      BuilderOptions o;
      o.level_skip = skip;
      v.push_back({"amdv1_m" + std::to_string(mode) + (skip ? "_skip" : ""), AmdV1Format(c), o});
    }
  }
  return v;
}

inline void PrintTo(const FmtCase& c, std::ostream* os) {
  *os << c.name;
}

inline std::string case_name(const ::testing::TestParamInfo<FmtCase>& i) {
  return i.param.name;
}

}  // namespace isim::pt::test
