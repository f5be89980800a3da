// Arm VMSAv8-64 translation tables (Arm ARM DDI 0487 D8.2-D8.4), from hand-written descriptors:
// start levels from T0SZ and SL0 (with brute-force oracles and the spec's tables), concatenated
// stage-2 tables, every descriptor type per granule, RES0 bits, Address size, Access flag,
// stage-1 AP/UXN/PXN/WXN/PAN and hierarchical limits against Tables D8-64/D8-65, stage-2
// S2AP/XN(X) against Tables D8-76..D8-78, input ranges (TBI), bus errors, and the builder's
// encodings.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "base/bits.h"
#include "base/rng.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

using F = ArmLpaeFormat;
constexpr uint64_t kValid = 1, kTable = 3, kAF = 1ull << 10;

constexpr unsigned kGranules[] = {12, 14, 16};

uint64_t page_desc(uint64_t oa) {
  return oa | 3 | kAF;
}
uint64_t block_desc(uint64_t oa) {
  return oa | 1 | kAF;
}
uint64_t s1_ap(unsigned ap21) {
  return uint64_t{ap21} << 6;
}

/// Bit-by-bit index of `va` for a table at our `level` resolving `width` bits.
uint64_t arm_idx(uint64_t va, unsigned g, unsigned level, unsigned width) {
  uint64_t r = 0;
  for (unsigned b = 0; b < width; ++b) {
    const unsigned src = g + (g - 3) * level + b;
    if (src < 64 && ((va >> src) & 1)) r |= uint64_t{1} << b;
  }
  return r;
}

/// Hand-built tables for one configuration.
class ArmHand {
 public:
  explicit ArmHand(const ArmLpaeConfig& c) : f(c) {}

  unsigned g() const { return f.config().granule_lg2; }
  unsigned top() const { return f.top_level(); }
  /// Index bits of a table at `level`: the initial lookup resolves what is left of the IA.
  unsigned width(unsigned level) const {
    return level == top() ? f.ia_bits() - (g() + (g() - 3) * top()) : g() - 3;
  }
  uint64_t new_table(unsigned level) {
    const uint64_t size = uint64_t{8} << width(level);
    const uint64_t pa = *low.alloc(size, size < 64 ? 64 : size);
    for (uint64_t off = 0; off < size; off += 8) env.mem.write_le64(pa + off, 0);
    return pa;
  }
  /// Tables from the root down to `leaf_level` for `va`, linked by plain table descriptors.
  void chain(uint64_t va, unsigned leaf_level) {
    for (unsigned l = leaf_level; l <= top(); ++l) tbl[l] = new_table(l);
    for (unsigned l = top(); l > leaf_level; --l) set(l, va, tbl[l - 1] | kTable);
  }
  uint64_t slot(unsigned level, uint64_t va) const {
    return tbl[level] + arm_idx(va, g(), level, width(level)) * 8;
  }
  void set(unsigned level, uint64_t va, uint64_t v) { env.mem.write_le64(slot(level, va), v); }
  uint64_t get(unsigned level, uint64_t va) { return *env.mem.read_le64(slot(level, va)); }
  WalkResult go(uint64_t va, AccessReq req, WalkOptions o = {}) {
    return walk(f, env.mem, tbl[top()], va, req, o);
  }

  Env env;
  /// Tables below 4 GiB, so that they are reachable with a 32-bit output size.
  PhysAllocator low{uint64_t{1} << 28, uint64_t{1} << 30};
  ArmLpaeFormat f;
  uint64_t tbl[4] = {};
};

ArmLpaeConfig s1(unsigned g, unsigned tsz) {
  return arm_s1_config(g, tsz);
}
ArmLpaeConfig s2(unsigned g, unsigned tsz, unsigned sl0) {
  return arm_s2_config(g, tsz, sl0);
}

// ---- Start level and geometry -----------------------------------------------------------------

/// Stage-1 start level per granule and T0SZ, as the Arm ARM tabulates it (D8.2.8-D8.2.10,
/// with FEAT_TTST for T0SZ above 39).
int spec_s1_start(unsigned g, unsigned tsz) {
  if (g == 12) return tsz <= 24 ? 0 : tsz <= 33 ? 1 : tsz <= 42 ? 2 : 3;
  if (g == 14) return tsz <= 16 ? 0 : tsz <= 27 ? 1 : tsz <= 38 ? 2 : 3;
  return tsz <= 21 ? 1 : tsz <= 34 ? 2 : 3;
}

TEST(ArmGeometry, StageOneStartLevelMatchesTheSpecTableAndBruteForce) {
  for (unsigned g : kGranules) {
    const unsigned max_tsz = g == 16 ? 47 : 48;
    for (unsigned tsz = 16; tsz <= max_tsz; ++tsz) {
      ArmLpaeConfig c = s1(g, tsz);
      c.ttst = true;
      const F f(c);
      const unsigned ia = 64 - tsz;
      // Brute force: the fewest levels whose pages and tables cover the IA.
      unsigned n = 1;
      while (g + (g - 3) * n < ia) ++n;
      EXPECT_EQ(f.start_level(), 4 - static_cast<int>(n)) << g << " " << tsz;
      EXPECT_EQ(f.start_level(), spec_s1_start(g, tsz)) << g << " " << tsz;
      EXPECT_EQ(arm_s1_start_level(g, ia), spec_s1_start(g, tsz));
      EXPECT_EQ(f.top_level(), n - 1);
      const unsigned top_bits = ia - (g + (g - 3) * (n - 1));
      EXPECT_EQ(f.num_items_lg2(f.top_level()), top_bits);
      EXPECT_GE(top_bits, 1u);
      EXPECT_LE(top_bits, g - 3);
      EXPECT_EQ(va_lg2(f), ia);
      EXPECT_EQ(f.concatenated_tables(), 1u);
      for (unsigned l = 0; l < n; ++l) EXPECT_EQ(f.item_lg2sz(l), g + (g - 3) * l);
    }
  }
}

TEST(ArmGeometry, TableIndexMatchesBitByBitExtraction) {
  Rng rng(11, "arm-index");
  for (unsigned g : kGranules) {
    for (unsigned tsz = 16; tsz <= 39; ++tsz) {
      const F f(s1(g, tsz));
      for (int i = 0; i < 64; ++i) {
        const uint64_t va = rng.next() & mask(63 - tsz, 0);
        for (unsigned l = 0; l <= f.top_level(); ++l) {
          const unsigned w = l == f.top_level() ? (64 - tsz) - f.item_lg2sz(l) : g - 3;
          ASSERT_EQ(table_index(f, va, l), arm_idx(va, g, l, w)) << g << " " << tsz << " " << l;
        }
      }
    }
  }
}

/// SL0 decoding as the VTCR_EL2.SL0 field description lists it (DS = 0), with the PAMax
/// conditions of AArch64.S2InvalidSL.
std::optional<int> spec_sl0(unsigned g, unsigned sl0, bool ttst, unsigned pamax) {
  static const std::map<std::pair<unsigned, unsigned>, int> table = {
      {{12, 0}, 2}, {{12, 1}, 1}, {{12, 2}, 0}, {{12, 3}, 3},  //
      {{14, 0}, 3}, {{14, 1}, 2}, {{14, 2}, 1},                //
      {{16, 0}, 3}, {{16, 1}, 2}, {{16, 2}, 1}};
  const auto it = table.find({g, sl0});
  if (it == table.end()) return std::nullopt;
  if (g == 12 && sl0 == 3 && !ttst) return std::nullopt;
  if (sl0 == 2 && pamax < (g == 14 ? 42u : 44u)) return std::nullopt;
  return it->second;
}

TEST(ArmGeometry, StageTwoSl0AndT0szBruteForce) {
  for (unsigned g : kGranules) {
    const unsigned stride = g - 3;
    for (bool ttst : {false, true}) {
      const unsigned max_tsz = !ttst ? 39 : g == 16 ? 47 : 48;
      for (unsigned pamax : {40u, 42u, 44u, 48u}) {
        for (unsigned sl0 = 0; sl0 < 4; ++sl0) {
          for (unsigned tsz = 16; tsz <= max_tsz; ++tsz) {
            ArmLpaeConfig c = s2(g, tsz, sl0);
            c.ttst = ttst;
            c.pa_max_bits = pamax;
            const F f(c);
            const unsigned ia = 64 - tsz;
            const std::optional<int> sl = spec_sl0(g, sl0, ttst, pamax);
            // Brute force: some table count 1, 2, 4, 8, 16 at the start level resolves exactly
            // the IA bits left above that level (at least 1 entry bit for a single table, a
            // full table per concatenated one).
            unsigned tables = 0;
            if (sl) {
              const unsigned below = g + stride * static_cast<unsigned>(3 - *sl);
              for (unsigned k = 1; k <= stride && !tables; ++k) {
                if (below + k == ia) tables = 1;
              }
              for (unsigned c2 = 1; c2 <= 4 && !tables; ++c2) {
                if (below + stride + c2 == ia) tables = 1u << c2;
              }
            }
            SCOPED_TRACE(::testing::Message() << "g " << g << " ttst " << ttst << " pamax " << pamax
                                              << " sl0 " << sl0 << " tsz " << tsz);
            ASSERT_EQ(f.walkable(), tables != 0);
            if (tables) {
              EXPECT_EQ(f.start_level(), *sl);
              EXPECT_EQ(f.concatenated_tables(), tables);
              EXPECT_EQ(va_lg2(f), ia);
              EXPECT_EQ(arm_s2_sl0_encode(g, *sl), sl0);
            }
            EXPECT_EQ(arm_s2_sl0_level(g, sl0, ttst, pamax), sl);
          }
        }
      }
    }
  }
}

TEST(ArmGeometry, StageTwoConcatenationRowsFromTheSpec) {
  // Rows of the permitted-T0SZ table (D8.2.2 with D8.2.8-D8.2.10): {granule, start level, T0SZ,
  // tables}; DS-only rows are not modelled.
  struct Row {
    unsigned g;
    int level;
    unsigned tsz;
    unsigned tables;
  };
  const Row rows[] = {
      {12, 0, 16, 1}, {12, 0, 24, 1},  {12, 1, 25, 1},  {12, 1, 33, 1},  {12, 1, 24, 2},
      {12, 1, 23, 4}, {12, 1, 22, 8},  {12, 1, 21, 16}, {12, 2, 34, 1},  {12, 2, 39, 1},
      {12, 2, 33, 2}, {12, 2, 30, 16}, {14, 1, 17, 1},  {14, 1, 27, 1},  {14, 1, 16, 2},
      {14, 2, 28, 1}, {14, 2, 38, 1},  {14, 2, 27, 2},  {14, 2, 24, 16}, {14, 3, 39, 1},
      {14, 3, 38, 2}, {14, 3, 35, 16}, {16, 1, 16, 1},  {16, 1, 21, 1},  {16, 2, 22, 1},
      {16, 2, 34, 1}, {16, 2, 21, 2},  {16, 2, 18, 16}, {16, 3, 35, 1},  {16, 3, 39, 1},
      {16, 3, 34, 2}, {16, 3, 31, 16},
  };
  for (const Row& r : rows) {
    const F f(s2(r.g, r.tsz, *arm_s2_sl0_encode(r.g, r.level)));
    ASSERT_TRUE(f.walkable()) << r.g << " " << r.level << " " << r.tsz;
    EXPECT_EQ(f.start_level(), r.level);
    EXPECT_EQ(f.concatenated_tables(), r.tables) << r.g << " " << r.level << " " << r.tsz;
    // The initial lookup occupies 8 bytes per entry: one full table per concatenated table.
    const unsigned below = r.g + (r.g - 3) * static_cast<unsigned>(3 - r.level);
    const uint64_t bytes = uint64_t{8} << (64 - r.tsz - below);
    EXPECT_EQ(lg2_size(table_size_lg2(f, f.top_level())), bytes);
    if (r.tables > 1) {
      EXPECT_EQ(bytes, uint64_t{r.tables} << r.g);
    }
  }
  // R DXBSH: a 48-bit 16 KiB stage 2 starts at level 1 with two tables.
  EXPECT_EQ(F(s2(14, 16, 2)).concatenated_tables(), 2u);
}

TEST(ArmGeometry, InconsistentOrInvalidSl0FaultsEveryWalkAtTheStart) {
  struct Bad {
    unsigned g, tsz, sl0, pamax;
    bool ttst;
  };
  const Bad bad[] = {
      {12, 24, 0, 48, false},  // level 2 start for a 40-bit IPA: 19 bits at the start
      {12, 25, 2, 48, false},  // level 0 start for a 39-bit IPA: nothing left for level 0
      {12, 16, 2, 40, false},  // level 0 start needs PAMax >= 44
      {12, 39, 3, 48, false},  // level 3 start needs FEAT_TTST
      {14, 20, 3, 48, false},  // 16 KiB level 0 needs DS
      {14, 20, 2, 40, false},  // 16 KiB level 1 needs PAMax >= 42
      {16, 20, 3, 48, false},  // reserved
      {16, 36, 1, 48, false},  // level 2 for a 28-bit IPA
  };
  for (const Bad& b : bad) {
    ArmLpaeConfig c = s2(b.g, b.tsz, b.sl0);
    c.pa_max_bits = b.pamax;
    c.ttst = b.ttst;
    const F f(c);
    ASSERT_FALSE(f.walkable()) << b.g << " " << b.tsz << " " << b.sl0;
    Env env;
    auto bld = Builder<F>::create(f, env.mem, env.alloc);
    ASSERT_TRUE(bld);
    EXPECT_EQ(bld->map(0, 0, lg2_size(b.g), MapAttrs::rw()), MapStatus::VaOutOfRange);
    WalkOptions o;
    o.stage = 2;
    const WalkResult r = walk(f, env.mem, bld->root(), 0, AccessReq::r(), o);
    EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
    EXPECT_EQ(r.fault.stage, 2);
    EXPECT_EQ(r.fault.entry_pa, 0u);
    EXPECT_TRUE(r.log.reads.empty());
  }
  // The same fields with TTST are fine.
  ArmLpaeConfig ok = s2(12, 43, 3);
  ok.ttst = true;
  EXPECT_TRUE(F(ok).walkable());
  EXPECT_EQ(F(ok).start_level(), 3);
}

TEST(ArmGeometry, ConfigValidation) {
  EXPECT_TRUE(s1(12, 16).validate().empty());
  EXPECT_FALSE(s1(13, 16).validate().empty());  // no such granule
  EXPECT_FALSE(s1(12, 15).validate().empty());  // 49-bit VA needs FEAT_LVA
  EXPECT_FALSE(s1(12, 40).validate().empty());  // above 39 needs FEAT_TTST
  ArmLpaeConfig t = s1(16, 47);
  t.ttst = true;
  EXPECT_TRUE(t.validate().empty());
  t.tsz = 48;  // 64 KiB stops at 47
  EXPECT_FALSE(t.validate().empty());
  t = s1(12, 48);
  t.ttst = true;
  EXPECT_TRUE(t.validate().empty());
  EXPECT_FALSE(arm_s1_config(12, 16, 52).validate().empty());  // 52-bit OA not modelled
  EXPECT_FALSE(arm_s1_config(12, 16, 38).validate().empty());
  EXPECT_FALSE(s2(12, 16, 4).validate().empty());
  ArmLpaeConfig x = s2(12, 24, 1);
  x.tbi = true;
  EXPECT_FALSE(x.validate().empty());
  x = s1(12, 16);
  x.xnx = true;
  EXPECT_FALSE(x.validate().empty());
  EXPECT_THROW(F{s1(12, 10)}, std::invalid_argument);
  std::string why;
  EXPECT_FALSE(F::create(s1(12, 10), &why));
  EXPECT_FALSE(why.empty());
  EXPECT_TRUE(F::create(s2(12, 24, 1)));
}

TEST(ArmGeometry, ConcatenatedRootIsAlignedAndIndexedAcrossTables) {
  for (unsigned c = 1; c <= 4; ++c) {
    const unsigned tables = 1u << c;
    const F f(s2(12, 25 - c, 1));  // 4 KiB, start at level 1 with `tables` tables
    ASSERT_EQ(f.concatenated_tables(), tables);
    Env env;
    auto b = Builder<F>::create(f, env.mem, env.alloc);
    ASSERT_TRUE(b);
    const uint64_t bytes = uint64_t{tables} << 12;
    EXPECT_EQ(b->root() % bytes, 0u) << tables;
    // The last 1 GiB slot of the last table, and a 4 KiB page in the last table's first slot.
    const uint64_t top_ipa = lg2_size(39 + c) - lg2_size(30);
    ASSERT_EQ(b->map(top_ipa, 0x40000000, lg2_size(30), MapAttrs::rw()), MapStatus::Ok);
    WalkResult r = walk(f, env.mem, b->root(), top_ipa + 0x1234, AccessReq::r());
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.tr.page_lg2, 30);
    ASSERT_EQ(r.log.reads.size(), 1u);
    EXPECT_EQ(r.log.reads[0].pa, b->root() + bytes - 8);
    EXPECT_EQ(r.tr.oa, 0x40001234u);
    const uint64_t ipa = lg2_size(39) * (tables - 1) + 0x5000;
    ASSERT_EQ(b->map(ipa, 0x9000, 4096, MapAttrs::rw()), MapStatus::Ok);
    r = walk(f, env.mem, b->root(), ipa, AccessReq::w());
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.log.reads.size(), 3u);
    EXPECT_EQ(r.log.reads[0].pa, b->root() + (tables - 1) * 4096);
  }
}

TEST(ArmGeometry, SmallInitialTablesAreAlignedToAtLeast64Bytes) {
  // 4 KiB, T0SZ 36: a 28-bit VA starts at level 2 with 128 entries (1 KiB).
  F f(s1(12, 36));
  EXPECT_EQ(f.start_level(), 2);
  EXPECT_EQ(table_size_lg2(f, f.top_level()), 10u);
  EXPECT_EQ(table_align_lg2(f, f.top_level()), 10u);
  // 16 KiB, T0SZ 16: level 0 has two entries (16 bytes), aligned to 64 bytes (D8.2.5.2).
  f = F(s1(14, 16));
  EXPECT_EQ(f.start_level(), 0);
  EXPECT_EQ(table_size_lg2(f, f.top_level()), 4u);
  EXPECT_EQ(table_align_lg2(f, f.top_level()), 6u);
  Env env;
  auto b = Builder<F>::create(f, env.mem, env.alloc);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->root() % 64, 0u);
  const uint64_t va = (1ull << 47) | 0x123456000ull;
  ASSERT_EQ(b->map(align_down(va, 14), 0x8000, 1 << 14, MapAttrs::rw()), MapStatus::Ok);
  const WalkResult r = walk(f, env.mem, b->root(), va, AccessReq::r());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.log.reads.size(), 4u);
  EXPECT_EQ(r.log.reads[0].pa, b->root() + 8);  // VA[47] indexes the two-entry table
}

// ---- Descriptors --------------------------------------------------------------------------------

/// A walkable 48-bit configuration for each granule and stage.
ArmLpaeConfig cfg48(unsigned g, unsigned stage) {
  if (stage == 1) return s1(g, 16);
  return s2(g, 16, 2);  // 4 KiB: level 0; 16/64 KiB: level 1 (16 KiB with two tables)
}
/// Leaf bits granting read and write at this stage (stage 1 AP = 00 already does).
uint64_t rw_bits(unsigned stage) {
  return stage == 1 ? 0 : (F::kS2APR | F::kS2APW);
}
bool spec_block_allowed(unsigned g, unsigned level) {
  // Table D8-52/53 (no DS/LPA): 4 KiB level 1 and 2 blocks; 16/64 KiB level 2 blocks.
  const int spec = 3 - static_cast<int>(level);
  return g == 12 ? (spec == 1 || spec == 2) : spec == 2;
}
uint64_t leaf_at(unsigned level, uint64_t oa) {
  return level == 0 ? page_desc(oa) : block_desc(oa);
}

constexpr uint64_t kVa48 = 0x0000a5a5c3c30000ull;

TEST(ArmDescriptors, PageWalkEveryGranuleAndStage) {
  for (unsigned g : kGranules) {
    for (unsigned stage : {1u, 2u}) {
      ArmHand h(cfg48(g, stage));
      const uint64_t va = kVa48 | 0x678;
      h.chain(va, 0);
      const uint64_t oa = 0x0000123456780000ull & mask(47, g);
      h.set(0, va, page_desc(oa) | rw_bits(stage));
      WalkOptions o;
      o.stage = static_cast<uint8_t>(stage);
      const WalkResult r = h.go(va, AccessReq::rw(true), o);
      ASSERT_TRUE(r.ok()) << g << " " << stage << " " << to_string(r.fault.kind);
      EXPECT_EQ(r.tr.oa, oa | (va & mask(g - 1, 0)));
      EXPECT_EQ(r.tr.page_lg2, g);
      EXPECT_EQ(r.tr.level, 0);
      ASSERT_EQ(r.log.reads.size(), h.top() + 1);
      for (unsigned i = 0; i <= h.top(); ++i) {
        EXPECT_EQ(r.log.reads[i].pa, h.slot(h.top() - i, va)) << g << " " << i;
        EXPECT_EQ(r.log.reads[i].level, h.top() - i);
        EXPECT_EQ(r.log.reads[i].stage, stage);
      }
    }
  }
}

TEST(ArmDescriptors, BlocksOnlyWhereTheGranuleAllowsThem) {
  for (unsigned g : kGranules) {
    for (unsigned stage : {1u, 2u}) {
      const unsigned top = F(cfg48(g, stage)).top_level();
      for (unsigned level = 1; level <= top; ++level) {
        ArmHand h(cfg48(g, stage));
        const unsigned size = g + (g - 3) * level;
        const uint64_t va = kVa48 | 0x9a8;
        h.chain(va, level);
        const uint64_t base = lg2_size(size) * 3;
        h.set(level, va, block_desc(base) | rw_bits(stage));
        const WalkResult r = h.go(va, AccessReq::r(true));
        SCOPED_TRACE(::testing::Message() << "g " << g << " stage " << stage << " level " << level);
        if (spec_block_allowed(g, level)) {
          ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
          EXPECT_EQ(r.tr.page_lg2, size);
          EXPECT_EQ(r.tr.oa, base + (va & mask(size - 1, 0)));
          EXPECT_EQ(r.log.reads.size(), top - level + 1);
          EXPECT_TRUE(h.f.can_have_leaf(level));
        } else {
          EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
          EXPECT_EQ(r.fault.level, level);
          EXPECT_FALSE(h.f.can_have_leaf(level));
        }
      }
    }
  }
}

TEST(ArmDescriptors, InvalidAndReservedLevelThreeEncodingsAreTranslationFaults) {
  for (unsigned g : kGranules) {
    ArmHand h(cfg48(g, 1));
    h.chain(kVa48, 0);
    h.set(0, kVa48, (0x5ull << g) | 1 | kAF);  // bit 1 = 0 at level 3: reserved, invalid
    WalkResult r = h.go(kVa48, AccessReq::r(true));
    EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
    EXPECT_EQ(r.fault.level, 0);
    EXPECT_EQ(r.fault.entry_pa, h.slot(0, kVa48));
    for (unsigned level = 0; level <= F(cfg48(g, 2)).top_level(); ++level) {
      ArmHand k(cfg48(g, 2));
      k.chain(kVa48, 0);
      k.set(0, kVa48, page_desc(0x10000) | rw_bits(2));
      k.set(level, kVa48, k.get(level, kVa48) & ~kValid);  // every other bit kept
      r = k.go(kVa48, AccessReq::r(true));
      EXPECT_EQ(r.fault.kind, FaultKind::NotPresent) << g << " " << level;
      EXPECT_EQ(r.fault.level, level);
    }
  }
}

std::set<unsigned> range(unsigned lo, unsigned hi) {
  std::set<unsigned> s;
  for (unsigned b = lo; b <= hi; ++b) s.insert(b);
  return s;
}
std::set<unsigned> operator+(std::set<unsigned> a, const std::set<unsigned>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

/// RES0 bits from Tables D8-50..D8-53 for a 48-bit OA in non-secure state.
std::set<unsigned> spec_table_res0(unsigned g, unsigned stage) {
  std::set<unsigned> s = {48, 49, 50};
  if (g > 12) s = s + range(12, g - 1);
  return s + (stage == 1 ? std::set<unsigned>{63} : range(59, 63));
}
std::set<unsigned> spec_leaf_res0(unsigned g, unsigned stage, unsigned level) {
  std::set<unsigned> s = {48, 49};
  const unsigned size = g + (g - 3) * level;
  if (size > 12) s = s + range(12, size - 1);
  if (stage == 1) return s + std::set<unsigned>{5};
  return s + std::set<unsigned>{50, 53, 63};  // 53 without FEAT_XNX
}
/// Bits the walk ignores (attributes, software, hints) that leave a privileged read alone.
std::set<unsigned> spec_table_ignored() {
  return range(2, 11) + range(51, 58);
}
std::set<unsigned> spec_leaf_ignored(unsigned stage) {
  if (stage == 1) {
    return range(2, 4) + range(8, 9) + std::set<unsigned>{11} + range(50, 52) + range(55, 63);
  }
  return range(2, 5) + range(8, 9) + range(51, 52) + range(55, 62);
}

TEST(ArmDescriptors, Res0BitsFaultUnlessToleratedAndIgnoredBitsDoNot) {
  for (unsigned g : kGranules) {
    for (unsigned stage : {1u, 2u}) {
      for (bool strict : {true, false}) {
        ArmLpaeConfig c = cfg48(g, stage);
        c.strict_res0 = strict;
        const unsigned top = F(c).top_level();
        for (unsigned level = 0; level <= top; ++level) {
          if (level > 0 && !spec_block_allowed(g, level)) continue;
          const unsigned size = g + (g - 3) * level;
          const uint64_t want_oa = lg2_size(size) + (kVa48 & mask(size - 1, 0));
          for (unsigned b : spec_leaf_res0(g, stage, level)) {
            ArmHand h(c);
            h.chain(kVa48, level);
            h.set(level, kVa48, leaf_at(level, lg2_size(size)) | rw_bits(stage) | (1ull << b));
            const WalkResult r = h.go(kVa48, AccessReq::r(true));
            SCOPED_TRACE(::testing::Message()
                         << "g " << g << " stage " << stage << " level " << level << " bit " << b);
            if (strict) {
              EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit);
              EXPECT_EQ(r.fault.level, level);
            } else {
              ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
              EXPECT_EQ(r.tr.oa, want_oa);
            }
          }
          for (unsigned b : spec_leaf_ignored(stage)) {
            ArmHand h(c);
            h.chain(kVa48, level);
            h.set(level, kVa48, leaf_at(level, lg2_size(size)) | rw_bits(stage) | (1ull << b));
            const WalkResult r = h.go(kVa48, AccessReq::r(true));
            ASSERT_TRUE(r.ok()) << g << " " << stage << " level " << level << " bit " << b;
            EXPECT_EQ(r.tr.oa, want_oa);
          }
        }
        for (unsigned level = 1; level <= top; ++level) {
          for (unsigned b : spec_table_res0(g, stage)) {
            ArmHand h(c);
            h.chain(kVa48, 0);
            h.set(0, kVa48, page_desc(0x40000) | rw_bits(stage));
            h.set(level, kVa48, h.get(level, kVa48) | (1ull << b));
            const WalkResult r = h.go(kVa48, AccessReq::r(true));
            if (strict) {
              EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit)
                  << g << " table " << level << " " << b;
              EXPECT_EQ(r.fault.level, level);
            } else {
              EXPECT_TRUE(r.ok()) << g << " table " << level << " bit " << b;
            }
          }
          for (unsigned b : spec_table_ignored()) {
            ArmHand h(c);
            h.chain(kVa48, 0);
            h.set(0, kVa48, page_desc(0x40000) | rw_bits(stage));
            h.set(level, kVa48, h.get(level, kVa48) | (1ull << b));
            const WalkResult r = h.go(kVa48, AccessReq::rw(true));
            EXPECT_TRUE(r.ok()) << g << " table " << level << " ignored bit " << b;
            EXPECT_EQ(r.log.reads.size(), top + 1);
          }
        }
      }
    }
  }
}

TEST(ArmDescriptors, XnxMakesStageTwoBit53AnExecuteControl) {
  ArmLpaeConfig c = cfg48(12, 2);
  c.xnx = true;
  ArmHand h(c);
  h.chain(kVa48, 0);
  h.set(0, kVa48, page_desc(0x7000) | rw_bits(2) | F::kPXN);
  const WalkResult r = h.go(kVa48, AccessReq::r());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.tr.perms.any(Perms::kPrivExec));
  EXPECT_TRUE(r.tr.perms.any(Perms::kUserExec));
}

TEST(ArmDescriptors, OutputAndTableAddressesAboveTheOutputSize) {
  for (unsigned oas : {32u, 36u, 40u, 42u, 44u}) {
    for (unsigned g : kGranules) {
      ArmHand h(arm_s1_config(g, 16, oas));
      EXPECT_EQ(h.f.oa_lg2(), oas);
      h.chain(kVa48, 0);
      h.set(0, kVa48, page_desc(lg2_size(oas) - lg2_size(g)));
      EXPECT_TRUE(h.go(kVa48, AccessReq::r(true)).ok()) << oas << " " << g;
      h.set(0, kVa48, page_desc(lg2_size(oas)));
      WalkResult r = h.go(kVa48, AccessReq::r(true));
      EXPECT_EQ(r.fault.kind, FaultKind::AddressSize) << oas << " " << g;
      EXPECT_EQ(r.fault.level, 0);
      h.set(0, kVa48, page_desc(1ull << 47));
      EXPECT_EQ(h.go(kVa48, AccessReq::r(true)).fault.kind, FaultKind::AddressSize);
      // A next-level table address above the output size: reported at the table's level.
      const unsigned lvl = h.top();
      h.set(lvl, kVa48, lg2_size(oas) | kTable);
      r = h.go(kVa48, AccessReq::r(true));
      EXPECT_EQ(r.fault.kind, FaultKind::AddressSize);
      EXPECT_EQ(r.fault.level, lvl);
      EXPECT_EQ(r.log.reads.size(), 1u);
      // The table base register (D8.2.3): the model reports it at level 0.
      EXPECT_EQ(h.f.check_root(lg2_size(oas)), FaultKind::AddressSize);
      EXPECT_EQ(h.f.check_root(lg2_size(oas) - lg2_size(g)), FaultKind::None);
    }
    ArmHand b(arm_s1_config(12, 16, oas));
    b.chain(kVa48, 1);
    b.set(1, kVa48, block_desc(lg2_size(oas)));
    EXPECT_EQ(b.go(kVa48, AccessReq::r(true)).fault.kind, FaultKind::AddressSize);
    b.set(1, kVa48, block_desc(lg2_size(oas) - lg2_size(21)));
    EXPECT_TRUE(b.go(kVa48, AccessReq::r(true)).ok());
  }
  // The effective size is the smaller of IPS/S2PS and PAMax.
  ArmLpaeConfig c = arm_s2_config(12, 24, 1, 48);
  c.pa_max_bits = 40;
  EXPECT_EQ(F(c).oa_lg2(), 40u);
  c = arm_s2_config(12, 24, 1, 36);
  EXPECT_EQ(F(c).oa_lg2(), 36u);
}

TEST(ArmDescriptors, FaultPrecedence) {
  ArmHand h(arm_s1_config(12, 16, 40));
  h.chain(kVa48, 0);
  // RES0 before the address size; the address size before the Access flag; the Access flag
  // before the permission check.
  h.set(0, kVa48, page_desc(1ull << 44) | (1ull << 48));
  EXPECT_EQ(h.go(kVa48, AccessReq::r(true)).fault.kind, FaultKind::ReservedBit);
  h.set(0, kVa48, page_desc(1ull << 44) & ~kAF);
  EXPECT_EQ(h.go(kVa48, AccessReq::r(true)).fault.kind, FaultKind::AddressSize);
  h.set(0, kVa48, (page_desc(0x5000) | s1_ap(2)) & ~kAF);  // read-only, AF = 0
  EXPECT_EQ(h.go(kVa48, AccessReq::w(true)).fault.kind, FaultKind::AccessFlag);
}

TEST(ArmDescriptors, AccessFlag) {
  for (unsigned stage : {1u, 2u}) {
    for (unsigned level : {0u, 1u}) {
      const uint64_t leaf = leaf_at(level, level == 0 ? 0x5000 : 0x400000) & ~kAF;
      ArmHand h(cfg48(12, stage));
      h.chain(kVa48, level);
      h.set(level, kVa48, leaf | rw_bits(stage));
      WalkResult r = h.go(kVa48, AccessReq::r(true));
      EXPECT_EQ(r.fault.kind, FaultKind::AccessFlag) << stage << " " << level;
      EXPECT_EQ(r.fault.level, level);
      EXPECT_EQ(r.fault.entry, leaf | rw_bits(stage));

      WalkOptions upd;
      upd.update_ad = true;
      ArmLpaeConfig affd = cfg48(12, stage);
      affd.affd = true;
      ArmHand a(affd);
      a.chain(kVa48, level);
      a.set(level, kVa48, leaf | rw_bits(stage));
      r = a.go(kVa48, AccessReq::r(true), upd);
      EXPECT_TRUE(r.ok());
      EXPECT_TRUE(r.log.writes.empty());  // AFFD: no fault and no update
      EXPECT_FALSE(a.get(level, kVa48) & kAF);

      ArmLpaeConfig ha = cfg48(12, stage);
      ha.hw_af = true;
      ArmHand u(ha);
      u.chain(kVa48, level);
      u.set(level, kVa48, leaf | rw_bits(stage));
      r = u.go(kVa48, AccessReq::r(true));
      EXPECT_TRUE(r.ok());
      EXPECT_FALSE(u.get(level, kVa48) & kAF);  // not asked to update
      r = u.go(kVa48, AccessReq::r(true), upd);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r.log.writes.size(), 1u);  // the leaf only (no table-descriptor AF)
      EXPECT_EQ(r.log.writes[0].pa, u.slot(level, kVa48));
      EXPECT_TRUE(u.get(level, kVa48) & kAF);
      EXPECT_EQ(r.tr.leaf & kAF, 0u);  // the value as read
    }
  }
}

TEST(ArmDescriptors, BusErrors) {
  ArmHand h(cfg48(12, 1));
  h.chain(kVa48, 0);
  h.set(0, kVa48, page_desc(0x5000));
  h.set(2, kVa48, kMemSize | kTable);  // a table beyond simulated memory
  WalkResult r = h.go(kVa48, AccessReq::r(true));
  EXPECT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 1);
  ASSERT_EQ(r.log.reads.size(), 3u);
  EXPECT_FALSE(r.log.reads[2].ok);
  r = walk(h.f, h.env.mem, kMemSize, kVa48, AccessReq::r(true));
  EXPECT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 3);
}

TEST(ArmDescriptors, InputRangeAndTopByteIgnore) {
  for (unsigned g : kGranules) {
    for (unsigned tsz : {16u, 25u, 33u, 39u}) {
      ArmHand h(s1(g, tsz));
      const unsigned ia = 64 - tsz;
      const uint64_t va = lg2_size(ia) - lg2_size(g);  // the last page
      h.chain(va, 0);
      h.set(0, va, page_desc(0x30000));
      ASSERT_TRUE(h.go(va, AccessReq::r(true)).ok()) << g << " " << tsz;
      for (unsigned b = ia; b < 64; ++b) {
        const WalkResult r = h.go(va | (1ull << b), AccessReq::r(true));
        ASSERT_EQ(r.fault.kind, FaultKind::NotPresent) << g << " " << tsz << " " << b;
        EXPECT_EQ(r.fault.level, h.top());
        EXPECT_TRUE(r.log.reads.empty());
        EXPECT_EQ(r.fault.entry_pa, 0u);
      }
      // TBI: bits 63:56 are neither checked nor translated; bit 55 still is.
      ArmLpaeConfig t = s1(g, tsz);
      t.tbi = true;
      h.f = F(t);
      const WalkResult r = h.go(va | (0xa5ull << 56), AccessReq::r(true));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.tr.oa, 0x30000u);
      EXPECT_EQ(h.go(va | (1ull << 55), AccessReq::r(true)).fault.kind, FaultKind::NotPresent);
    }
  }
  ArmHand h(s2(12, 24, 1));  // stage 2: IPA bits above the IA
  h.chain(0x1000, 0);
  h.set(0, 0x1000, page_desc(0x5000) | rw_bits(2));
  EXPECT_TRUE(h.go(0x1000, AccessReq::r()).ok());
  EXPECT_EQ(h.go(0x1000 | (1ull << 40), AccessReq::r()).fault.kind, FaultKind::NotPresent);
}

TEST(ArmDescriptors, ContiguousBitIsOnlyAHint) {
  for (unsigned g : kGranules) {
    ArmHand h(cfg48(g, 1));
    h.chain(kVa48, 0);
    h.set(0, kVa48, page_desc(0x70000 & mask(47, g)));
    const WalkResult a = h.go(kVa48 | 0x10, AccessReq::r(true));
    h.set(0, kVa48, page_desc(0x70000 & mask(47, g)) | F::kContiguous);
    const WalkResult b = h.go(kVa48 | 0x10, AccessReq::r(true));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a.tr.oa, b.tr.oa);
    EXPECT_EQ(a.tr.page_lg2, b.tr.page_lg2);  // not widened to the contiguous range
  }
}

// ---- Permissions --------------------------------------------------------------------------------

/// "PR PW PX UR UW UX" -> Perms.
Perms parse_perms(const std::string& s) {
  std::istringstream in(s);
  std::string t;
  uint8_t b = 0;
  static const std::map<std::string, uint8_t> names = {
      {"PR", Perms::kPrivRead}, {"PW", Perms::kPrivWrite}, {"PX", Perms::kPrivExec},
      {"UR", Perms::kUserRead}, {"UW", Perms::kUserWrite}, {"UX", Perms::kUserExec}};
  while (in >> t) b |= names.at(t);
  return Perms(b);
}

/// Table D8-65 (two privilege levels): {UXN, PXN, AP[2:1], WXN (-1 = either), permissions}.
struct D865 {
  int uxn, pxn, ap, wxn;
  const char* perms;
};
constexpr D865 kTableD865[] = {
    {0, 0, 0, 0, "PR PW PX UX"}, {0, 0, 0, 1, "PR PW UX"},       {0, 0, 1, 0, "PR PW UR UW UX"},
    {0, 0, 1, 1, "PR PW UR UW"}, {0, 0, 2, -1, "PR PX UX"},      {0, 0, 3, -1, "PR PX UR UX"},
    {0, 1, 0, -1, "PR PW UX"},   {0, 1, 1, 0, "PR PW UR UW UX"}, {0, 1, 1, 1, "PR PW UR UW"},
    {0, 1, 2, -1, "PR UX"},      {0, 1, 3, -1, "PR UR UX"},      {1, 0, 0, 0, "PR PW PX"},
    {1, 0, 0, 1, "PR PW"},       {1, 0, 1, -1, "PR PW UR UW"},   {1, 0, 2, -1, "PR PX"},
    {1, 0, 3, -1, "PR PX UR"},   {1, 1, 0, -1, "PR PW"},         {1, 1, 1, -1, "PR PW UR UW"},
    {1, 1, 2, -1, "PR"},         {1, 1, 3, -1, "PR UR"},
};
Perms spec_s1_perms(unsigned uxn, unsigned pxn, unsigned ap, bool wxn) {
  for (const D865& r : kTableD865) {
    if (r.uxn == int(uxn) && r.pxn == int(pxn) && r.ap == int(ap) &&
        (r.wxn < 0 || r.wxn == int(wxn))) {
      return parse_perms(r.perms);
    }
  }
  ADD_FAILURE() << "no row";
  return Perms();
}

const AccessReq kSingleRights[] = {AccessReq::r(true),  AccessReq::w(true),  AccessReq::x(true),
                                   AccessReq::r(false), AccessReq::w(false), AccessReq::x(false)};

void expect_rights(ArmHand& h, uint64_t va, Perms want, const std::string& what) {
  const WalkResult r = h.go(va, AccessReq{});  // no rights asked: reports the rights
  ASSERT_TRUE(r.ok()) << what;
  EXPECT_EQ(r.tr.perms, want) << what << " got " << int(r.tr.perms.bits()) << " want "
                              << int(want.bits());
  for (const AccessReq& q : kSingleRights) {
    const WalkResult t = h.go(va, q);
    EXPECT_EQ(t.ok(), want.has(q.needed())) << what << " req " << int(q.needed().bits());
    if (!t.ok()) {
      EXPECT_EQ(t.fault.kind, FaultKind::Permission);
      EXPECT_EQ(t.fault.level, 0);  // the leaf's level even when a table limit denies it
      EXPECT_EQ(t.fault.missing, q.needed());
    }
  }
}

TEST(ArmPermissions, StageOneLeafRightsFollowTableD865) {
  for (unsigned wxn = 0; wxn < 2; ++wxn) {
    ArmLpaeConfig c = cfg48(12, 1);
    c.wxn = wxn;
    ArmHand h(c);
    h.chain(kVa48, 0);
    for (unsigned uxn = 0; uxn < 2; ++uxn) {
      for (unsigned pxn = 0; pxn < 2; ++pxn) {
        for (unsigned ap = 0; ap < 4; ++ap) {
          h.set(0, kVa48,
                page_desc(0x5000) | s1_ap(ap) | (uxn ? F::kUXN : 0) | (pxn ? F::kPXN : 0));
          std::ostringstream what;
          what << "uxn " << uxn << " pxn " << pxn << " ap " << ap << " wxn " << wxn;
          expect_rights(h, kVa48, spec_s1_perms(uxn, pxn, ap, wxn), what.str());
        }
      }
    }
  }
}

TEST(ArmPermissions, HierarchicalLimitsFollowTableD864) {
  for (bool hpd : {false, true}) {
    for (unsigned level = 1; level <= 3; ++level) {
      for (unsigned apt = 0; apt < 4; ++apt) {
        for (unsigned xnt = 0; xnt < 4; ++xnt) {  // bit 0 UXNTable, bit 1 PXNTable
          for (unsigned ap = 0; ap < 4; ++ap) {
            ArmLpaeConfig c = cfg48(12, 1);
            c.hpd = hpd;
            ArmHand h(c);
            h.chain(kVa48, 0);
            h.set(0, kVa48, page_desc(0x5000) | s1_ap(ap));
            const uint64_t limits = (uint64_t{apt} << 61) | ((xnt & 1) ? F::kUXNTable : 0) |
                                    ((xnt & 2) ? F::kPXNTable : 0);
            h.set(level, kVa48, h.get(level, kVa48) | limits);
            // Table D8-64 on AP[2:1], then Table D8-65 with the effective values.
            unsigned eff_ap = ap, uxn = 0, pxn = 0;
            if (!hpd) {
              if (apt & 2) eff_ap |= 2;    // APTable[1]: no write
              if (apt & 1) eff_ap &= ~1u;  // APTable[0]: no EL0 data access
              uxn = xnt & 1;
              pxn = (xnt >> 1) & 1;
            }
            std::ostringstream what;
            what << "hpd " << hpd << " level " << level << " aptable " << apt << " xntable " << xnt
                 << " ap " << ap;
            expect_rights(h, kVa48, spec_s1_perms(uxn, pxn, eff_ap, false), what.str());
          }
        }
      }
    }
  }
}

TEST(ArmPermissions, PrivilegedAccessNever) {
  ArmLpaeConfig c = cfg48(12, 1);
  c.pan = true;
  ArmHand h(c);
  h.chain(kVa48, 0);
  for (unsigned ap = 0; ap < 4; ++ap) {
    h.set(0, kVa48, page_desc(0x5000) | s1_ap(ap));
    Perms want = spec_s1_perms(0, 0, ap, false);
    if (ap & 1) want = want.without(Perms::kPrivRead | Perms::kPrivWrite);  // EL0-accessible
    EXPECT_EQ(h.go(kVa48, AccessReq{}).tr.perms, want) << ap;
    EXPECT_EQ(h.go(kVa48, AccessReq::r(true)).ok(), !(ap & 1)) << ap;
    EXPECT_EQ(h.go(kVa48, AccessReq::x(true)).ok(), want.any(Perms::kPrivExec)) << ap;
  }
  // APTable[0] makes the page EL0-inaccessible: PAN no longer applies.
  h.set(0, kVa48, page_desc(0x5000) | s1_ap(1));
  h.set(2, kVa48, h.get(2, kVa48) | F::kAPTable0);
  EXPECT_TRUE(h.go(kVa48, AccessReq::rw(true)).ok());
  EXPECT_FALSE(h.go(kVa48, AccessReq::r(false)).ok());
}

TEST(ArmPermissions, StageTwoS2apAndXnFollowTablesD876ToD878) {
  for (bool xnx : {false, true}) {
    ArmLpaeConfig c = cfg48(12, 2);
    c.xnx = xnx;
    ArmHand h(c);
    h.chain(kVa48, 0);
    for (unsigned s2ap = 0; s2ap < 4; ++s2ap) {
      for (unsigned xn = 0; xn < (xnx ? 4u : 2u); ++xn) {
        const uint64_t xn_bits = xnx ? (uint64_t{xn} << 53) : (uint64_t{xn} << 54);
        h.set(0, kVa48, page_desc(0x5000) | (uint64_t{s2ap} << 6) | xn_bits);
        // Table D8-76: 00 none, 01 RO, 10 WO, 11 RW, for EL1 and EL0 alike.
        uint8_t b = 0;
        if (s2ap & 1) b |= Perms::kRead;
        if (s2ap & 2) b |= Perms::kWrite;
        // Tables D8-77 / D8-78.
        if (xn == 0) {
          b |= Perms::kExec;
        } else if (xnx && xn == 1) {
          b |= Perms::kUserExec;
        } else if (xnx && xn == 3) {
          b |= Perms::kPrivExec;
        }
        const Perms want(b);
        EXPECT_EQ(h.go(kVa48, AccessReq{}).tr.perms, want) << xnx << " " << s2ap << " " << xn;
        for (const AccessReq& q : kSingleRights) {
          const WalkResult t = h.go(kVa48, q);
          EXPECT_EQ(t.ok(), want.has(q.needed())) << "xnx " << xnx << " s2ap " << s2ap << " xn "
                                                  << xn << " req " << int(q.needed().bits());
          if (!t.ok()) {
            EXPECT_EQ(t.fault.kind, FaultKind::Permission);
          }
        }
      }
    }
  }
}

// ---- Builder ------------------------------------------------------------------------------------

/// Page sizes a configuration can map, from Tables D8-52/53: the page, and each block level at
/// or below the start level.
uint64_t spec_sizes(unsigned g, int start) {
  uint64_t m = lg2_size(g);
  if (start <= 2) m |= lg2_size(g + (g - 3));
  if (g == 12 && start <= 1) m |= lg2_size(30);
  return m;
}

std::vector<ArmLpaeConfig> builder_configs() {
  std::vector<ArmLpaeConfig> v;
  for (unsigned g : kGranules) {
    for (unsigned tsz : {16u, 25u, 30u, 36u, 39u}) v.push_back(s1(g, tsz));
  }
  v.push_back(s2(12, 24, 1));  // level 1, 2 concatenated
  v.push_back(s2(12, 21, 1));  // level 1, 16 concatenated
  v.push_back(s2(12, 32, 0));  // level 2, 4 concatenated
  v.push_back(s2(14, 16, 2));  // level 1, 2 concatenated
  v.push_back(s2(14, 26, 1));  // level 2, 4 concatenated
  v.push_back(s2(16, 18, 1));  // level 2, 16 concatenated
  v.push_back(s2(16, 36, 0));  // level 3, single
  return v;
}

TEST(ArmBuilder, EveryPageAndBlockSizeMapsWalksAndUnmaps) {
  for (const ArmLpaeConfig& c : builder_configs()) {
    const F f(c);
    ASSERT_TRUE(f.walkable());
    const unsigned g = c.granule_lg2;
    SCOPED_TRACE(::testing::Message()
                 << "stage " << int(c.stage) << " g " << g << " tsz " << c.tsz);
    EXPECT_EQ(f.page_size_bitmap(), spec_sizes(g, f.start_level()));
    Env env;
    auto b = Builder<F>::create(f, env.mem, env.alloc);
    ASSERT_TRUE(b);
    for (unsigned lg2 = 0; lg2 < 64; ++lg2) {
      if (!bit(f.page_size_bitmap(), lg2)) continue;
      const uint64_t va = lg2_size(f.ia_bits()) - lg2_size(lg2);  // the last one
      const uint64_t oa = lg2_size(lg2) * 5;
      ASSERT_EQ(b->map(va, oa, lg2_size(lg2), MapAttrs::rw()), MapStatus::Ok) << lg2;
      const WalkResult r = walk(f, env.mem, b->root(), va + lg2_size(lg2) - 8, AccessReq::rw());
      ASSERT_TRUE(r.ok()) << lg2 << " " << to_string(r.fault.kind);
      EXPECT_EQ(r.tr.page_lg2, lg2);
      EXPECT_EQ(r.tr.oa, oa + lg2_size(lg2) - 8);
      EXPECT_EQ(3 - int(r.tr.level), lg2 == g ? 3 : lg2 == g + g - 3 ? 2 : 1);
      EXPECT_TRUE(r.tr.leaf & kAF);
      EXPECT_FALSE(r.tr.leaf & F::kContiguous);
      EXPECT_EQ(r.tr.leaf & 3, lg2 == g ? 3u : 1u);
      const UnmapResult u = b->unmap(va, lg2_size(lg2));
      ASSERT_TRUE(u.ok());
      EXPECT_EQ(u.bytes, lg2_size(lg2));
      EXPECT_EQ(b->table_count(), 1u);
    }
    EXPECT_EQ(b->map(0, 0, lg2_size(g + 1), MapAttrs::rw()), MapStatus::SizeNotSupported);
    EXPECT_EQ(b->map(lg2_size(f.ia_bits()), 0, lg2_size(g), MapAttrs::rw()),
              MapStatus::VaOutOfRange);
    EXPECT_EQ(b->map(0, lg2_size(48), lg2_size(g), MapAttrs::rw()), MapStatus::OaOutOfRange);
  }
}

/// Rights a stage-1 mapping should have for MapAttrs (Table D8-65): privileged read always, the
/// user's data rights only with `user`; nullopt for combinations Arm cannot express.
std::optional<Perms> spec_s1_map(const MapAttrs& a, bool wxn, bool pan) {
  if (a.user && a.write && a.exec) return std::nullopt;  // EL0-writable: never EL1-executable
  if (wxn && a.write && a.exec) return std::nullopt;
  if (pan && a.user) return std::nullopt;
  uint8_t b = Perms::kPrivRead;
  if (a.write) b |= Perms::kPrivWrite;
  if (a.exec) b |= Perms::kPrivExec;
  if (a.user) b |= Perms::kUserRead | (a.write ? Perms::kUserWrite : 0);
  if (a.user && a.exec) b |= Perms::kUserExec;
  return Perms(b);
}
Perms spec_s2_map(const MapAttrs& a, bool xnx) {
  uint8_t b = 0;
  if (a.read) b |= Perms::kRead;
  if (a.write) b |= Perms::kWrite;
  if (a.exec) b |= (xnx && !a.user) ? Perms::kPrivExec : Perms::kExec;
  return Perms(b);
}

TEST(ArmBuilder, EncodesRightsAndRefusesWhatArmCannotExpress) {
  for (unsigned stage : {1u, 2u}) {
    for (unsigned flags = 0; flags < 4; ++flags) {
      ArmLpaeConfig c = cfg48(12, stage);
      if (stage == 1) {
        c.wxn = flags & 1;
        c.pan = flags & 2;
      } else {
        if (flags & 2) continue;
        c.xnx = flags & 1;
      }
      const F f(c);
      Env env;
      auto b = Builder<F>::create(f, env.mem, env.alloc);
      ASSERT_TRUE(b);
      for (unsigned m = 0; m < 16; ++m) {
        MapAttrs a;
        a.read = m & 1;
        a.write = m & 2;
        a.exec = m & 4;
        a.user = m & 8;
        const uint64_t va = uint64_t{m} << 21;
        const std::optional<Perms> want =
            stage == 1 ? spec_s1_map(a, c.wxn, c.pan) : std::optional(spec_s2_map(a, c.xnx));
        const MapStatus s = b->map(va, 0x200000, 4096, a);
        SCOPED_TRACE(::testing::Message()
                     << "stage " << stage << " flags " << flags << " attrs " << m);
        if (!want) {
          EXPECT_EQ(s, MapStatus::AttrsNotSupported);
          continue;
        }
        ASSERT_EQ(s, MapStatus::Ok);
        const WalkResult r = walk(f, env.mem, b->root(), va, AccessReq{});
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.tr.perms, *want) << int(r.tr.perms.bits()) << " vs " << int(want->bits());
      }
    }
  }
}

TEST(ArmBuilder, ExtraAttributeBits) {
  Env env;
  auto b1 = Builder<F>::create(F(cfg48(12, 1)), env.mem, env.alloc);
  ASSERT_TRUE(b1);
  MapAttrs a = MapAttrs::rw();
  a.extra = F::kAttrIndx | F::kSH | F::kNG | F::kSoftware | (1ull << 63);
  ASSERT_EQ(b1->map(0x1000, 0x2000, 4096, a), MapStatus::Ok);
  const WalkResult r = walk(b1->format(), env.mem, b1->root(), 0x1000, AccessReq::r(true));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.leaf & a.extra, a.extra);
  for (uint64_t bad : {F::kContiguous, F::kNS, F::kDBM, uint64_t{1} << 48}) {
    a.extra = bad;
    EXPECT_EQ(b1->map(0x5000, 0x2000, 4096, a), MapStatus::AttrsNotSupported) << std::hex << bad;
  }
  auto b2 = Builder<F>::create(F(cfg48(12, 2)), env.mem, env.alloc);
  ASSERT_TRUE(b2);
  a.extra = F::kMemAttr | F::kSH | F::kSoftware | mask(62, 60);
  ASSERT_EQ(b2->map(0x1000, 0x2000, 4096, a), MapStatus::Ok);
  for (uint64_t bad : {F::kContiguous, F::kNG, uint64_t{1} << 63, uint64_t{1} << 50}) {
    a.extra = bad;
    EXPECT_EQ(b2->map(0x5000, 0x2000, 4096, a), MapStatus::AttrsNotSupported) << std::hex << bad;
  }
}

}  // namespace
}  // namespace isim::pt::test
