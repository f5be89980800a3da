// System-wide PASID allocation: IOASID sets with quotas over one of three policies.
//
// - global: one PASID space for the whole system. A shared work queue needs it: submitters on
//   different requester IDs share one queue, so their PASIDs must differ (Linux allocates SVA
//   PASIDs from one global IDA, iommu_alloc_global_pasid / iommu_sva_bind_device).
// - rid_local: each requester ID has its own space; the same number may name different address
//   spaces on two devices. No global PASIDs exist.
// - partitioned: [first, local_last] is RID-local (what a guest may choose freely behind a
//   vIOMMU without asking the hypervisor), (local_last, 2^width - 1] is global.
//
// The PASID width is the IOMMU's (VT-d ECAP.PSS + 1, SMMUv3 IDR1.SSIDSIZE, AMD-Vi EFR.PASmax +
// 1; see pasid/caps.h), or narrower when configured so. PASID 0 is not handed out by default:
// VT-d uses it as RID_PASID and SMMUv3 SSID 0 serves requests without a SubstreamID when
// STE.S1DSS = 10 (Linux IOMMU_FIRST_GLOBAL_PASID = 1).
//
// An IOASID set (one per VM, process group or driver) caps how many PASIDs its owner holds;
// every PASID belongs to the set that allocated it and only that set can free it.
//
// One allocator serves a whole platform, however many IOMMUs it has: requesters are named by a
// system-wide key (the RID plus its IOMMU's index, as a PCI segment would), and a requester
// behind an IOMMU narrower than the allocator is limited to that IOMMU's width, for its
// RID-local PASIDs and for the global PASIDs allocated for it (Linux bounds a device's global
// PASID by its max_pasids).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "pasid/id_space.h"
#include "sim/param_types.h"

namespace isim::pasid {

enum class Policy : uint8_t { global, rid_local, partitioned };

/// Platform choice of allocation policy.
struct PolicyParams {
  Policy policy = Policy::global;  ///< Linux's SVA behaviour (one global IDA)
  unsigned width = 0;              ///< PASID bits; 0: the IOMMU's capability (must not exceed it)
  uint32_t first = 1;              ///< lowest PASID handed out (0 is RID_PASID / SSID 0)
  uint32_t local_last = 4095;      ///< partitioned: last RID-local PASID (issue 7's example split)

  template <class V>
  void visit(V& v) {
    v.param("policy", policy, "PASID allocation policy: global, rid_local or partitioned");
    v.param("width", width, "PASID bits (0: the IOMMU's PSS/SSIDSIZE/PASmax width)",
            cfg::Range<unsigned>{0, 20});
    v.param("first", first, "lowest PASID handed out (0 is RID_PASID / SSID 0)");
    v.param("local_last", local_last, "partitioned: last PASID of the RID-local range");
  }
};

enum class Error : uint8_t {
  none,
  exhausted,      ///< no free PASID left in the range the request draws from
  quota,          ///< the set already holds its quota
  out_of_range,   ///< a requested PASID lies outside the range the request draws from
  in_use,         ///< a requested PASID is taken
  not_allocated,  ///< freeing a PASID that is not allocated (in that space)
  wrong_set,      ///< freeing a PASID another set owns
  unknown_set,    ///< no set by that name
  duplicate_set,  ///< a set by that name exists
  no_global,      ///< the policy has no global PASIDs (rid_local)
};
const char* to_string(Error e);

/// A requester made unique system-wide: its IOMMU's index in bits 31:16 (standing in for the PCI
/// segment), its RID in bits 15:0. On a platform with one IOMMU this is the RID.
using Requester = uint32_t;
constexpr Requester requester(unsigned iommu_index, uint16_t rid) {
  return (Requester{iommu_index} << 16) | rid;
}

/// A PASID or why none was given.
struct AllocResult {
  uint32_t pasid = 0;
  Error error = Error::none;
  bool ok() const { return error == Error::none; }
};

/// Inclusive PASID range.
struct PasidRange {
  uint32_t first = 0;
  uint32_t last = 0;
  bool empty() const { return first > last; }
};

struct IoasidSet {
  std::string name;
  uint64_t quota = 0;  ///< PASIDs the set may hold at once
  uint64_t used = 0;
};

class PasidAllocator {
 public:
  /// Why `p` cannot be used with an IOMMU supporting `cap_width` PASID bits; empty if it can.
  static std::string validate(const PolicyParams& p, unsigned cap_width);

  /// `p` must pass validate() for `cap_width`.
  PasidAllocator(const PolicyParams& p, unsigned cap_width);

  Policy policy() const { return policy_; }
  unsigned width() const { return width_; }
  /// Where global allocations come from (empty under rid_local).
  PasidRange global_range() const { return global_; }
  /// Where RID-local allocations come from (under global: the global range).
  PasidRange local_range() const { return local_; }

  Error create_set(const std::string& name, uint64_t quota);
  const IoasidSet* set(const std::string& name) const;

  /// Caps what `r` is given at `bits` PASID bits (its IOMMU's width, if narrower than the
  /// allocator's); a later call replaces the cap.
  void limit(Requester r, unsigned bits);
  /// The lowest free global PASID, charged to `set`; with `for_requester`, the lowest that
  /// requester's IOMMU can carry (exhausted when every such PASID is taken).
  AllocResult alloc_global(const std::string& set,
                           std::optional<Requester> for_requester = std::nullopt);
  /// A specific global PASID (e.g. one a migrated VM must keep).
  AllocResult alloc_global_at(const std::string& set, uint32_t pasid);
  /// A PASID private to requester `rid`: `wanted` (a guest's choice) or the lowest free one.
  /// Under the global policy it comes from the global space, so it is unique system-wide.
  AllocResult alloc_local(const std::string& set, Requester rid,
                          std::optional<uint32_t> wanted = std::nullopt);

  Error free_global(const std::string& set, uint32_t pasid);
  Error free_local(const std::string& set, Requester rid, uint32_t pasid);

  bool global_allocated(uint32_t pasid) const { return owner_.count(key_global(pasid)) != 0; }
  bool local_allocated(Requester rid, uint32_t pasid) const;
  uint64_t global_free() const { return global_space_.free_count(); }

 private:
  // Allocation keys: a global PASID has bit 20 set; a RID-local one holds its requester in
  // bits 52:21 (PASIDs are at most 20 bits).
  static constexpr uint64_t kPasidKeyMask = (uint64_t{1} << 20) - 1;
  static constexpr uint64_t kGlobalKey = uint64_t{1} << 20;
  static uint64_t key_global(uint32_t pasid) { return kGlobalKey | pasid; }
  static uint64_t key_local(Requester rid, uint32_t pasid) { return (uint64_t{rid} << 21) | pasid; }
  IdSpace& local_space(Requester rid);
  /// The largest PASID `rid` may be given.
  uint32_t last_for(Requester rid) const;
  AllocResult take(const std::string& set, IdSpace& space, uint64_t key_base,
                   std::optional<uint32_t> wanted, uint32_t last);
  Error give(const std::string& set, IdSpace& space, uint64_t key);

  Policy policy_;
  unsigned width_;
  PasidRange global_;
  PasidRange local_;
  IdSpace global_space_;
  std::map<Requester, IdSpace> local_spaces_;
  std::map<Requester, uint32_t> last_;  ///< requesters capped below the allocator's width
  std::map<std::string, IoasidSet> sets_;
  std::map<uint64_t, std::string> owner_;  ///< allocation key -> owning set
};

}  // namespace isim::pasid

namespace isim {
template <>
struct cfg::EnumNames<pasid::Policy> {
  static constexpr std::pair<pasid::Policy, std::string_view> table[] = {
      {pasid::Policy::global, "global"},
      {pasid::Policy::rid_local, "rid_local"},
      {pasid::Policy::partitioned, "partitioned"},
  };
};
}  // namespace isim
