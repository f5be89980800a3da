#include "pasid/migration.h"

#include <gtest/gtest.h>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "pasid/vtd_pasid_table.h"

namespace isim::pasid {
namespace {

constexpr uint64_t kNoQuota = ~uint64_t{0};
constexpr uint16_t kRid = 0x0300;

PolicyParams partitioned() {
  PolicyParams p;
  p.policy = Policy::partitioned;
  p.local_last = 4095;
  return p;
}

/// A destination host: its allocator with other tenants' PASIDs and the device's PASID table.
struct Destination {
  SparseMemory mem{uint64_t{1} << 32};
  PhysAllocator alloc{0x10'0000, uint64_t{1} << 31};
  PasidAllocator pasids{partitioned(), 20};
  VtdPasidTable table{mem, alloc, VtdTableOptions{}};
  std::map<uint16_t, PasidTable*> tables{{kRid, &table}};
  PasidTranslationTable tt;

  Destination() {
    EXPECT_EQ(pasids.create_set("others", kNoQuota), Error::none);
    EXPECT_EQ(pasids.create_set("vm", kNoQuota), Error::none);
    // Another tenant holds the first global PASIDs.
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(pasids.alloc_global("others").ok());  // 4096..4098
  }
};

VmPasid global(uint32_t g, uint32_t h, bool keep = false) {
  return {g, h, true, kRid, keep, {0x5000'0000 + uint64_t{g} * 0x1000, 1}};
}
VmPasid local(uint32_t g) {
  return {g, g, false, kRid, false, {0x6000'0000 + uint64_t{g} * 0x1000, 1}};
}

TEST(PasidMigration, WithoutConflictsNumbersAreKept) {
  Destination d;
  const std::vector<VmPasid> vm = {local(3), local(7), global(1, 5000), global(2, 5001)};
  const MigrationReport r = migrate(vm, d.pasids, "vm", d.tables, d.tt);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.conflicts.empty());
  EXPECT_TRUE(r.remaps.empty());
  EXPECT_EQ(r.reprogrammed, 4u);
  EXPECT_EQ(d.table.entries(), 4u);
  EXPECT_TRUE(d.pasids.local_allocated(kRid, 7));
  EXPECT_TRUE(d.pasids.global_allocated(5001));
  EXPECT_EQ(d.tt.translate(2, false).hpasid, 5001u);
  const MigrationCosts c;
  EXPECT_EQ(r.cost, 4 * (c.entry_write + c.invalidation));
}

TEST(PasidMigration, CollidingGlobalPasidIsRemappedThroughTheTranslationTable) {
  Destination d;
  const std::vector<VmPasid> vm = {global(1, 4097), global(2, 6000)};
  const MigrationReport r = migrate(vm, d.pasids, "vm", d.tables, d.tt);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0], 4097u);
  ASSERT_EQ(r.remaps.size(), 1u);
  EXPECT_EQ(r.remaps[0].gpasid, 1u);
  EXPECT_EQ(r.remaps[0].from, 4097u);
  EXPECT_EQ(r.remaps[0].to, 4099u);  // lowest free global PASID at the destination
  // The guest keeps using gPASID 1; the CPU now sends 4099.
  EXPECT_EQ(d.tt.translate(1, false).hpasid, 4099u);
  EXPECT_EQ(d.tt.translate(2, false).hpasid, 6000u);
  const MigrationCosts c;
  EXPECT_EQ(r.cost, 2 * (c.entry_write + c.invalidation) + c.translation_update);
}

TEST(PasidMigration, APasidThatMustKeepItsNumberFailsCleanly) {
  Destination d;
  const std::vector<VmPasid> vm = {local(3), global(1, 6000), global(2, 4096, /*keep=*/true)};
  const MigrationReport r = migrate(vm, d.pasids, "vm", d.tables, d.tt);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("0x1000"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("must keep"), std::string::npos) << r.error;
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0], 4096u);
  // Nothing of the VM stays at the destination.
  EXPECT_FALSE(d.pasids.local_allocated(kRid, 3));
  EXPECT_FALSE(d.pasids.global_allocated(6000));
  EXPECT_EQ(d.pasids.set("vm")->used, 0u);
  EXPECT_EQ(d.table.entries(), 0u);
  EXPECT_EQ(d.tt.size(), 0u);
  EXPECT_EQ(r.cost, 0u);
}

TEST(PasidMigration, QuotaAtTheDestinationIsReported) {
  Destination d;
  ASSERT_EQ(d.pasids.create_set("small", 1), Error::none);
  const std::vector<VmPasid> vm = {global(1, 6000), global(2, 6001)};
  const MigrationReport r = migrate(vm, d.pasids, "small", d.tables, d.tt);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("quota"), std::string::npos) << r.error;
  EXPECT_FALSE(d.pasids.global_allocated(6000));
}

TEST(PasidMigration, MissingTableOrSetIsReported) {
  Destination d;
  std::map<uint16_t, PasidTable*> none;
  const MigrationReport r = migrate({global(1, 6000)}, d.pasids, "vm", none, d.tt);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(d.pasids.global_allocated(6000));
  EXPECT_FALSE(migrate({global(1, 6000)}, d.pasids, "nope", d.tables, d.tt).ok);
}

}  // namespace
}  // namespace isim::pasid
