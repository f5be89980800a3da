// Guest PASIDs: the per-VM gPASID -> hPASID translation a CPU with VMX PASID translation
// applies to ENQCMD/ENQCMDS executed in the guest, and the two ways a guest's vIOMMU obtains
// PASIDs.
//
// PASID translation (Intel SDM Vol. 3C, VMX "PASID translation"): with the control enabled,
// the guest's IA32_PASID value (or ENQCMDS's source PASID) is a gPASID; the CPU looks it up in
// hypervisor-owned translation structures and puts the hPASID into the descriptor. A gPASID the
// structures do not map (entry not present/valid, or a reserved bit set) causes a VM exit with
// basic exit reason 72 "ENQCMD PASID translation failure" (73 for ENQCMDS); the descriptor is
// not sent. The in-memory layout of those structures (PASID directory + PASID tables, VMCS
// fields) is not modelled: the table here is their functional content, and the lookup cost is
// a parameter of whoever times it.
//
// vIOMMU allocation modes:
// - guest_local: the guest picks a PASID in the RID-local range of its assigned device with no
//   hypervisor involvement; the host reserves the same number on that RID and the translation
//   is the identity (only meaningful for dedicated queues: an SWQ shared with other VMs needs
//   global PASIDs).
// - paravirt_global: the guest asks the hypervisor (a paravirtual call with a cost, like the
//   VT-d vIOMMU virtual command "allocate PASID") for a global hPASID; the hypervisor installs
//   gPASID -> hPASID, so the guest keeps its own number space.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "pasid/allocator.h"

namespace isim::pasid {

/// SDM Vol. 3C Appendix C basic exit reasons of a failed translation.
inline constexpr uint16_t kExitEnqcmdPasidFail = 72;
inline constexpr uint16_t kExitEnqcmdsPasidFail = 73;

struct TranslateResult {
  bool ok = false;
  uint32_t hpasid = 0;
  uint16_t exit_reason = 0;  ///< when !ok
};

class PasidTranslationTable {
 public:
  /// Maps `gpasid` to `hpasid` (replacing any mapping); false when either is beyond 20 bits.
  bool map(uint32_t gpasid, uint32_t hpasid);
  bool unmap(uint32_t gpasid);
  /// What the CPU does for ENQCMD (`supervisor` = false) or ENQCMDS.
  TranslateResult translate(uint32_t gpasid, bool supervisor) const;
  std::optional<uint32_t> lookup(uint32_t gpasid) const;
  size_t size() const { return map_.size(); }
  const std::map<uint32_t, uint32_t>& entries() const { return map_; }

 private:
  std::map<uint32_t, uint32_t> map_;
};

enum class VIommuMode : uint8_t { guest_local, paravirt_global };

struct GuestAlloc {
  Error error = Error::none;
  uint32_t gpasid = 0;
  uint32_t hpasid = 0;
  bool ok() const { return error == Error::none; }
};

/// One VM's vIOMMU PASID allocation over the host allocator, charged to the VM's IOASID set.
class VIommuPasids {
 public:
  /// `rid`: the device the guest's PASIDs are for (its IOMMU's width bounds them).
  VIommuPasids(PasidAllocator& host, std::string vm_set, Requester rid, VIommuMode mode,
               PasidTranslationTable& table)
      : host_(&host), set_(std::move(vm_set)), rid_(rid), mode_(mode), table_(&table) {}

  /// A PASID for the guest: `gpasid` is its choice (guest_local: a RID-local number;
  /// paravirt_global: the guest's own number to be translated).
  GuestAlloc alloc(uint32_t gpasid);
  Error free(uint32_t gpasid);
  /// Paravirtual calls made so far (each costs the caller's hypercall latency).
  uint64_t hypercalls() const { return hypercalls_; }

 private:
  PasidAllocator* host_;
  std::string set_;
  Requester rid_;
  VIommuMode mode_;
  PasidTranslationTable* table_;
  uint64_t hypercalls_ = 0;
};

}  // namespace isim::pasid

namespace isim {
template <>
struct cfg::EnumNames<pasid::VIommuMode> {
  static constexpr std::pair<pasid::VIommuMode, std::string_view> table[] = {
      {pasid::VIommuMode::guest_local, "guest_local"},
      {pasid::VIommuMode::paravirt_global, "paravirt_global"},
  };
};
}  // namespace isim
