// AMD-Vi v1 host page tables, from hand-written entries (AMD IOMMU 48882 2.2.3): NextLevel,
// level skipping, page-size override (NextLevel = 7), reserved fields, IR/IW across levels.
#include <gtest/gtest.h>

#include <stdexcept>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t PR = 1, A = 1ull << 5, D = 1ull << 6, U = 1ull << 59, FC = 1ull << 60;
constexpr uint64_t IR = 1ull << 61, IW = 1ull << 62;

uint64_t nl(unsigned v) {
  return uint64_t{v} << 9;
}
uint64_t pde(uint64_t table, unsigned next_spec_level) {
  return table | nl(next_spec_level) | PR | IR | IW;
}
/// NextLevel=7 leaf of 2^k bytes at page base oa.
uint64_t size_pte(uint64_t oa, unsigned k) {
  return oa | mask(k - 2, 12) | nl(7) | PR | IR | IW;
}

AmdV1Format mode(unsigned m) {
  AmdV1Config c;
  c.mode = m;
  return AmdV1Format(c);
}

class AmdV1Test : public ::testing::Test {
 protected:
  /// Regular chain (no skipping) from the root down to a table at `leaf_level`; returns that
  /// table. tbl_[l] is the table at level l.
  uint64_t chain(const AmdV1Format& f, uint64_t va, unsigned leaf_level) {
    fmt_ = f;
    for (unsigned l = 0; l <= f.top_level(); ++l) tbl_[l] = env_.page();
    for (unsigned l = f.top_level(); l > leaf_level; --l) {
      env_.set(tbl_[l], idx9(va, l), pde(tbl_[l - 1], l));  // spec level of table l-1 is l
    }
    return tbl_[leaf_level];
  }
  uint64_t slot(unsigned level, uint64_t va) const { return tbl_[level] + idx9(va, level) * 8; }
  void set_at(unsigned level, uint64_t va, uint64_t v) { env_.mem.write_le64(slot(level, va), v); }
  uint64_t get_at(unsigned level, uint64_t va) { return *env_.mem.read_le64(slot(level, va)); }
  WalkResult go(uint64_t va, AccessReq req, WalkOptions o = {}) {
    return walk(fmt_, env_.mem, tbl_[fmt_.top_level()], va, req, o);
  }

  Env env_;
  AmdV1Format fmt_;
  uint64_t tbl_[6] = {};
};

constexpr uint64_t kVa = 0x0000123456789abcull;

TEST_F(AmdV1Test, FourLevelWalk) {
  chain(mode(4), kVa, 0);
  set_at(0, kVa, 0xabc000 | PR | IR | IW);
  const WalkResult r = go(kVa, AccessReq::rw());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0xabc000u | (kVa & 0xfff));
  ASSERT_EQ(r.log.reads.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(r.log.reads[i].pa, slot(3 - i, kVa));
}

TEST_F(AmdV1Test, NaturalSizeLeavesAtUpperLevels) {
  for (unsigned level = 1; level <= 3; ++level) {
    chain(mode(4), kVa, level);
    const unsigned k = 12 + 9 * level;
    const uint64_t base = lg2_size(k) * 3;
    // Low address bits of a natural-size page are not part of the OA.
    set_at(level, kVa, base | 0x1000 | PR | IR);
    const WalkResult r = go(kVa, AccessReq::r());
    ASSERT_TRUE(r.ok()) << level;
    EXPECT_EQ(r.tr.page_lg2, k);
    EXPECT_EQ(r.tr.oa, base + (kVa & mask(k - 1, 0)));
    EXPECT_EQ(r.log.reads.size(), 4 - level);
  }
}

TEST_F(AmdV1Test, PageSizeOverrideWithReplicatedEntries) {
  for (unsigned k : {13u, 16u, 20u, 22u, 29u, 31u, 40u}) {
    const unsigned level = (k - 12) / 9;
    const uint64_t table = chain(mode(4), kVa, level);
    const uint64_t base = lg2_size(k) * 5;
    const uint64_t count = lg2_size(k - (12 + 9 * level));
    const uint64_t first = idx9(kVa, level) & ~(count - 1);
    for (uint64_t i = 0; i < count; ++i) env_.set(table, first + i, size_pte(base, k));
    // An address in the last replica's span still maps into the same large page.
    const uint64_t va = align_down(kVa, k) + lg2_size(k) - 0x10;
    const WalkResult r = go(va, AccessReq::rw());
    ASSERT_TRUE(r.ok()) << k;
    EXPECT_EQ(r.tr.page_lg2, k);
    EXPECT_EQ(r.tr.oa, base + lg2_size(k) - 0x10) << k;
    EXPECT_EQ(r.tr.level, level);
  }
}

TEST_F(AmdV1Test, PageSizeOverrideOutsideTheLevelIsRejected) {
  // 8 KiB (a level-0 size) encoded at level 1, and 4 MiB... at level 0.
  chain(mode(4), kVa, 1);
  set_at(1, kVa, size_pte(0x200000, 13));
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
  chain(mode(4), kVa, 0);
  set_at(0, kVa, size_pte(0x400000, 22));
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
}

TEST_F(AmdV1Test, LevelSkipping) {
  fmt_ = mode(4);
  tbl_[3] = env_.page();
  tbl_[0] = env_.page();
  // Root PDE pointing straight at a level-1 (4 KiB PTE) table: spec levels 3 and 2 skipped.
  const uint64_t va = (uint64_t{0x155} << 39) | (0x42 << 12) | 0x123;  // level 2/1 indexes zero
  env_.set(tbl_[3], idx9(va, 3), pde(tbl_[0], 1));
  env_.set(tbl_[0], idx9(va, 0), 0x99000 | PR | IR | IW);
  WalkResult r = go(va, AccessReq::rw());
  ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
  EXPECT_EQ(r.tr.oa, 0x99123u);
  ASSERT_EQ(r.log.reads.size(), 2u);
  EXPECT_EQ(r.log.reads[0].level, 3);
  EXPECT_EQ(r.log.reads[1].level, 0);
  EXPECT_EQ(r.log.reads[1].pa, tbl_[0] + 0x42 * 8);

  for (unsigned b : {21u, 29u, 30u, 38u}) {  // each bit indexing a skipped level
    r = go(va | (1ull << b), AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::SkippedBitsNonZero) << b;
    EXPECT_EQ(r.fault.level, 3);
    EXPECT_EQ(r.fault.entry_pa, slot(3, va));
    EXPECT_EQ(r.log.reads.size(), 1u);
  }
}

TEST_F(AmdV1Test, NextLevelNotBelowCurrentIsRejected) {
  chain(mode(4), kVa, 0);
  set_at(0, kVa, 0x5000 | PR | IR);
  for (unsigned bad : {4u, 5u, 6u}) {  // root is spec level 4
    const uint64_t saved = get_at(3, kVa);
    set_at(3, kVa, (saved & ~nl(7)) | nl(bad));
    EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit) << bad;
    set_at(3, kVa, saved);
  }
  set_at(0, kVa, 0x5000 | PR | IR | nl(1));  // a "table" in a level-1 table
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
}

TEST_F(AmdV1Test, ReservedFields) {
  for (unsigned b = 52; b <= 58; ++b) {
    chain(mode(4), kVa, 0);
    set_at(0, kVa, 0x5000 | PR | IR | (1ull << b));
    EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit) << "PTE bit " << b;
  }
  for (unsigned level = 1; level < 4; ++level) {
    for (unsigned b = 52; b <= 60; ++b) {
      chain(mode(4), kVa, 0);
      set_at(0, kVa, 0x5000 | PR | IR);
      set_at(level, kVa, get_at(level, kVa) | (1ull << b));
      const WalkResult r = go(kVa, AccessReq::r());
      EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit) << "PDE level " << level << " bit " << b;
      EXPECT_EQ(r.fault.level, level);
    }
  }
  // U, FC, A, D and the ignored bits are not reserved in a PTE.
  chain(mode(4), kVa, 0);
  set_at(0, kVa, 0x5000 | PR | IR | U | FC | A | D | (1ull << 63) | 0x19e);
  EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
}

TEST_F(AmdV1Test, IrIwAreAndedAtEveryLevelIncludingTheDte) {
  for (unsigned level = 0; level < 4; ++level) {
    chain(mode(4), kVa, 0);
    set_at(0, kVa, 0x5000 | PR | IR | IW);
    set_at(level, kVa, get_at(level, kVa) & ~IW);
    EXPECT_EQ(go(kVa, AccessReq::w()).fault.kind, FaultKind::Permission) << level;
    EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
    set_at(level, kVa, get_at(level, kVa) & ~IR);
    EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::Permission) << level;
    EXPECT_EQ(go(kVa, AccessReq::x()).fault.kind, FaultKind::Permission) << level;
  }
  chain(mode(4), kVa, 0);
  set_at(0, kVa, 0x5000 | PR | IR | IW);
  WalkStart dte;  // DTE with IR=1, IW=0
  dte.table = tbl_[3];
  dte.perms = Perms::rwx(true, false, true);
  EXPECT_EQ(walk(fmt_, env_.mem, dte, kVa, AccessReq::w()).fault.kind, FaultKind::Permission);
  EXPECT_TRUE(walk(fmt_, env_.mem, dte, kVa, AccessReq::r()).ok());
}

TEST_F(AmdV1Test, InputRangeFollowsMode) {
  for (unsigned m = 1; m <= 5; ++m) {
    chain(mode(m), 0, 0);
    EXPECT_EQ(go(lg2_size(12 + 9 * m), AccessReq::r()).fault.kind, FaultKind::AddressSize) << m;
    EXPECT_EQ(go(lg2_size(12 + 9 * m) - 1, AccessReq::r()).fault.kind, FaultKind::NotPresent);
  }
  chain(mode(6), 0, 0);
  EXPECT_EQ(go(~0ull, AccessReq::r()).fault.kind, FaultKind::NotPresent);
}

TEST_F(AmdV1Test, ModeSixRootHas128EntriesAndNoLeaves) {
  const uint64_t va = 0xfe00000000001000ull;  // bits 63:57 = 0x7f
  chain(mode(6), va, 0);
  set_at(0, va, 0x5000 | PR | IR);
  EXPECT_EQ(slot(5, va), tbl_[5] + 127 * 8);
  WalkResult r = go(va, AccessReq::r());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.log.reads.size(), 6u);
  EXPECT_EQ(r.log.reads[0].pa, tbl_[5] + 127 * 8);
  set_at(5, va, PR | IR | IW);  // a NextLevel=0 leaf in the root
  EXPECT_EQ(go(va, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
  EXPECT_FALSE(fmt_.can_have_leaf(5));
}

TEST_F(AmdV1Test, HardwareAccessedDirty) {
  AmdV1Config c;
  c.hw_ad = true;
  chain(AmdV1Format(c), kVa, 0);
  set_at(0, kVa, 0x5000 | PR | IR | IW);
  WalkOptions o;
  o.update_ad = true;
  ASSERT_TRUE(go(kVa, AccessReq::w(), o).ok());
  for (unsigned level = 0; level < 4; ++level) EXPECT_TRUE(get_at(level, kVa) & A) << level;
  EXPECT_TRUE(get_at(0, kVa) & D);
  EXPECT_FALSE(get_at(1, kVa) & D);
}

// ---- Builder on AMD-specific features ------------------------------------------------------

TEST(AmdV1Builder, ReplicatesSizeOverrideEntriesAndClearsThemAll) {
  Env env;
  auto b = Builder<AmdV1Format>::create(mode(4), env.mem, env.alloc);
  ASSERT_TRUE(b);
  const uint64_t va = 0x7f0000;  // 64 KiB aligned
  ASSERT_EQ(b->map(va, 0x30000, 0x10000, MapAttrs::rw()), MapStatus::Ok);
  const WalkResult r = walk(b->format(), env.mem, b->root(), va + 0xfff8, AccessReq::rw());
  ASSERT_TRUE(r.ok());
  const uint64_t table = r.tr.leaf_pa & ~0xfffull;
  const uint64_t first = idx9(va, 0);
  for (uint64_t i = 0; i < 16; ++i) EXPECT_EQ(env.get(table, first + i), r.tr.leaf) << i;
  EXPECT_EQ(env.get(table, first + 16), 0u);
  EXPECT_EQ(bits(r.tr.leaf, 11, 9), 7u);
  EXPECT_EQ(b->mappings().size(), 1u);

  const UnmapResult u = b->unmap(va, 0x10000);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u.removed.size(), 1u);
  EXPECT_EQ(u.removed[0].page_lg2, 16);
  EXPECT_EQ(u.bytes, 0x10000u);
  EXPECT_EQ(b->table_count(), 1u);  // emptied tables were freed
}

TEST(AmdV1Builder, BuildsAndUndoesLevelSkips) {
  Env env;
  BuilderOptions o;
  o.level_skip = true;
  auto b = Builder<AmdV1Format>::create(mode(4), env.mem, env.alloc, o);
  ASSERT_TRUE(b);
  auto reads = [&](uint64_t va) {
    const WalkResult r = walk(b->format(), env.mem, b->root(), va, AccessReq::r());
    EXPECT_TRUE(r.ok()) << std::hex << va << " " << to_string(r.fault.kind);
    return r.log.reads.size();
  };
  ASSERT_EQ(b->map(0x5000, 0xa000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(reads(0x5000), 2u);  // root -> level-0 table
  EXPECT_EQ(b->table_count(), 2u);

  ASSERT_EQ(b->map(0x40000000, 0xb000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(reads(0x5000), 3u);  // an intermediate level-2 table was inserted
  EXPECT_EQ(reads(0x40000000), 3u);

  ASSERT_EQ(b->map(0x200000, 0x400000, 0x200000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(reads(0x5000), 4u);
  EXPECT_EQ(reads(0x200000), 3u);
  EXPECT_EQ(walk(b->format(), env.mem, b->root(), 0x201234, AccessReq::r()).tr.oa, 0x401234u);

  // Overlap with the 4 KiB page below a skip is still detected.
  EXPECT_EQ(b->map(0, 0, 0x200000, MapAttrs::rw()), MapStatus::AlreadyMapped);
  // Addresses a skip does not cover fault; so do plain holes.
  EXPECT_EQ(walk(b->format(), env.mem, b->root(), 0x40200000, AccessReq::r()).fault.kind,
            FaultKind::SkippedBitsNonZero);
  EXPECT_EQ(walk(b->format(), env.mem, b->root(), 0x80000000, AccessReq::r()).fault.kind,
            FaultKind::NotPresent);

  const std::vector<Mapping> m = b->mappings();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].va, 0x5000u);
  EXPECT_EQ(m[1].va, 0x200000u);
  EXPECT_EQ(m[2].va, 0x40000000u);

  ASSERT_TRUE(b->unmap(0, 0x80000000).ok());
  EXPECT_EQ(b->table_count(), 1u);
  EXPECT_TRUE(b->mappings().empty());
}

TEST(AmdV1Format, ConfigValidation) {
  AmdV1Config c;
  c.mode = 0;
  EXPECT_FALSE(AmdV1Format::create(c));
  c.mode = 7;
  EXPECT_THROW(AmdV1Format{c}, std::invalid_argument);
  c.mode = 3;
  c.page_sizes = lg2_size(39);  // needs a 4th level
  EXPECT_FALSE(AmdV1Format::create(c));
  // A restricted size set (Linux leaves out 512 GiB) is honoured by the builder.
  c.mode = 5;
  c.page_sizes = AmdV1Format::expressible_sizes(5) & ~lg2_size(39);
  Env env;
  auto b = Builder<AmdV1Format>::create(AmdV1Format(c), env.mem, env.alloc);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->map(0, 0, lg2_size(39), MapAttrs::rw()), MapStatus::SizeNotSupported);
  EXPECT_EQ(b->map(0, 0, lg2_size(40), MapAttrs::rw()), MapStatus::Ok);
}

}  // namespace
}  // namespace isim::pt::test
