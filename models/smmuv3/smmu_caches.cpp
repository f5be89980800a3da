#include "models/smmuv3/smmu_caches.h"

#include <span>

namespace isim::smmuv3 {

AddrRange tlbi_range(const Command& c, uint64_t addr) {
  if (c.has_range()) return {addr, addr + c.range_bytes()};
  return {addr, addr + 1};
}

const TlbEntry* SmmuCaches::lookup_s1(uint16_t vmid, uint16_t asid, bool aset, uint64_t va,
                                      TlbKey* out) {
  // One lookup: every page size under the ASID tag, then under the global tag.
  static constexpr unsigned kProbes = 2 * std::size(kLeafSizesLg2);
  unsigned idx[kProbes];
  for (unsigned i = 0; i < kProbes; ++i) idx[i] = i;
  auto key = [&](unsigned i) {
    const bool global = i >= std::size(kLeafSizesLg2);
    const uint8_t lg2 = kLeafSizesLg2[i % std::size(kLeafSizesLg2)];
    TlbTag t;
    t.vmid = vmid;
    t.kind = global ? TlbKind::kS1Global : TlbKind::kS1;
    t.asid = global ? 0 : asid;
    t.aset = global && aset;
    return TlbKey::of(t, va, lg2);
  };
  auto hit = tlb.lookup_any(idx, key);
  if (!hit) return nullptr;
  *out = key(static_cast<unsigned>(hit.probe));
  return hit.value;
}

const TlbEntry* SmmuCaches::lookup_s2(uint16_t vmid, uint64_t ipa_addr, TlbKey* out) {
  auto key = [&](uint8_t lg2) {
    TlbTag t;
    t.vmid = vmid;
    t.kind = TlbKind::kS2;
    return TlbKey::of(t, ipa_addr, lg2);
  };
  auto hit = tlb.lookup_any(kLeafSizesLg2, key);
  if (!hit) return nullptr;
  *out = key(kLeafSizesLg2[hit.probe]);
  return hit.value;
}

std::optional<pt::WalkStart> SmmuCaches::lookup_walk(const pt::ArmLpaeFormat& fmt, WalkTag tag,
                                                     uint64_t va) {
  // Levels below the root, deepest first (our level 0 holds the leaf tables).
  unsigned levels[pt::kMaxLevels];
  unsigned n = 0;
  for (unsigned l = 0; l < fmt.top_level(); ++l) levels[n++] = l;
  auto key = [&](unsigned l) {
    WalkTag t = tag;
    t.level = static_cast<uint8_t>(l);
    return WalkKey::of(t, va, fmt.item_lg2sz(l) + fmt.num_items_lg2(l));
  };
  auto hit = walk.lookup_any(std::span<const unsigned>(levels, n), key);
  if (!hit) return std::nullopt;
  pt::WalkStart s;
  s.table = hit.value->table;
  s.level = levels[hit.probe];
  s.perms = hit.value->perms;
  return s;
}

void SmmuCaches::fill_walk(const pt::ArmLpaeFormat& fmt, WalkTag tag, uint64_t va,
                           const ReadLog& log, pt::Perms perms) {
  const ReadKind kind = tag.stage == 2 ? ReadKind::kS2Table : ReadKind::kS1Table;
  for (const ReadRec& r : log) {
    if (r.kind != kind || !r.ok) continue;
    const auto d = fmt.decode(r.value, r.level);
    if (d.type != pt::EntryType::Table) continue;
    perms = perms & d.perms;
    WalkTag t = tag;
    t.level = static_cast<uint8_t>(d.next_level);
    walk.insert(WalkKey::of(t, va, fmt.item_lg2sz(d.next_level) + fmt.num_items_lg2(d.next_level)),
                WalkEntry{d.addr, perms});
  }
}

size_t SmmuCaches::walk_if(uint16_t vmid, uint8_t stage, const AddrRange* r, const uint16_t* asid) {
  return walk.invalidate_if([&](const WalkKey& k, const WalkEntry&) {
    if (k.tag.vmid != vmid || k.tag.stage != stage) return false;
    if (asid && k.tag.asid != *asid) return false;
    return !r || r->overlaps(k.base(), k.page_lg2);
  });
}

size_t SmmuCaches::cfgi_ste(uint32_t sid) {
  // 4.3.1: the STE and all CDs (and L1CDs) cached using the StreamID.
  return ste.invalidate(SteKey{sid}) + cfgi_cd_all(sid);
}

size_t SmmuCaches::cfgi_ste_range(uint32_t sid, unsigned range) {
  // 4.3.2: an aligned range of 2^(Range+1) StreamIDs; the low Range+1 bits are IGNORED.
  const uint64_t n = uint64_t{1} << (range + 1);
  const uint64_t lo = sid & ~(n - 1);
  auto in = [&](uint32_t s) { return s >= lo && s - lo < n; };
  return ste.invalidate_if([&](const SteKey& k, const StreamCtx&) { return in(k.sid); }) +
         cd.invalidate_if([&](const CdKey& k, const CdCtx&) { return in(k.sid); });
}

size_t SmmuCaches::cfgi_all() {
  return ste.invalidate_all() + cd.invalidate_all();
}

size_t SmmuCaches::cfgi_cd(uint32_t sid, uint32_t index) {
  return cd.invalidate(CdKey{sid, index});
}

size_t SmmuCaches::cfgi_cd_all(uint32_t sid) {
  return cd.invalidate_if([&](const CdKey& k, const CdCtx&) { return k.sid == sid; });
}

size_t SmmuCaches::tlb_if(uint16_t vmid, bool s1, bool s2, const AddrRange* r,
                          const uint16_t* asid) {
  return tlb.invalidate_if([&](const TlbKey& k, const TlbEntry&) {
    if (k.tag.vmid != vmid) return false;
    const bool is_s2 = k.tag.kind == TlbKind::kS2;
    if (is_s2 ? !s2 : !s1) return false;
    // 4.4: ASID-scoped commands match non-global entries of the ASID (ASET disregarded);
    // address-scoped ones also match global entries.
    if (asid && k.tag.kind == TlbKind::kS1 && k.tag.asid != *asid) return false;
    if (asid && !r && k.tag.kind != TlbKind::kS1) return false;
    return !r || r->overlaps(k.base(), k.page_lg2);
  });
}

size_t SmmuCaches::tlbi_nh_all(uint16_t vmid) {
  return tlb_if(vmid, true, false, nullptr, nullptr) + walk_if(vmid, 1, nullptr, nullptr);
}
size_t SmmuCaches::tlbi_nh_asid(uint16_t vmid, uint16_t asid) {
  return tlb_if(vmid, true, false, nullptr, &asid) + walk_if(vmid, 1, nullptr, &asid);
}
size_t SmmuCaches::tlbi_nh_va(uint16_t vmid, uint16_t asid, AddrRange r, bool leaf) {
  return tlb_if(vmid, true, false, &r, &asid) + (leaf ? 0 : walk_if(vmid, 1, &r, &asid));
}
size_t SmmuCaches::tlbi_nh_vaa(uint16_t vmid, AddrRange r, bool leaf) {
  return tlb_if(vmid, true, false, &r, nullptr) + (leaf ? 0 : walk_if(vmid, 1, &r, nullptr));
}
size_t SmmuCaches::tlbi_s2_ipa(uint16_t vmid, AddrRange r, bool leaf) {
  return tlb_if(vmid, false, true, &r, nullptr) +
         ipa.invalidate_if([&](const IpaKey& k, const IpaEntry&) {
           return k.tag == vmid && r.overlaps(k.base(), k.page_lg2);
         }) +
         (leaf ? 0 : walk_if(vmid, 2, &r, nullptr));
}
size_t SmmuCaches::tlbi_s12_vmall(uint16_t vmid) {
  return tlb_if(vmid, true, true, nullptr, nullptr) +
         ipa.invalidate_if([&](const IpaKey& k, const IpaEntry&) { return k.tag == vmid; }) +
         walk_if(vmid, 1, nullptr, nullptr) + walk_if(vmid, 2, nullptr, nullptr);
}
size_t SmmuCaches::tlbi_nsnh_all() {
  return tlb.invalidate_all() + ipa.invalidate_all() + walk.invalidate_all();
}

}  // namespace isim::smmuv3
