// The IOVA allocator: Linux's size rounding, top-down placement, LIFO reuse through the
// per-order magazines, depot overflow back to the tree, exhaustion and costs.
#include "host/iova_allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace isim::host {
namespace {

IovaParams small() {
  IovaParams p;
  p.base = 0x10'0000;
  p.limit = 0x100'0000;  // 16 MiB
  return p;
}

TEST(IovaAllocator, SmallSizesRoundToAPowerOfTwoAlignedBelowTheLimit) {
  IovaAllocator a(small());
  const auto one = a.alloc(100);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size, 0x1000u);
  EXPECT_EQ(one->iova, 0x100'0000u - 0x1000);  // top-down from the limit
  const auto three = a.alloc(3 * 4096);        // 3 pages -> 4, aligned to 16 KiB
  ASSERT_TRUE(three);
  EXPECT_EQ(three->size, 0x4000u);
  EXPECT_EQ(three->iova % 0x4000, 0u);
  EXPECT_LT(three->iova + three->size, one->iova + 1);
  EXPECT_EQ(a.counts().tree_allocs, 2u);
}

TEST(IovaAllocator, LargeSizesAreNotRounded) {
  IovaAllocator a(small());
  const auto big = a.alloc(65 * 4096);  // above the cached orders (64 pages)
  ASSERT_TRUE(big);
  EXPECT_EQ(big->size, 65u * 4096);
}

TEST(IovaAllocator, AFreedIovaIsReusedFirstFromTheMagazine) {
  const IovaParams p = small();
  IovaAllocator a(p);
  const auto x = a.alloc(4096);
  const auto y = a.alloc(4096);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(a.free(x->iova, 4096), p.rcache_cost);
  EXPECT_EQ(a.free(y->iova, 4096), p.rcache_cost);
  const auto z = a.alloc(4096);
  ASSERT_TRUE(z);
  EXPECT_EQ(z->iova, y->iova);  // last in, first out
  EXPECT_EQ(z->cost, p.rcache_cost);
  EXPECT_EQ(a.counts().rcache_hits, 1u);
  // Another order does not see this order's magazine.
  const auto w = a.alloc(2 * 4096);
  ASSERT_TRUE(w);
  EXPECT_NE(w->iova, x->iova);
  EXPECT_EQ(a.counts().rcache_hits, 1u);
}

TEST(IovaAllocator, FullMagazinesGoToTheDepotThenBackToTheTree) {
  IovaParams p = small();
  p.mag_size = 2;
  p.depot_mags = 0;
  IovaAllocator a(p);
  std::vector<uint64_t> v;
  for (int i = 0; i < 5; ++i) v.push_back(a.alloc(4096)->iova);
  for (uint64_t i : v) a.free(i, 4096);
  // loaded [1,2] -> swapped to prev, loaded [3,4]; the fifth free finds both full and no
  // depot room: the loaded magazine's two ranges return to the tree.
  EXPECT_EQ(a.counts().tree_frees, 2u);
  EXPECT_EQ(a.counts().rcache_frees, 5u);
  EXPECT_EQ(a.tree_ranges(), 3u);
}

TEST(IovaAllocator, WithADepotNothingReturnsToTheTree) {
  IovaParams p = small();
  p.mag_size = 2;
  p.depot_mags = 4;
  IovaAllocator a(p);
  std::vector<uint64_t> v;
  for (int i = 0; i < 8; ++i) v.push_back(a.alloc(4096)->iova);
  for (uint64_t i : v) a.free(i, 4096);
  EXPECT_EQ(a.counts().tree_frees, 0u);
  // All eight come back from the magazines, each once.
  std::set<uint64_t> again;
  for (int i = 0; i < 8; ++i) again.insert(a.alloc(4096)->iova);
  EXPECT_EQ(again, std::set<uint64_t>(v.begin(), v.end()));
  EXPECT_EQ(a.counts().rcache_hits, 8u);
}

TEST(IovaAllocator, ExhaustionFailsAndCounts) {
  IovaParams p;
  p.base = 0;
  p.limit = 4 * 4096;
  IovaAllocator a(p);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(a.alloc(4096));
  EXPECT_FALSE(a.alloc(4096));
  EXPECT_EQ(a.counts().failures, 1u);
}

TEST(IovaAllocator, TreeCostGrowsWithLiveRanges) {
  const IovaParams p = small();
  IovaAllocator a(p);
  const auto first = a.alloc(70 * 4096);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(a.alloc(70 * 4096));
  const auto later = a.alloc(70 * 4096);
  ASSERT_TRUE(first && later);
  EXPECT_EQ(first->cost, p.tree_base + p.tree_per_level);      // empty tree: one level
  EXPECT_EQ(later->cost, p.tree_base + 6 * p.tree_per_level);  // 31 live ranges: 6 levels
}

TEST(IovaAllocator, TreeReusesAFreedGapTopDown) {
  IovaAllocator a(small());
  const auto x = a.alloc(100 * 4096);
  const auto y = a.alloc(100 * 4096);
  ASSERT_TRUE(x && y);
  a.free(x->iova, 100 * 4096);  // uncached size: back to the tree
  const auto z = a.alloc(100 * 4096);
  ASSERT_TRUE(z);
  EXPECT_EQ(z->iova, x->iova);  // the highest free range
}

}  // namespace
}  // namespace isim::host
