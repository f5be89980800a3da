#include "pasid/allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace isim::pasid {
namespace {

constexpr uint64_t kNoQuota = ~uint64_t{0};

PolicyParams params(Policy p, unsigned width = 0, uint32_t local_last = 4095) {
  PolicyParams pp;
  pp.policy = p;
  pp.width = width;
  pp.local_last = local_last;
  return pp;
}

TEST(PasidPolicy, ValidateChecksWidthAndPartition) {
  EXPECT_EQ(PasidAllocator::validate(params(Policy::global), 20), "");
  EXPECT_NE(PasidAllocator::validate(params(Policy::global, 21), 20), "");
  EXPECT_NE(PasidAllocator::validate(params(Policy::global, 20), 16), "");  // beyond the IOMMU
  EXPECT_NE(PasidAllocator::validate(params(Policy::global), 0), "");       // no PASID support
  EXPECT_EQ(PasidAllocator::validate(params(Policy::partitioned), 16), "");
  // local_last must leave a global range above it.
  EXPECT_NE(PasidAllocator::validate(params(Policy::partitioned, 12, 4095), 20), "");
  EXPECT_EQ(PasidAllocator::validate(params(Policy::partitioned, 12, 4094), 20), "");
  PolicyParams p = params(Policy::partitioned, 0, 0);  // local_last below first
  EXPECT_NE(PasidAllocator::validate(p, 20), "");
}

TEST(PasidPolicy, WidthFollowsTheCapabilityUnlessNarrowed) {
  PasidAllocator a(params(Policy::global), 16);  // e.g. AMD-Vi EFR.PASmax = 15
  EXPECT_EQ(a.width(), 16u);
  EXPECT_EQ(a.global_range().first, 1u);
  EXPECT_EQ(a.global_range().last, 0xffffu);
  PasidAllocator b(params(Policy::global, 8), 20);
  EXPECT_EQ(b.global_range().last, 0xffu);
}

TEST(PasidGlobal, UniqueAcrossRequestersAndLowestFirst) {
  PasidAllocator a(params(Policy::global), 20);
  ASSERT_EQ(a.create_set("host", kNoQuota), Error::none);
  EXPECT_EQ(a.alloc_global("host").pasid, 1u);
  // A "local" request under the global policy still draws from the one space.
  EXPECT_EQ(a.alloc_local("host", 0x100).pasid, 2u);
  EXPECT_EQ(a.alloc_local("host", 0x200).pasid, 3u);
  EXPECT_EQ(a.alloc_local("host", 0x200, 2).error, Error::in_use);
  EXPECT_TRUE(a.local_allocated(0x300, 2));  // visible from any RID
}

TEST(PasidGlobal, ExhaustionFreeAndReuse) {
  PasidAllocator a(params(Policy::global, 4), 20);  // PASIDs 1..15
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  std::set<uint32_t> got;
  for (int i = 0; i < 15; ++i) {
    auto r = a.alloc_global("s");
    ASSERT_TRUE(r.ok()) << i;
    got.insert(r.pasid);
  }
  EXPECT_EQ(got.size(), 15u);
  EXPECT_EQ(*got.begin(), 1u);
  EXPECT_EQ(*got.rbegin(), 15u);
  auto r = a.alloc_global("s");
  EXPECT_EQ(r.error, Error::exhausted);
  EXPECT_STREQ(to_string(r.error), "no free PASID left in the range");
  EXPECT_EQ(a.free_global("s", 9), Error::none);
  EXPECT_EQ(a.free_global("s", 9), Error::not_allocated);
  EXPECT_EQ(a.alloc_global("s").pasid, 9u);
  EXPECT_EQ(a.global_free(), 0u);
}

TEST(PasidGlobal, SpecificPasidOnlyInsideTheGlobalRange) {
  PasidAllocator a(params(Policy::global, 8), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  EXPECT_EQ(a.alloc_global_at("s", 0).error, Error::out_of_range);  // RID_PASID is never handed out
  EXPECT_EQ(a.alloc_global_at("s", 256).error, Error::out_of_range);
  EXPECT_EQ(a.alloc_global_at("s", 255).pasid, 255u);
  EXPECT_EQ(a.alloc_global_at("s", 255).error, Error::in_use);
}

TEST(PasidSets, QuotaIsPerSetAndFreeingRestoresIt) {
  PasidAllocator a(params(Policy::global), 20);
  ASSERT_EQ(a.create_set("vm1", 2), Error::none);
  ASSERT_EQ(a.create_set("vm2", 1), Error::none);
  EXPECT_EQ(a.create_set("vm1", 5), Error::duplicate_set);
  const uint32_t p1 = a.alloc_global("vm1").pasid;
  a.alloc_global("vm1");
  auto r = a.alloc_global("vm1");
  EXPECT_EQ(r.error, Error::quota);
  EXPECT_EQ(a.set("vm1")->used, 2u);
  // Another set is unaffected by vm1's quota.
  EXPECT_TRUE(a.alloc_global("vm2").ok());
  EXPECT_EQ(a.alloc_global("vm2").error, Error::quota);
  // Only the owner frees.
  EXPECT_EQ(a.free_global("vm2", p1), Error::wrong_set);
  EXPECT_EQ(a.free_global("vm1", p1), Error::none);
  EXPECT_EQ(a.set("vm1")->used, 1u);
  EXPECT_EQ(a.alloc_global("vm1").pasid, p1);
  EXPECT_EQ(a.alloc_global("nobody").error, Error::unknown_set);
  EXPECT_EQ(a.free_global("nobody", p1), Error::unknown_set);
}

TEST(PasidSets, QuotaZeroRefusesEverything) {
  PasidAllocator a(params(Policy::rid_local), 20);
  ASSERT_EQ(a.create_set("none", 0), Error::none);
  EXPECT_EQ(a.alloc_local("none", 1).error, Error::quota);
}

TEST(PasidRidLocal, SameNumberOnDifferentRequesters) {
  PasidAllocator a(params(Policy::rid_local, 5), 20);  // 1..31 per RID
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  EXPECT_EQ(a.alloc_local("s", 0x10).pasid, 1u);
  EXPECT_EQ(a.alloc_local("s", 0x20).pasid, 1u);
  EXPECT_EQ(a.alloc_local("s", 0x10, 7).pasid, 7u);
  EXPECT_EQ(a.alloc_local("s", 0x20, 7).pasid, 7u);
  EXPECT_EQ(a.alloc_local("s", 0x20, 7).error, Error::in_use);
  EXPECT_TRUE(a.local_allocated(0x10, 7));
  EXPECT_FALSE(a.local_allocated(0x30, 7));
  // Freeing on one RID leaves the other's untouched.
  EXPECT_EQ(a.free_local("s", 0x10, 7), Error::none);
  EXPECT_TRUE(a.local_allocated(0x20, 7));
  EXPECT_EQ(a.free_local("s", 0x10, 7), Error::not_allocated);
}

TEST(PasidRidLocal, NoGlobalPasids) {
  PasidAllocator a(params(Policy::rid_local), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  EXPECT_EQ(a.alloc_global("s").error, Error::no_global);
  EXPECT_EQ(a.alloc_global_at("s", 5).error, Error::no_global);
  EXPECT_EQ(a.free_global("s", 5), Error::no_global);
  EXPECT_TRUE(a.global_range().empty());
}

TEST(PasidRidLocal, ExhaustionIsPerRequester) {
  PasidAllocator a(params(Policy::rid_local, 2), 20);  // 1..3 per RID
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a.alloc_local("s", 1).ok());
  EXPECT_EQ(a.alloc_local("s", 1).error, Error::exhausted);
  EXPECT_TRUE(a.alloc_local("s", 2).ok());
  EXPECT_EQ(a.free_local("s", 1, 2), Error::none);
  EXPECT_EQ(a.alloc_local("s", 1).pasid, 2u);
}

TEST(PasidPartitioned, BoundariesSeparateLocalFromGlobal) {
  PasidAllocator a(params(Policy::partitioned, 0, 4095), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  EXPECT_EQ(a.local_range().first, 1u);
  EXPECT_EQ(a.local_range().last, 4095u);
  EXPECT_EQ(a.global_range().first, 4096u);
  EXPECT_EQ(a.global_range().last, (1u << 20) - 1);
  EXPECT_EQ(a.alloc_global("s").pasid, 4096u);
  EXPECT_EQ(a.alloc_local("s", 3).pasid, 1u);
  // Each side refuses the other side's numbers, right at the boundary.
  EXPECT_EQ(a.alloc_local("s", 3, 4095).pasid, 4095u);
  EXPECT_EQ(a.alloc_local("s", 3, 4096).error, Error::out_of_range);
  EXPECT_EQ(a.alloc_global_at("s", 4095).error, Error::out_of_range);
  EXPECT_EQ(a.alloc_global_at("s", (1u << 20) - 1).pasid, (1u << 20) - 1);
  EXPECT_EQ(a.alloc_global_at("s", 1u << 20).error, Error::out_of_range);
  // RID-local numbers repeat across requesters; global ones do not.
  EXPECT_EQ(a.alloc_local("s", 4, 4095).pasid, 4095u);
  EXPECT_EQ(a.alloc_global("s").pasid, 4097u);
}

TEST(PasidPartitioned, ExhaustingOneRangeLeavesTheOther) {
  PasidAllocator a(params(Policy::partitioned, 4, 5), 20);  // local 1..5, global 6..15
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  for (uint32_t want = 6; want <= 15; ++want) EXPECT_EQ(a.alloc_global("s").pasid, want);
  EXPECT_EQ(a.alloc_global("s").error, Error::exhausted);
  for (uint32_t want = 1; want <= 5; ++want) EXPECT_EQ(a.alloc_local("s", 9).pasid, want);
  EXPECT_EQ(a.alloc_local("s", 9).error, Error::exhausted);
  EXPECT_TRUE(a.alloc_local("s", 10).ok());
  EXPECT_EQ(a.free_global("s", 10), Error::none);
  EXPECT_EQ(a.free_local("s", 9, 10), Error::not_allocated);  // 10 is not a local PASID
  EXPECT_EQ(a.alloc_global("s").pasid, 10u);
}

TEST(PasidRequesters, TheSameRidBehindTwoIommusHasTwoLocalSpaces) {
  PasidAllocator a(params(Policy::rid_local, 4), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  const Requester r0 = requester(0, 0x100), r1 = requester(1, 0x100);
  EXPECT_NE(r0, r1);
  EXPECT_EQ(a.alloc_local("s", r0, 3).pasid, 3u);
  EXPECT_EQ(a.alloc_local("s", r1, 3).pasid, 3u);  // not in use: another segment's RID
  EXPECT_TRUE(a.local_allocated(r1, 3));
  EXPECT_EQ(a.free_local("s", r0, 3), Error::none);
  EXPECT_TRUE(a.local_allocated(r1, 3));
  EXPECT_FALSE(a.local_allocated(r0, 3));
  // The largest requester key and PASID still make distinct allocation keys.
  const Requester top = requester(0xffff, 0xffff);
  EXPECT_EQ(a.alloc_local("s", top, 15).pasid, 15u);
  EXPECT_TRUE(a.local_allocated(top, 15));
  EXPECT_FALSE(a.local_allocated(requester(0xfffe, 0xffff), 15));
}

TEST(PasidRequesters, GlobalPasidsAreUniqueAcrossIommus) {
  PasidAllocator a(params(Policy::global), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  EXPECT_EQ(a.alloc_local("s", requester(0, 0x100)).pasid, 1u);
  EXPECT_EQ(a.alloc_local("s", requester(1, 0x100)).pasid, 2u);
  EXPECT_EQ(a.alloc_global("s", requester(2, 0x300)).pasid, 3u);
  EXPECT_EQ(a.alloc_local("s", requester(1, 0x100), 1).error, Error::in_use);
}

TEST(PasidRequesters, ANarrowIommuCapsWhatItsRequestersGet) {
  // A 20-bit system space; requester n sits behind a 2-bit IOMMU (PASIDs 1..3).
  PasidAllocator a(params(Policy::global), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  const Requester n = requester(1, 0x10), w = requester(0, 0x10);
  a.limit(n, 2);
  EXPECT_EQ(a.alloc_global("s", w).pasid, 1u);
  EXPECT_EQ(a.alloc_global("s", n).pasid, 2u);
  EXPECT_EQ(a.alloc_global("s", n).pasid, 3u);
  // Nothing left that n's IOMMU can carry, while the wide one goes on; nothing was taken.
  EXPECT_EQ(a.alloc_global("s", n).error, Error::exhausted);
  EXPECT_EQ(a.alloc_global("s", w).pasid, 4u);
  EXPECT_EQ(a.alloc_local("s", n, 5).error, Error::out_of_range);
  EXPECT_EQ(a.set("s")->used, 4u);
  // Freeing one below the cap lets n allocate again; lifting the cap opens the rest.
  EXPECT_EQ(a.free_global("s", 2), Error::none);
  EXPECT_EQ(a.alloc_global("s", n).pasid, 2u);
  a.limit(n, 20);
  EXPECT_EQ(a.alloc_global("s", n).pasid, 5u);
}

TEST(PasidRequesters, RidLocalSpacesStopAtTheRequestersWidth) {
  PasidAllocator a(params(Policy::partitioned, 0, 4095), 20);
  ASSERT_EQ(a.create_set("s", kNoQuota), Error::none);
  const Requester r = requester(0, 1);
  a.limit(r, 3);  // PASIDs 1..7
  for (uint32_t want = 1; want <= 7; ++want) EXPECT_EQ(a.alloc_local("s", r).pasid, want);
  EXPECT_EQ(a.alloc_local("s", r).error, Error::exhausted);
  EXPECT_EQ(a.alloc_local("s", requester(0, 2)).pasid, 1u);
}

}  // namespace
}  // namespace isim::pasid
