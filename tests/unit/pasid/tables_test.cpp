// PASID table encoders round-tripped through the models' own decoders: what a driver writes
// through the common interface is what the VT-d translator, the SMMUv3 CD fetch and the AMD-Vi
// GCR3 lookup read back; cleared entries give those decoders' architected faults.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/amdvi/gcr3.h"
#include "models/smmuv3/cd_table.h"
#include "models/vtd/translator.h"
#include "pasid/amd_gcr3_table.h"
#include "pasid/smmu_cd_table.h"
#include "pasid/vtd_pasid_table.h"

namespace isim::pasid {
namespace {

constexpr uint64_t kMem = uint64_t{1} << 36;
constexpr uint64_t kPoolBase = 0x100'0000;
constexpr uint64_t kPoolLimit = uint64_t{1} << 34;

/// What the model's decoder found for a PASID.
struct ReadBack {
  bool present = false;
  uint64_t pt_root = 0;
  uint16_t tag = 0;
};

/// One architecture/format: builds a table and reads entries back with the model's decoder.
struct Variant {
  std::string name;
  unsigned pasid_bits;  ///< what the table should index
  std::function<std::unique_ptr<PasidTable>(PhysMem&, PhysAllocator&)> make;
  std::function<ReadBack(PhysMem&, const PasidTable&, uint32_t)> read;
  bool has_tag;
};

ReadBack vtd_read(PhysMem& mem, const PasidTable& t, uint32_t pasid) {
  const auto& vt = static_cast<const VtdPasidTable&>(t);
  vtd::Capabilities caps;
  vtd::Translator tr(caps, mem);
  vtd::DeviceContext ctx;
  ctx.scalable = true;
  ctx.sm.present = true;
  ctx.sm.paside = true;
  ctx.sm.pasid_dir = vt.root();
  ctx.sm.pdts = vt.pdts();
  pt::WalkLog log;
  const auto s = tr.fetch_pasid_entry(ctx, pasid, log);
  if (!s.ok()) {
    // Only "not present" is an acceptable failure for an entry the table never populated.
    EXPECT_TRUE(s.reason == vtd::FaultReason::SPD_2 || s.reason == vtd::FaultReason::SPT_2)
        << "fault " << static_cast<int>(s.reason);
    return {};
  }
  EXPECT_EQ(s.value.entry.pgtt, static_cast<unsigned>(vtd::Pgtt::FirstStage));
  return {true, s.value.entry.flptptr, s.value.entry.did};
}

ReadBack smmu_read(PhysMem& mem, const PasidTable& t, uint32_t pasid) {
  const auto& st = static_cast<const SmmuCdTable&>(t);
  smmuv3::IdParams caps;
  smmuv3::Ste ste;
  st.describe(ste);
  const auto f = smmuv3::fetch_cd(mem, ste, pasid, caps, nullptr);
  if (f.status == smmuv3::CdFetchStatus::kBadSubstream) return {};  // L1CD.V = 0
  EXPECT_EQ(f.status, smmuv3::CdFetchStatus::kOk);
  const smmuv3::Cd cd = smmuv3::decode_cd(f.words);
  if (!cd.v) return {};
  // The CD is legal for a stream of this SMMU (5.4.2).
  EXPECT_EQ(smmuv3::check_cd(cd, ste, caps), smmuv3::CdError::kNone);
  return {true, cd.ttb0, cd.asid};
}

ReadBack amd_read(PhysMem& mem, const PasidTable& t, uint32_t pasid) {
  const auto& at = static_cast<const AmdGcr3Table&>(t);
  pt::WalkLog log;
  const auto l = amdvi::lookup_gcr3(mem, at.root(), at.glx(), pasid, log);
  if (l.fault == amdvi::Gcr3Fault::NotValid) return {};
  EXPECT_TRUE(l.ok()) << static_cast<int>(l.fault);
  return {l.ok(), l.gcr3, 0};
}

template <class T, class O>
std::function<std::unique_ptr<PasidTable>(PhysMem&, PhysAllocator&)> maker(O o) {
  return [o](PhysMem& m, PhysAllocator& a) { return std::make_unique<T>(m, a, o); };
}

std::vector<Variant> variants() {
  std::vector<Variant> v;
  for (unsigned bits : {8u, 20u}) {
    VtdTableOptions o;
    o.pasid_bits = bits;
    v.push_back({"vtd_" + std::to_string(bits), bits, maker<VtdPasidTable>(o), vtd_read, true});
  }
  using smmuv3::S1Fmt;
  for (auto [fmt, fname] :
       {std::pair{S1Fmt::kLinear, "linear"}, std::pair{S1Fmt::k2Level4K, "l2_4k"},
        std::pair{S1Fmt::k2Level64K, "l2_64k"}}) {
    SmmuTableOptions o;
    o.fmt = fmt;
    o.ssid_bits = fmt == S1Fmt::kLinear ? 12 : 20;
    v.push_back(
        {std::string("smmu_") + fname, o.ssid_bits, maker<SmmuCdTable>(o), smmu_read, true});
  }
  for (unsigned levels : {1u, 2u}) {
    AmdTableOptions o;
    o.levels = levels;
    o.pasid_bits = 16;
    v.push_back({"amd_" + std::to_string(levels) + "level", levels == 1 ? 9u : 16u,
                 maker<AmdGcr3Table>(o), amd_read, false});
  }
  return v;
}

class PasidTables : public ::testing::TestWithParam<Variant> {
 protected:
  SparseMemory mem{kMem};
  PhysAllocator alloc{kPoolBase, kPoolLimit};
};

PasidBinding binding(uint32_t pasid) {
  // Distinct, page-aligned roots and tags per PASID so a mix-up shows.
  return {0x4000'0000 + uint64_t{pasid} * 0x1000, static_cast<uint16_t>(pasid * 7 + 1)};
}

TEST_P(PasidTables, PopulatedEntriesRoundTripThroughTheModelDecoder) {
  const Variant& v = GetParam();
  auto t = v.make(mem, alloc);
  ASSERT_NE(t->root(), 0u);
  EXPECT_EQ(t->pasid_bits(), v.pasid_bits);
  const uint32_t top = (1u << v.pasid_bits) - 1;
  const std::vector<uint32_t> pasids = {1, 2, 63, 64, top / 2, top};
  for (uint32_t p : pasids) ASSERT_EQ(t->set(p, binding(p)), TableError::none) << p;
  EXPECT_EQ(t->entries(), pasids.size());
  for (uint32_t p : pasids) {
    const ReadBack r = v.read(mem, *t, p);
    ASSERT_TRUE(r.present) << p;
    EXPECT_EQ(r.pt_root, binding(p).pt_root) << p;
    if (v.has_tag) {
      EXPECT_EQ(r.tag, binding(p).tag) << p;
    }
  }
  // Neighbours never populated read as not present.
  for (uint32_t p : {3u, 65u, top - 1}) EXPECT_FALSE(v.read(mem, *t, p).present) << p;
}

TEST_P(PasidTables, ReplacingAnEntryKeepsTheCount) {
  const Variant& v = GetParam();
  auto t = v.make(mem, alloc);
  ASSERT_EQ(t->set(5, binding(5)), TableError::none);
  ASSERT_EQ(t->set(5, binding(9)), TableError::none);
  EXPECT_EQ(t->entries(), 1u);
  EXPECT_EQ(v.read(mem, *t, 5).pt_root, binding(9).pt_root);
}

TEST_P(PasidTables, ClearTearsDownAndReleasesEmptyLeaves) {
  const Variant& v = GetParam();
  auto t = v.make(mem, alloc);
  const uint64_t empty_bytes = t->table_bytes();
  const uint32_t top = (1u << v.pasid_bits) - 1;
  ASSERT_EQ(t->set(1, binding(1)), TableError::none);
  ASSERT_EQ(t->set(top, binding(top)), TableError::none);
  EXPECT_EQ(t->clear(1), TableError::none);
  EXPECT_FALSE(v.read(mem, *t, 1).present);
  EXPECT_TRUE(v.read(mem, *t, top).present);
  EXPECT_EQ(t->clear(1), TableError::not_present);
  EXPECT_EQ(t->clear(top), TableError::none);
  EXPECT_EQ(t->entries(), 0u);
  EXPECT_EQ(t->table_bytes(), empty_bytes);  // leaf tables went back to the allocator
  EXPECT_FALSE(v.read(mem, *t, top).present);
  // The root survives: the entry can be populated again.
  ASSERT_EQ(t->set(top, binding(top)), TableError::none);
  EXPECT_TRUE(v.read(mem, *t, top).present);
}

TEST_P(PasidTables, PasidsBeyondTheTableAreRefused) {
  const Variant& v = GetParam();
  auto t = v.make(mem, alloc);
  const uint32_t beyond = 1u << v.pasid_bits;
  EXPECT_EQ(t->set(beyond, binding(1)), TableError::out_of_range);
  EXPECT_EQ(t->clear(beyond), TableError::out_of_range);
  EXPECT_EQ(t->entries(), 0u);
}

TEST_P(PasidTables, ExhaustedAllocatorIsReportedNotCrashed) {
  const Variant& v = GetParam();
  auto t = v.make(mem, alloc);
  // A second table whose allocator holds exactly its root: any leaf allocation fails.
  PhysAllocator tiny(kPoolLimit, kPoolLimit + t->table_bytes());
  auto t2 = v.make(mem, tiny);
  ASSERT_NE(t2->root(), 0u);
  const TableError e = t2->set(1, binding(1));
  // Single-level formats need no leaf; multi-level ones must say they ran out.
  if (e != TableError::none) {
    EXPECT_EQ(e, TableError::no_memory);
    EXPECT_EQ(t2->entries(), 0u);
  }
  PhysAllocator none(kPoolLimit, kPoolLimit);
  auto t3 = v.make(mem, none);
  EXPECT_EQ(t3->root(), 0u);
  EXPECT_EQ(t3->set(1, binding(1)), TableError::no_memory);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, PasidTables, ::testing::ValuesIn(variants()),
                         [](const auto& info) { return info.param.name; });

TEST(VtdPasidTable, DirectorySizeFollowsThePasidWidth) {
  SparseMemory mem{kMem};
  PhysAllocator alloc{kPoolBase, kPoolLimit};
  for (auto [bits, pdts] : {std::pair{20u, 7u}, {13u, 0u}, {8u, 0u}, {16u, 3u}}) {
    VtdTableOptions o;
    o.pasid_bits = bits;
    VtdPasidTable t(mem, alloc, o);
    EXPECT_EQ(t.pdts(), pdts) << bits;
    // 2^(PDTS+7) directory entries of 64 PASIDs each cover the width.
    EXPECT_GE(uint64_t{1} << (t.pdts() + 7 + 6), uint64_t{1} << bits);
  }
}

TEST(SmmuCdTable, DescribesTheSteFields) {
  SparseMemory mem{kMem};
  PhysAllocator alloc{kPoolBase, kPoolLimit};
  SmmuTableOptions o;
  o.fmt = smmuv3::S1Fmt::k2Level4K;
  o.ssid_bits = 16;
  SmmuCdTable t(mem, alloc, o);
  smmuv3::Ste ste;
  t.describe(ste);
  EXPECT_EQ(ste.s1cdmax, 16u);
  EXPECT_EQ(ste.fmt(), smmuv3::S1Fmt::k2Level4K);
  EXPECT_EQ(ste.s1_context_ptr, t.root());
  // 2^(16-6) L1CDs of 8 bytes.
  EXPECT_EQ(t.table_bytes(), (uint64_t{1} << 10) * 8);
}

TEST(AmdGcr3Table, LevelsFollowLinuxChoice) {
  EXPECT_EQ(gcr3_levels_for(9), 1u);
  EXPECT_EQ(gcr3_levels_for(10), 2u);
  EXPECT_EQ(gcr3_levels_for(16), 2u);
}

}  // namespace
}  // namespace isim::pasid
