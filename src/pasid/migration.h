// Moving a VM's PASID state to a destination host that already has its own allocations.
//
// - RID-local PASIDs are reallocated with the same numbers on the destination RID (nothing else
//   there can hold them when the VM's device comes with it) and their entries reprogrammed.
// - Global PASIDs keep their number when it is free at the destination. One that collides is
//   given a new host PASID and the VM's gPASID -> hPASID translation table is updated, so the
//   guest keeps its numbers. A colliding PASID that must keep its number (e.g. the guest uses
//   it untranslated: a DWQ programmed with it, or no CPU PASID translation) makes the whole
//   migration fail; everything allocated for it at the destination is released again.
// The report lists conflicts and remappings and what the reprogramming costs (one entry write
// plus one PASID-cache/IOTLB invalidation per PASID, one translation-table update per remap).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "pasid/allocator.h"
#include "pasid/guest_pasid.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

/// One PASID of the migrating VM, as the source host knows it.
struct VmPasid {
  uint32_t gpasid = 0;
  uint32_t hpasid = 0;     ///< at the source
  bool global = true;      ///< false: RID-local on `rid`
  uint16_t rid = 0;        ///< destination requester ID of the device using it
  bool must_keep = false;  ///< the number is used untranslated: it cannot be remapped
  PasidBinding binding;    ///< what its PASID entry holds (page-table root, tag)
};

/// Costs of reprogramming at the destination. ESTIMATES (software cost, not architected).
struct MigrationCosts {
  Tick entry_write = 200'000;         ///< writing one PASID-table entry (200 ns)
  Tick invalidation = 2'000'000;      ///< PASID-cache + IOTLB invalidation with its wait (2 us)
  Tick translation_update = 100'000;  ///< updating one gPASID -> hPASID entry (100 ns)
};

struct Remap {
  uint32_t gpasid = 0;
  uint32_t from = 0;
  uint32_t to = 0;
};

struct MigrationReport {
  bool ok = false;
  std::string error;                ///< why it failed (empty on success)
  std::vector<uint32_t> conflicts;  ///< source hPASIDs already taken at the destination
  std::vector<Remap> remaps;
  uint64_t reprogrammed = 0;  ///< PASID entries written at the destination
  Tick cost = 0;              ///< time the reprogramming and invalidations take
};

/// Migrates `pasids` into destination allocator `dst` (charged to IOASID set `vm_set`, which
/// must exist), writing entries into `tables` (per destination RID) and the VM's translation
/// table `tt`. On failure nothing stays allocated or programmed at the destination.
MigrationReport migrate(const std::vector<VmPasid>& pasids, PasidAllocator& dst,
                        const std::string& vm_set, std::map<uint16_t, PasidTable*>& tables,
                        PasidTranslationTable& tt, const MigrationCosts& costs = {});

}  // namespace isim::pasid
