// The hypervisor's TCE table writer against the hardware walker and against the bit layout
// written out by hand, for every level count and TCE page size the format accepts.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "base/bits.h"
#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/tce/tce_entry.h"
#include "models/tce/tce_table.h"
#include "pagetable/walker.h"

namespace isim::tce {
namespace {

constexpr uint64_t kMem = uint64_t{1} << 32;
constexpr uint64_t kPool = uint64_t{3} << 30;

struct Geometry {
  unsigned page_lg2;
  unsigned levels;
};

class TceTableAllGeometries : public ::testing::TestWithParam<Geometry> {};

/// The level-0 entry address for `index`, following indirect TCEs by hand (IODA3: each level
/// indexes with `bits` bits of the TCE index, most significant level first; indirect TCE =
/// table address | R | W).
uint64_t hand_leaf_pa(PhysMem& mem, uint64_t root, unsigned levels, unsigned bits, uint64_t index) {
  uint64_t table = root;
  for (unsigned l = levels - 1; l > 0; --l) {
    const uint64_t e = *mem.read_be64(table + 8 * ((index >> (bits * l)) & (lg2_size(bits) - 1)));
    EXPECT_EQ(e & 3, 3u) << "indirect TCE must carry R|W";
    table = e & ~uint64_t{0xfff};
  }
  return table + 8 * (index & (lg2_size(bits) - 1));
}

TEST_P(TceTableAllGeometries, WritesWhatTheWalkerAndTheBitLayoutRead) {
  const Geometry g = GetParam();
  pt::TceConfig c;
  c.page_lg2 = g.page_lg2;
  c.levels = g.levels;
  // Small windows keep the tables small: 9 index bits per level (4 KiB tables). Geometries
  // the format rejects (a 16 GiB page under 4 more levels of 9 bits exceeds 64 bits) skip.
  c.window_lg2 = std::min(g.page_lg2 + 9 * g.levels, 63u);
  std::string why;
  auto fmt = pt::TceFormat::create(c, &why);
  if (!fmt) GTEST_SKIP() << "geometry not valid: " << why;
  auto mem_owner = std::make_unique<SparseMemory>(kMem);  // too large for the stack
  SparseMemory& mem = *mem_owner;
  PhysAllocator alloc(kPool, kMem);
  auto t = TceTable::create(*fmt, mem, alloc);
  ASSERT_TRUE(t);
  const uint64_t entries = fmt->window_entries();
  const uint64_t page = lg2_size(g.page_lg2);
  const uint64_t idx[] = {0, 1, entries / 2 + 3, entries - 1};
  for (uint64_t i : idx) {
    // Real pages below 2 GiB, distinct per index.
    const uint64_t real = ((i % 7) + 1) * page % (uint64_t{1} << 31);
    const uint64_t tce = make_tce(align_down(real, g.page_lg2), true, i % 2 == 0);
    ASSERT_TRUE(t->write(i, tce));
    EXPECT_EQ(*t->read(i), tce);
    EXPECT_EQ(*mem.read_be64(hand_leaf_pa(mem, t->root(), g.levels, fmt->num_items_lg2(0), i)),
              tce);
    const uint64_t off = i * page + (page >> 1);
    const pt::WalkResult r = pt::walk(*fmt, mem, t->root(), off, pt::AccessReq::r());
    ASSERT_TRUE(r.ok()) << pt::to_string(r.fault.kind);
    EXPECT_EQ(r.tr.oa, align_down(real, g.page_lg2) + (page >> 1));
    EXPECT_EQ(r.log.reads.size(), g.levels);
    EXPECT_EQ(pt::walk(*fmt, mem, t->root(), off, pt::AccessReq::w()).ok(), i % 2 == 0);
  }
  // An index never written reads as 0 and walks to NotPresent.
  EXPECT_EQ(*t->read(2), 0u);
  EXPECT_EQ(pt::walk(*fmt, mem, t->root(), 2 * page, pt::AccessReq::r()).fault.kind,
            pt::FaultKind::NotPresent);
  // Out of range.
  EXPECT_FALSE(t->read(entries));
  EXPECT_FALSE(t->write(entries, 1));
}

std::vector<Geometry> all_geometries() {
  std::vector<Geometry> v;
  for (unsigned p : {12u, 16u, 21u, 24u, 28u, 30u, 34u})
    for (unsigned l = 1; l <= 5; ++l) v.push_back({p, l});
  return v;
}

INSTANTIATE_TEST_SUITE_P(PagesAndLevels, TceTableAllGeometries,
                         ::testing::ValuesIn(all_geometries()),
                         [](const ::testing::TestParamInfo<Geometry>& i) {
                           return "page" + std::to_string(i.param.page_lg2) + "_levels" +
                                  std::to_string(i.param.levels);
                         });

TEST(TceTable, ClearingAMissingLowerTableAllocatesNothingAndFreeingReturnsAll) {
  pt::TceConfig c;
  c.levels = 3;
  c.window_lg2 = 12 + 27;
  auto mem_owner = std::make_unique<SparseMemory>(kMem);  // too large for the stack
  SparseMemory& mem = *mem_owner;
  PhysAllocator alloc(kPool, kMem);
  {
    auto t = TceTable::create(pt::TceFormat(c), mem, alloc);
    ASSERT_TRUE(t);
    const uint64_t root_only = alloc.bytes_in_use();
    EXPECT_TRUE(t->write(12345, 0));
    EXPECT_EQ(alloc.bytes_in_use(), root_only);
    EXPECT_TRUE(t->write(12345, make_tce(0x1000, true, true)));
    EXPECT_EQ(alloc.bytes_in_use(), 3 * root_only);
    EXPECT_EQ(t->bytes(), 3 * root_only);
  }
  EXPECT_EQ(alloc.bytes_in_use(), 0u);
}

TEST(TceTable, PoolExhaustionIsReported) {
  pt::TceConfig c;
  c.levels = 2;
  c.window_lg2 = 12 + 18;
  auto mem_owner = std::make_unique<SparseMemory>(kMem);  // too large for the stack
  SparseMemory& mem = *mem_owner;
  PhysAllocator alloc(kPool, kPool + 4096);  // room for the root only
  auto t = TceTable::create(pt::TceFormat(c), mem, alloc);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->write(0, make_tce(0x1000, true, false)));
  EXPECT_EQ(*t->read(0), 0u);
}

}  // namespace
}  // namespace isim::tce
