// Generic walker behaviour: starting at an intermediate level (paging-structure caches), the
// read log, input checks, bus errors, and hostile tables.
#include <gtest/gtest.h>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t kVa = 0x00007123456789a0ull;

class WalkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = Builder<X86Format>::create(X86Format(), env_.mem, env_.alloc);
    ASSERT_TRUE(b);
    b_.emplace(std::move(*b));
    ASSERT_EQ(b_->map(align_down(kVa, 12), 0x88000, 4096, MapAttrs::rw()), MapStatus::Ok);
    full_ = walk(b_->format(), env_.mem, b_->root(), kVa, AccessReq::r());
    ASSERT_TRUE(full_.ok());
    ASSERT_EQ(full_.log.reads.size(), 4u);
  }
  /// Table address at `level` as a paging-structure cache would hold it: taken from the entry
  /// one level up in the full walk.
  uint64_t table_at(unsigned level) const {
    return full_.log.reads[3 - (level + 1)].value & mask(51, 12);
  }

  Env env_;
  std::optional<Builder<X86Format>> b_;
  WalkResult full_;
};

TEST_F(WalkerTest, StartsAtAnIntermediateLevel) {
  for (unsigned level = 0; level < 3; ++level) {
    WalkStart s;
    s.table = table_at(level);
    s.level = level;
    const WalkResult r = walk(b_->format(), env_.mem, s, kVa, AccessReq::rw());
    ASSERT_TRUE(r.ok()) << level;
    EXPECT_EQ(r.tr.oa, full_.tr.oa);
    ASSERT_EQ(r.log.reads.size(), level + 1);
    for (unsigned i = 0; i <= level; ++i) {
      // Same reads as the tail of the full walk.
      EXPECT_EQ(r.log.reads[i].pa, full_.log.reads[3 - level + i].pa);
      EXPECT_EQ(r.log.reads[i].level, level - i);
    }
  }
}

TEST_F(WalkerTest, StartPermsCarryTheSkippedLevelsRights) {
  WalkStart s;
  s.table = table_at(1);
  s.level = 1;
  s.perms = Perms::all().without(Perms::kWrite);  // an upper level was read-only
  const WalkResult r = walk(b_->format(), env_.mem, s, kVa, AccessReq::w());
  EXPECT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_TRUE(walk(b_->format(), env_.mem, s, kVa, AccessReq::r()).ok());
}

TEST_F(WalkerTest, StartLevelAboveTopIsRejected) {
  WalkStart s;
  s.table = b_->root();
  s.level = 4;
  const WalkResult r = walk(b_->format(), env_.mem, s, kVa, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::AddressSize);
  EXPECT_TRUE(r.log.reads.empty());
}

TEST_F(WalkerTest, RootOutsideMemoryIsBusError) {
  const WalkResult r = walk(b_->format(), env_.mem, kMemSize, kVa, AccessReq::r());
  ASSERT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 3);
  EXPECT_EQ(r.fault.entry_pa, kMemSize + idx9(kVa, 3) * 8);
  ASSERT_EQ(r.log.reads.size(), 1u);
  EXPECT_FALSE(r.log.reads[0].ok);
}

TEST_F(WalkerTest, ReadLogHasEveryEntryValueInOrder) {
  uint64_t table = b_->root();
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned level = 3 - i;
    const uint64_t pa = table + idx9(kVa, level) * 8;
    EXPECT_EQ(full_.log.reads[i].pa, pa);
    EXPECT_EQ(full_.log.reads[i].value, *env_.mem.read_le64(pa));
    table = full_.log.reads[i].value & mask(51, 12);
  }
  EXPECT_EQ(full_.tr.leaf, full_.log.reads[3].value);
  EXPECT_EQ(full_.tr.leaf_pa, full_.log.reads[3].pa);
}

TEST(AccessLog, CountsOverflowWithoutWritingPastCapacity) {
  AccessLog<4> log;
  for (unsigned i = 0; i < 6; ++i) log.push({i, i, 0, 1, true});
  EXPECT_EQ(log.size(), 4u);
  EXPECT_TRUE(log.overflowed());
  EXPECT_EQ(log[3].pa, 3u);
  log.clear();
  EXPECT_TRUE(log.empty());
  EXPECT_FALSE(log.overflowed());
}

/// A hostile format whose tables point back at the same level: the walker must stop.
struct LoopFormat {
  static constexpr const char* kName = "loop";
  unsigned top_level() const { return 3; }
  unsigned item_lg2sz(unsigned l) const { return 12 + 9 * l; }
  unsigned num_items_lg2(unsigned) const { return 9; }
  Decoded decode(uint64_t e, unsigned level) const {
    return Decoded::make_table(e & mask(51, 12), level, Perms::all());
  }
  bool can_have_leaf(unsigned) const { return true; }
  uint64_t page_size_bitmap() const { return 1u << 12; }
  unsigned oa_lg2() const { return 52; }
  uint64_t encode_table(uint64_t pa, unsigned, unsigned) const { return pa; }
  std::optional<uint64_t> encode_leaf(uint64_t, unsigned, unsigned, const MapAttrs&) const {
    return std::nullopt;
  }
};
static_assert(PageTableFormat<LoopFormat>);

TEST(WalkerHostile, SelfReferencingTablesEndTheWalk) {
  Env env;
  const uint64_t t = env.page();
  for (uint64_t i = 0; i < 512; ++i) env.set(t, i, t);
  const WalkResult r = walk(LoopFormat{}, env.mem, t, 0x1000, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit);
  EXPECT_EQ(r.log.reads.size(), 1u);
}

}  // namespace
}  // namespace isim::pt::test
