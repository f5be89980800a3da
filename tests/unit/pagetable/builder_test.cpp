// Builder error results and table-memory management.
#include <gtest/gtest.h>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

class BuilderErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = Builder<X86Format>::create(X86Format(), env_.mem, env_.alloc);
    ASSERT_TRUE(b);
    b_.emplace(std::move(*b));
  }
  Env env_;
  std::optional<Builder<X86Format>> b_;
};

TEST_F(BuilderErrors, MapArgumentChecks) {
  const MapAttrs rw = MapAttrs::rw();
  EXPECT_EQ(b_->map(0x1000, 0x2000, 0x3000, rw), MapStatus::SizeNotSupported);  // not pow2
  EXPECT_EQ(b_->map(0x1000, 0x2000, 0x2000, rw), MapStatus::SizeNotSupported);  // 8K on x86
  EXPECT_EQ(b_->map(0, 0, 0, rw), MapStatus::SizeNotSupported);
  EXPECT_EQ(b_->map(0x1800, 0x2000, 0x1000, rw), MapStatus::Misaligned);
  EXPECT_EQ(b_->map(0x200000, 0x201000, 0x200000, rw), MapStatus::Misaligned);
  EXPECT_EQ(b_->map(1ull << 47, 0x2000, 0x1000, rw), MapStatus::VaOutOfRange);  // non-canonical
  EXPECT_EQ(b_->map(0x1000, 1ull << 52, 0x1000, rw), MapStatus::OaOutOfRange);
  MapAttrs bad = rw;
  bad.extra = 1;  // P is not an attribute
  EXPECT_EQ(b_->map(0x1000, 0x2000, 0x1000, bad), MapStatus::AttrsNotSupported);
  EXPECT_EQ(b_->table_count(), 1u);  // nothing was allocated by the failed calls
  EXPECT_TRUE(b_->mappings().empty());
}

TEST_F(BuilderErrors, OverlapsAreRefusedBothWays) {
  ASSERT_EQ(b_->map(0x201000, 0x5000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(b_->map(0x201000, 0x6000, 0x1000, MapAttrs::rw()), MapStatus::AlreadyMapped);
  EXPECT_EQ(b_->map(0x200000, 0x400000, 0x200000, MapAttrs::rw()), MapStatus::AlreadyMapped);
  ASSERT_EQ(b_->map(0x40000000, 0x40000000, 0x40000000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(b_->map(0x40200000, 0x5000, 0x1000, MapAttrs::rw()), MapStatus::AlreadyMapped);
}

TEST_F(BuilderErrors, UnmapAndProtectRefuseToSplit) {
  ASSERT_EQ(b_->map(0x200000, 0x400000, 0x200000, MapAttrs::rw()), MapStatus::Ok);
  UnmapResult u = b_->unmap(0x201000, 0x1000);
  EXPECT_EQ(u.status, MapStatus::PartialLeaf);
  EXPECT_TRUE(u.removed.empty());
  EXPECT_EQ(b_->protect(0x200000, 0x1000, MapAttrs::ro()), MapStatus::PartialLeaf);
  EXPECT_EQ(b_->unmap(0x200800, 0x1000).status, MapStatus::Misaligned);
  EXPECT_TRUE(walk(b_->format(), env_.mem, b_->root(), 0x201000, AccessReq::w()).ok());
  // Holes are fine; the whole page goes.
  u = b_->unmap(0, 0x800000);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u.removed.size(), 1u);
  EXPECT_EQ(u.removed[0].va, 0x200000u);
  EXPECT_EQ(u.removed[0].oa, 0x400000u);
  EXPECT_EQ(u.removed[0].page_lg2, 21);
  EXPECT_EQ(u.bytes, 0x200000u);
}

TEST_F(BuilderErrors, ProtectRewritesRights) {
  ASSERT_EQ(b_->map(0x3000, 0x9000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  ASSERT_TRUE(walk(b_->format(), env_.mem, b_->root(), 0x3000, AccessReq::w()).ok());
  ASSERT_EQ(b_->protect(0x3000, 0x1000, MapAttrs::ro()), MapStatus::Ok);
  const WalkResult r = walk(b_->format(), env_.mem, b_->root(), 0x3000, AccessReq::w());
  EXPECT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_EQ(walk(b_->format(), env_.mem, b_->root(), 0x3000, AccessReq::r()).tr.oa, 0x9000u);
}

TEST(Builder, OutOfTableMemory) {
  Env env;
  PhysAllocator small(kTableBase, kTableBase + 3 * 4096);  // root + 2 tables
  auto b = Builder<X86Format>::create(X86Format(), env.mem, small);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->map(0x1000, 0x1000, 0x1000, MapAttrs::rw()), MapStatus::NoTableMemory);
  EXPECT_EQ(b->map(0x40000000, 0x40000000, 0x40000000, MapAttrs::rw()), MapStatus::Ok);
  PhysAllocator none(kTableBase, kTableBase);
  EXPECT_FALSE(Builder<X86Format>::create(X86Format(), env.mem, none));
}

TEST(Builder, TablesOutsideMemoryAreABusError) {
  Env env;
  PhysAllocator outside(kMemSize, kMemSize + (1 << 20));
  EXPECT_FALSE(Builder<X86Format>::create(X86Format(), env.mem, outside));
}

TEST(Builder, MapRangeUsesLargestPagesAndRollsBack) {
  Env env;
  auto b = Builder<X86Format>::create(X86Format(), env.mem, env.alloc);
  ASSERT_TRUE(b);
  // 4K..2M alignment: 4K pages up to 2M, then one 1G page, then 2M pages, then 4K.
  const uint64_t va = 0x40000000 - 0x3000;
  const uint64_t len = 0x3000 + 0x40000000 + 0x400000 + 0x2000;
  ASSERT_EQ(b->map_range(va, va, len, MapAttrs::rw()), MapStatus::Ok);
  std::vector<unsigned> sizes;
  for (const Mapping& m : b->mappings()) sizes.push_back(m.page_lg2);
  EXPECT_EQ(sizes, (std::vector<unsigned>{12, 12, 12, 30, 21, 21, 12, 12}));

  // A range that runs into an existing mapping leaves nothing new behind.
  auto c = Builder<X86Format>::create(X86Format(), env.mem, env.alloc);
  ASSERT_EQ(c->map(0x10000, 0, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  EXPECT_EQ(c->map_range(0x8000, 0x8000, 0x10000, MapAttrs::rw()), MapStatus::AlreadyMapped);
  ASSERT_EQ(c->mappings().size(), 1u);
  EXPECT_EQ(c->mappings()[0].va, 0x10000u);
}

TEST(Builder, DestroyReturnsEveryTable) {
  Env env;
  auto b = Builder<VtdSsFormat>::create(VtdSsFormat(), env.mem, env.alloc);
  ASSERT_TRUE(b);
  for (uint64_t i = 0; i < 64; ++i) {
    ASSERT_EQ(b->map(i << 30 | 0x5000, 0x5000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  }
  EXPECT_GT(env.alloc.bytes_in_use(), 64u * 4096);
  b->destroy();
  EXPECT_EQ(env.alloc.bytes_in_use(), 0u);
  EXPECT_EQ(b->table_count(), 0u);
}

TEST(Builder, AdoptsAnExistingRoot) {
  Env env;
  auto b = Builder<X86Format>::create(X86Format(), env.mem, env.alloc);
  ASSERT_EQ(b->map(0x7000, 0x8000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  Builder<X86Format> again(X86Format(), env.mem, env.alloc, b->root());
  ASSERT_EQ(again.mappings().size(), 1u);
  EXPECT_EQ(again.mappings()[0].oa, 0x8000u);
  EXPECT_EQ(again.map(0x7000, 0x9000, 0x1000, MapAttrs::rw()), MapStatus::AlreadyMapped);
}

TEST(Builder, MalformedEntriesOnThePathAreReported) {
  Env env;
  auto b = Builder<X86Format>::create(X86Format(), env.mem, env.alloc);
  ASSERT_EQ(b->map(0x7000, 0x8000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  const WalkResult r = walk(b->format(), env.mem, b->root(), 0x7000, AccessReq::r());
  env.mem.write_le64(r.log.reads[1].pa, r.log.reads[1].value | X86Format::kXD);
  X86Config nonx;
  nonx.nx = false;  // XD is reserved without NXE: the same tables are now malformed
  Builder<X86Format> strict(X86Format(nonx), env.mem, env.alloc, b->root());
  EXPECT_EQ(strict.map(0x9000, 0x8000, 0x1000, MapAttrs::rw()), MapStatus::BadTable);
  EXPECT_EQ(strict.unmap(0, 0x100000).status, MapStatus::BadTable);
}

}  // namespace
}  // namespace isim::pt::test
