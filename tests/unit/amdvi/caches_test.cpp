// The model's cache tags and invalidation predicates (2.4.3), and the PPR log entry (2.6).
#include <gtest/gtest.h>

#include "models/amdvi/amdvi_caches.h"
#include "models/amdvi/ppr.h"

namespace isim::amdvi {
namespace {

IotlbKey key(uint16_t dom, bool gn, uint32_t pasid, uint64_t va, unsigned lg2) {
  return IotlbKey::of(IotlbTag{dom, gn, pasid}, va, lg2);
}

TEST(AmdviCaches, HostInvalidationIsScopedToDomainAndRange) {
  const Command c = Command::invalidate_iommu_pages(5, 0x40000, 0x1000, false);
  const IotlbEntry host{};
  EXPECT_TRUE(iotlb_hit_by(c, key(5, false, 0, 0x40000, 12), host));
  EXPECT_FALSE(iotlb_hit_by(c, key(6, false, 0, 0x40000, 12), host));
  EXPECT_FALSE(iotlb_hit_by(c, key(5, false, 0, 0x41000, 12), host));
  // A 2 MiB entry containing the page is hit by it.
  EXPECT_TRUE(iotlb_hit_by(c, key(5, false, 0, 0x0, 21), host));
  // PASID-tagged entries: only nested ones whose GPA page overlaps.
  IotlbEntry nested{};
  nested.type = TranslationType::Nested;
  nested.gpa_page = 0x40000;
  EXPECT_TRUE(iotlb_hit_by(c, key(5, true, 3, 0x9000, 12), nested));
  nested.gpa_page = 0x80000;
  EXPECT_FALSE(iotlb_hit_by(c, key(5, true, 3, 0x9000, 12), nested));
  IotlbEntry guest{};
  guest.type = TranslationType::Guest;
  EXPECT_FALSE(iotlb_hit_by(c, key(5, true, 3, 0x40000, 12), guest));
}

TEST(AmdviCaches, GuestInvalidationIsScopedToPasid) {
  const Command c = Command::invalidate_iommu_pages(5, 0x8000, 0x1000, true, true, 7);
  const IotlbEntry e{};
  EXPECT_TRUE(iotlb_hit_by(c, key(5, true, 7, 0x8000, 12), e));
  EXPECT_FALSE(iotlb_hit_by(c, key(5, true, 8, 0x8000, 12), e));
  EXPECT_FALSE(iotlb_hit_by(c, key(5, false, 0, 0x8000, 12), e));
}

TEST(AmdviCaches, PdeInvalidationCoversTablesReachingIntoTheRange) {
  // All pages of the domain (S = 1, all-pages address).
  Command all = Command::invalidate_iommu_pages(5, 0, ~uint64_t{0}, true);
  EXPECT_TRUE(pde_hit_by(all, PdeKey{5, 0, pde_prefix(0x12345000, 0)}));
  EXPECT_FALSE(pde_hit_by(all, PdeKey{6, 0, 0}));
  // One page: the level-0 table serving its 2 MiB and the level-1 table serving its 1 GiB.
  const Command one = Command::invalidate_iommu_pages(5, 0x40000, 0x1000, true);
  EXPECT_TRUE(pde_hit_by(one, PdeKey{5, 0, pde_prefix(0x40000, 0)}));
  EXPECT_TRUE(pde_hit_by(one, PdeKey{5, 1, pde_prefix(0x40000, 1)}));
  EXPECT_FALSE(pde_hit_by(one, PdeKey{5, 0, pde_prefix(0x200000, 0)}));
  // The top tables reach the whole space.
  EXPECT_EQ(pde_prefix(0xffff'ffff'ffff'f000, 5), 0u);
  EXPECT_TRUE(pde_hit_by(one, PdeKey{5, 5, 0}));
}

TEST(AmdviPpr, EntryLayoutMatchesTheLogFormat) {
  PprEntry e;
  e.device_id = 0x50;
  e.gn = true;
  e.pasid = 0x12345;
  e.tag = 0x1ff;
  e.read = true;
  e.write = true;
  e.user = true;
  e.exec = true;
  e.addr = 0x43000;
  const Qw2 q = e.encode();
  EXPECT_EQ(bits(q[0], 15, 0), 0x50u);
  EXPECT_EQ(bits(q[0], 31, 16), 0x2345u);
  EXPECT_EQ(bits(q[0], 45, 42), 0x1u);
  EXPECT_EQ(bits(q[0], 40, 32), 0x1ffu);
  // Linux PPR_FLAG_EXEC 0x002, READ 0x004, WRITE 0x020, US 0x040, GN 0x100 in 59:48.
  EXPECT_EQ(bits(q[0], 59, 48), 0x002u | 0x004u | 0x020u | 0x040u | 0x100u);
  EXPECT_EQ(bits(q[0], 63, 60), 0x1u);
  EXPECT_EQ(q[1], 0x43000u);
  EXPECT_EQ(PprEntry::decode(q), e);
  EXPECT_FALSE(bit(q[0], 41));
}

TEST(AmdviPpr, LastInGroupIsTagBitNine) {
  PprEntry e;
  e.device_id = 0x0100;
  e.tag = 0x003;
  e.last = true;
  e.gn = true;
  e.pasid = 7;
  e.write = true;
  e.addr = 0x7000;
  // Written out by hand: tag 3 | bit 9 in 41:32, PASID 7 in 31:16, WRITE|GN flags, type 1.
  const Qw2 want{0x1120'0203'0007'0100ull, 0x7000ull};
  EXPECT_EQ(e.encode(), want);
  EXPECT_EQ(PprEntry::decode(want), e);
}

}  // namespace
}  // namespace isim::amdvi
