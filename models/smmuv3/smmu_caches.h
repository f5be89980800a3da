// The SMMU's translation caches as data (IHI 0070 16.2 "Caching", 3.17 "TLB tagging, VMIDs,
// ASIDs and participation in broadcast TLB maintenance"), with one invalidation method per
// command scope (4.3 configuration structure invalidation, 4.4 TLB invalidation). Pure C++:
// the SystemC model owns one and puts it between the translator's steps.
//
//   ste  configuration cache of checked STEs, by StreamID
//   cd   configuration cache of checked CDs, by StreamID and CD-table index (4.3.3: CDs are
//        cached per StreamID that located them, not by address)
//   tlb  translations, tagged as 3.17 says: stage-1 (and nested) entries by VMID and ASID, or by
//        VMID and ASET when the leaf is global (nG = 0); stage-2-only entries by VMID. The VMID
//        tag is 0 when stage 2 is not implemented.
//   ipa  stage-2 translations of IPAs made during nested walks (CD and stage-1 table fetches,
//        the final stage-1 output), by VMID
// Entries stay until an invalidation removes them or the cache evicts them: a table changed in
// memory without the matching command keeps translating the old way.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/time.h"
#include "hw/cache/set_assoc_cache.h"
#include "models/smmuv3/commands.h"
#include "models/smmuv3/translator.h"

namespace isim::smmuv3 {

struct SteKey {
  uint32_t sid = 0;
  uint64_t set_hash() const { return sid; }
  bool operator==(const SteKey&) const = default;
};

struct CdKey {
  uint32_t sid = 0;
  uint32_t index = 0;  ///< CD-table index (the SubstreamID, or 0 for S1DSS = substream 0)
  uint64_t set_hash() const { return (uint64_t{sid} << 20) ^ index; }
  bool operator==(const CdKey&) const = default;
};

/// Which translation regime filled a TLB entry.
enum class TlbKind : uint8_t {
  kS1,        ///< stage 1 (or nested stage 1 + 2), non-global: VMID + ASID
  kS1Global,  ///< stage 1 (or nested), global leaf: VMID + ASET
  kS2,        ///< stage 2 only: VMID
};

struct TlbTag {
  uint16_t vmid = 0;
  uint16_t asid = 0;  ///< kS1 only
  bool aset = false;  ///< kS1Global only
  TlbKind kind = TlbKind::kS1;
  bool operator==(const TlbTag&) const = default;
};
using TlbKey = PageKey<TlbTag>;
struct TlbKeyHash {
  size_t operator()(const TlbKey& k) const {
    return std::hash<uint64_t>{}(k.page ^ (uint64_t{k.tag.vmid} << 48) ^
                                 (uint64_t{k.tag.asid} << 32) ^ (uint64_t{k.page_lg2} << 24) ^
                                 (static_cast<uint64_t>(k.tag.kind) << 20) ^
                                 (uint64_t{k.tag.aset} << 19));
  }
};

struct TlbEntry {
  uint64_t oa_page = 0;  ///< output address of the page start
  pt::Perms perms;       ///< combined rights of the stages
  bool s1 = false;
  bool s2 = false;
};

/// Walk-cache tag: which regime's tables (stage 1 by VMID and ASID, stage 2 by VMID) and the
/// level (our numbering, pagetable/README.md: 0 = leaf tables) of the cached table.
struct WalkTag {
  uint16_t vmid = 0;
  uint16_t asid = 0;  ///< stage 1 only
  uint8_t stage = 1;
  uint8_t level = 0;
  bool operator==(const WalkTag&) const = default;
};
/// The page of a walk-cache key is the input address above what the cached table resolves:
/// page_lg2 = the span of the whole table at that level.
using WalkKey = PageKey<WalkTag>;
struct WalkEntry {
  uint64_t table = 0;  ///< the table's address (an IPA for a nested stage 1)
  pt::Perms perms;     ///< rights the levels above it allow (APTable, XNTable, ...)
};

/// A TBU micro-TLB entry: the final translation of one 4 KiB input page of one stream and
/// substream, in front of the shared caches (a TBU per device port). TBUs hold no tags the
/// commands scope by, so every TLB or configuration invalidation empties them (over-
/// invalidation is permitted, 4.3/4.4).
struct TbuKey {
  uint32_t sid = 0;
  bool ssv = false;
  uint32_t ssid = 0;
  uint64_t page = 0;  ///< input address >> 12
  uint64_t set_hash() const { return page; }
  bool operator==(const TbuKey&) const = default;
};
struct TbuEntry {
  uint64_t oa_page = 0;
  pt::Perms perms;
  Tick ready = 0;  ///< when the translation that filled it completed
};

using IpaKey = PageKey<uint16_t>;  ///< VMID, IPA page
struct IpaEntry {
  pt::Translation tr;  ///< the stage-2 translation of the page (oa = the page's PA)
};

/// Page sizes a VMSAv8-64 leaf can have with 4K, 16K and 64K granules (IHI 0070 relies on the
/// Arm ARM D8.2): 4K 4K/2M/1G, 16K 16K/32M/64G, 64K 64K/512M/4T. A lookup probes each.
inline constexpr uint8_t kLeafSizesLg2[] = {12, 14, 16, 21, 25, 29, 30, 36, 42};

struct CacheGeometry {
  CacheParams ste{64, 4};
  CacheParams cd{64, 4};
  CacheParams tlb{128, 4};
  CacheParams ipa{64, 4};
  CacheParams walk{64, 4};
};

/// An inclusive-exclusive address range an invalidation applies to.
struct AddrRange {
  uint64_t lo = 0;
  uint64_t end = 0;  ///< exclusive; 0 with lo 0 never happens (a command covers >= 1 byte)
  bool overlaps(uint64_t base, unsigned lg2) const {
    const uint64_t last = base + ((uint64_t{1} << lg2) - 1);
    return base < end && last >= lo;
  }
};

/// The address range a TLBI command names (4.4.1.1): the range form when TG != 0, else the one
/// address (any entry containing it matches).
AddrRange tlbi_range(const Command& c, uint64_t addr);

class SmmuCaches {
 public:
  explicit SmmuCaches(const CacheGeometry& g)
      : ste(g.ste), cd(g.cd), tlb(g.tlb), ipa(g.ipa), walk(g.walk) {}

  SetAssocCache<SteKey, StreamCtx> ste;
  SetAssocCache<CdKey, CdCtx> cd;
  SetAssocCache<TlbKey, TlbEntry> tlb;
  SetAssocCache<IpaKey, IpaEntry> ipa;
  SetAssocCache<WalkKey, WalkEntry> walk;

  /// The deepest cached table on the walk of `va` in `fmt` (stage 1: tag vmid + asid; stage 2:
  /// vmid), as a walk start; nullopt on a miss. One lookup probes every level below the root.
  std::optional<pt::WalkStart> lookup_walk(const pt::ArmLpaeFormat& fmt, WalkTag tag, uint64_t va);
  /// Caches every table a successful walk of `va` went through: the reads of `stage` in `log`,
  /// decoded with `fmt` (the root is not cached: it is the TTB).
  void fill_walk(const pt::ArmLpaeFormat& fmt, WalkTag tag, uint64_t va, const ReadLog& log,
                 pt::Perms start_perms);

  /// The TLB entry for `va` under the non-global tag or the global tag, whichever hits first;
  /// `key` receives the key that hit.
  const TlbEntry* lookup_s1(uint16_t vmid, uint16_t asid, bool aset, uint64_t va, TlbKey* key);
  const TlbEntry* lookup_s2(uint16_t vmid, uint64_t ipa, TlbKey* key);

  // 4.3 configuration invalidation. Each returns the number of entries removed.
  size_t cfgi_ste(uint32_t sid);                        ///< STE and every CD cached through it
  size_t cfgi_ste_range(uint32_t sid, unsigned range);  ///< 2^(range+1) aligned SIDs
  size_t cfgi_all();
  size_t cfgi_cd(uint32_t sid, uint32_t index);
  size_t cfgi_cd_all(uint32_t sid);

  // 4.4 TLB invalidation (NS-EL1 regime). VMIDs are those of the command, 0 when stage 2 is
  // not implemented.
  size_t tlbi_nh_all(uint16_t vmid);                  ///< every stage-1 entry of the VMID
  size_t tlbi_nh_asid(uint16_t vmid, uint16_t asid);  ///< non-global entries of the ASID
  // Address-scoped commands also remove the walk-cache entries covering the range unless
  // `leaf` (4.4: Leaf = 1 only needs the last-level entries).
  size_t tlbi_nh_va(uint16_t vmid, uint16_t asid, AddrRange r, bool leaf = false);
  size_t tlbi_nh_vaa(uint16_t vmid, AddrRange r, bool leaf = false);  ///< every ASID
  /// Stage-2 TLB entries, IPA-cache entries and (without Leaf) stage-2 walk-cache entries.
  size_t tlbi_s2_ipa(uint16_t vmid, AddrRange r, bool leaf = false);
  size_t tlbi_s12_vmall(uint16_t vmid);  ///< both stages of the VMID
  size_t tlbi_nsnh_all();                ///< everything

 private:
  size_t tlb_if(uint16_t vmid, bool s1, bool s2, const AddrRange* r, const uint16_t* asid);
  size_t walk_if(uint16_t vmid, uint8_t stage, const AddrRange* r, const uint16_t* asid);
};

}  // namespace isim::smmuv3
