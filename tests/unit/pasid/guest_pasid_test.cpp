#include "pasid/guest_pasid.h"

#include <gtest/gtest.h>

namespace isim::pasid {
namespace {

constexpr uint64_t kNoQuota = ~uint64_t{0};

TEST(PasidTranslation, MappedGuestPasidTranslates) {
  PasidTranslationTable t;
  ASSERT_TRUE(t.map(5, 0x4001));
  const auto r = t.translate(5, false);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.hpasid, 0x4001u);
  EXPECT_FALSE(t.map(1u << 20, 1));
  EXPECT_FALSE(t.map(1, 1u << 20));
}

TEST(PasidTranslation, MissingEntryIsTheArchitectedVmExit) {
  PasidTranslationTable t;
  ASSERT_TRUE(t.map(5, 0x4001));
  EXPECT_EQ(t.translate(6, false).exit_reason, kExitEnqcmdPasidFail);
  EXPECT_EQ(t.translate(6, true).exit_reason, kExitEnqcmdsPasidFail);
  EXPECT_FALSE(t.translate(6, false).ok);
  ASSERT_TRUE(t.unmap(5));
  EXPECT_FALSE(t.translate(5, false).ok);
}

PolicyParams partitioned() {
  PolicyParams p;
  p.policy = Policy::partitioned;
  p.local_last = 4095;
  return p;
}

TEST(VIommu, GuestLocalNeedsNoHypercallAndKeepsTheNumber) {
  PasidAllocator host(partitioned(), 20);
  ASSERT_EQ(host.create_set("vm1", kNoQuota), Error::none);
  PasidTranslationTable tt;
  VIommuPasids v(host, "vm1", 0x0300, VIommuMode::guest_local, tt);
  const GuestAlloc g = v.alloc(17);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g.hpasid, 17u);
  EXPECT_TRUE(host.local_allocated(0x0300, 17));
  EXPECT_EQ(v.hypercalls(), 0u);
  // A guest-chosen PASID outside the local range is refused by the host's policy.
  EXPECT_EQ(v.alloc(5000).error, Error::out_of_range);
  EXPECT_EQ(v.alloc(17).error, Error::in_use);
  EXPECT_EQ(v.free(17), Error::none);
  EXPECT_FALSE(host.local_allocated(0x0300, 17));
}

TEST(VIommu, ParavirtGlobalTranslatesTheGuestNumberAndCostsACall) {
  PasidAllocator host(partitioned(), 20);
  ASSERT_EQ(host.create_set("vm1", kNoQuota), Error::none);
  ASSERT_EQ(host.create_set("vm2", kNoQuota), Error::none);
  PasidTranslationTable t1, t2;
  VIommuPasids v1(host, "vm1", 0x0300, VIommuMode::paravirt_global, t1);
  VIommuPasids v2(host, "vm2", 0x0400, VIommuMode::paravirt_global, t2);
  // Both guests use gPASID 1; they get different host PASIDs from the global range.
  const GuestAlloc a = v1.alloc(1), b = v2.alloc(1);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a.hpasid, b.hpasid);
  EXPECT_GE(a.hpasid, 4096u);
  EXPECT_EQ(t1.translate(1, false).hpasid, a.hpasid);
  EXPECT_EQ(t2.translate(1, false).hpasid, b.hpasid);
  EXPECT_EQ(v1.hypercalls(), 1u);
  EXPECT_EQ(v1.free(1), Error::none);
  EXPECT_EQ(v1.hypercalls(), 2u);
  EXPECT_FALSE(host.global_allocated(a.hpasid));
  EXPECT_EQ(v1.free(1), Error::not_allocated);
}

TEST(VIommu, QuotaOfTheVmSetLimitsTheGuest) {
  PasidAllocator host(partitioned(), 20);
  ASSERT_EQ(host.create_set("vm1", 1), Error::none);
  PasidTranslationTable tt;
  VIommuPasids v(host, "vm1", 0x0300, VIommuMode::paravirt_global, tt);
  ASSERT_TRUE(v.alloc(1).ok());
  EXPECT_EQ(v.alloc(2).error, Error::quota);
  EXPECT_FALSE(tt.lookup(2));
}

}  // namespace
}  // namespace isim::pasid
