// The SMMU cache set's invalidation scopes (IHI 0070 4.3, 4.4, 3.17): each command removes
// exactly the entries its scope names.
#include <gtest/gtest.h>

#include "models/smmuv3/smmu_caches.h"

namespace isim::smmuv3 {
namespace {

TlbKey s1key(uint16_t vmid, uint16_t asid, uint64_t va, unsigned lg2 = 12) {
  TlbTag t;
  t.vmid = vmid;
  t.asid = asid;
  t.kind = TlbKind::kS1;
  return TlbKey::of(t, va, lg2);
}
TlbKey gkey(uint16_t vmid, bool aset, uint64_t va) {
  TlbTag t;
  t.vmid = vmid;
  t.aset = aset;
  t.kind = TlbKind::kS1Global;
  return TlbKey::of(t, va, 12);
}
TlbKey s2key(uint16_t vmid, uint64_t ipa) {
  TlbTag t;
  t.vmid = vmid;
  t.kind = TlbKind::kS2;
  return TlbKey::of(t, ipa, 12);
}

CacheGeometry big() {
  CacheGeometry g;
  g.ste = g.cd = g.tlb = g.ipa = CacheParams{256, 256};
  return g;
}

TEST(SmmuCaches, LookupFindsEveryPageSizeAndGlobalEntries) {
  SmmuCaches c(big());
  c.tlb.insert(s1key(1, 5, 0x40000000, 21), TlbEntry{0x80000000, pt::Perms::all(), true, false});
  TlbKey k;
  const TlbEntry* e = c.lookup_s1(1, 5, false, 0x401ff008, &k);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(k, s1key(1, 5, 0x40000000, 21));
  EXPECT_EQ(e->oa_page, 0x80000000u);
  EXPECT_EQ(c.lookup_s1(1, 6, false, 0x401ff008, &k), nullptr);  // another ASID
  EXPECT_EQ(c.lookup_s1(2, 5, false, 0x401ff008, &k), nullptr);  // another VMID
  // A global entry matches every ASID of its VMID and ASET.
  c.tlb.insert(gkey(1, false, 0x9000), TlbEntry{0x1000, pt::Perms::all(), true, false});
  EXPECT_NE(c.lookup_s1(1, 77, false, 0x9000, &k), nullptr);
  EXPECT_EQ(c.lookup_s1(1, 77, true, 0x9000, &k), nullptr);
  EXPECT_EQ(c.lookup_s2(1, 0x9000, &k), nullptr);
}

TEST(SmmuCaches, TlbiScopes) {
  SmmuCaches c(big());
  const TlbEntry e{0x1000, pt::Perms::all(), true, false};
  auto fill = [&] {
    c.tlb.invalidate_all();
    c.tlb.insert(s1key(1, 5, 0x1000), e);
    c.tlb.insert(s1key(1, 5, 0x2000), e);
    c.tlb.insert(s1key(1, 6, 0x1000), e);
    c.tlb.insert(s1key(2, 5, 0x1000), e);
    c.tlb.insert(gkey(1, false, 0x1000), e);
    c.tlb.insert(s2key(1, 0x1000), e);
  };
  fill();
  EXPECT_EQ(c.tlbi_nh_asid(1, 5), 2u);  // non-global entries of VMID 1 ASID 5 only
  fill();
  EXPECT_EQ(c.tlbi_nh_va(1, 5, AddrRange{0x1000, 0x1001}), 2u);  // ASID 5 + global
  EXPECT_NE(c.tlb.peek(s1key(1, 5, 0x2000)), nullptr);
  fill();
  EXPECT_EQ(c.tlbi_nh_vaa(1, AddrRange{0x1000, 0x1001}), 3u);  // every ASID, VMID 1
  fill();
  EXPECT_EQ(c.tlbi_nh_all(1), 4u);  // stage-1 entries of VMID 1, not stage 2
  EXPECT_NE(c.tlb.peek(s2key(1, 0x1000)), nullptr);
  fill();
  EXPECT_EQ(c.tlbi_s2_ipa(1, AddrRange{0x1000, 0x1001}), 1u);
  fill();
  EXPECT_EQ(c.tlbi_s12_vmall(1), 5u);
  fill();
  EXPECT_EQ(c.tlbi_nsnh_all(), 6u);
}

TEST(SmmuCaches, RangeFormCoversNumTimesScaleGranules) {
  Command cmd;
  cmd.tg = 1;  // 4 KiB
  cmd.num = 2;
  cmd.scale = 1;  // (2 + 1) * 2^1 = 6 pages
  const AddrRange r = tlbi_range(cmd, 0x10000);
  EXPECT_EQ(r.lo, 0x10000u);
  EXPECT_EQ(r.end, 0x16000u);
  EXPECT_TRUE(r.overlaps(0x15000, 12));
  EXPECT_FALSE(r.overlaps(0x16000, 12));
  EXPECT_TRUE(r.overlaps(0x0, 21));  // a 2 MiB entry containing the range
  cmd.tg = 0;
  EXPECT_EQ(tlbi_range(cmd, 0x10000).end, 0x10001u);
}

pt::ArmLpaeFormat s1_4k_48() {
  pt::ArmLpaeConfig c;
  c.granule_lg2 = 12;
  c.tsz = 16;
  c.oas_bits = 48;
  return pt::ArmLpaeFormat(c);
}

TEST(SmmuCaches, WalkCacheKeepsTablesUntilNonLeafInvalidation) {
  SmmuCaches c(big());
  const pt::ArmLpaeFormat fmt = s1_4k_48();
  // A walk that read four descriptors: three tables (levels 3, 2, 1 in our numbering) and a
  // leaf page.
  ReadLog log;
  log.push({0x1000, 0x2003, 8, ReadKind::kS1Table, 3, true});
  log.push({0x2000, 0x3003, 8, ReadKind::kS1Table, 2, true});
  log.push({0x3000, 0x4003, 8, ReadKind::kS1Table, 1, true});
  log.push({0x4000, 0x9000 | 0x403 | 0x40, 8, ReadKind::kS1Table, 0, true});
  WalkTag tag;
  tag.vmid = 1;
  tag.asid = 5;
  c.fill_walk(fmt, tag, 0x12345000, log, pt::Perms::all());
  EXPECT_EQ(c.walk.occupancy(), 3u);
  // Another page of the same leaf table starts at the leaf table (level 0).
  auto s = c.lookup_walk(fmt, tag, 0x12346000);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->table, 0x4000u);
  EXPECT_EQ(s->level, 0u);
  // Another 2 MiB region of the same 1 GiB starts at level 1 (the table at 0x3000).
  s = c.lookup_walk(fmt, tag, 0x12545000);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->table, 0x3000u);
  EXPECT_EQ(s->level, 1u);
  WalkTag other = tag;
  other.asid = 6;
  EXPECT_FALSE(c.lookup_walk(fmt, other, 0x12345000).has_value());
  // Leaf = 1 keeps the tables, Leaf = 0 removes those covering the address.
  EXPECT_EQ(c.tlbi_nh_va(1, 5, AddrRange{0x12345000, 0x12345001}, true), 0u);
  EXPECT_EQ(c.tlbi_nh_va(1, 5, AddrRange{0x12345000, 0x12345001}, false), 3u);
  c.fill_walk(fmt, tag, 0x12345000, log, pt::Perms::all());
  EXPECT_EQ(c.tlbi_nh_asid(1, 6), 0u);
  EXPECT_EQ(c.tlbi_nh_asid(1, 5), 3u);
}

TEST(SmmuCaches, ConfigInvalidationScopes) {
  SmmuCaches c(big());
  auto fill = [&] {
    c.ste.invalidate_all();
    c.cd.invalidate_all();
    for (uint32_t sid : {0x10u, 0x11u, 0x12u, 0x13u, 0x20u}) {
      c.ste.insert(SteKey{sid}, StreamCtx{});
      c.cd.insert(CdKey{sid, 0}, CdCtx{});
      c.cd.insert(CdKey{sid, 1}, CdCtx{});
    }
  };
  fill();
  EXPECT_EQ(c.cfgi_ste(0x10), 3u);  // 4.3.1: the STE and its CDs
  fill();
  EXPECT_EQ(c.cfgi_cd(0x10, 1), 1u);
  fill();
  EXPECT_EQ(c.cfgi_cd_all(0x11), 2u);
  fill();
  // Range 1: 2^2 StreamIDs aligned, the low bits of the StreamID ignored.
  EXPECT_EQ(c.cfgi_ste_range(0x12, 1), 12u);
  EXPECT_NE(c.ste.peek(SteKey{0x20}), nullptr);
  fill();
  EXPECT_EQ(c.cfgi_all(), 15u);
}

}  // namespace
}  // namespace isim::smmuv3
