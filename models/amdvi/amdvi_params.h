// Parameters of the AMD-Vi SystemC model (`type: amdvi`): the Extended Feature Register it
// reports, its cache geometries, walker pool and latencies.
//
// Defaults describe an EPYC-class IOMMU. AMD publishes no cache sizes or latencies for its
// IOMMUs; every geometry and latency below is an ESTIMATE in the range published simulators
// use for IOMMU TLBs and walk caches (e.g. gem5's SMMUv3 defaults), not a measurement.
#pragma once

#include "hw/cache/cache_params.h"
#include "models/amdvi/regs.h"
#include "sim/params.h"

namespace isim {

struct AmdviParams {
  cfg::Frequency clock{1000};     ///< IOMMU clock for latencies in cycles (estimate)
  amdvi::Features features;       ///< what EFR reports (regs.h has each field's default source)
  CacheParams dte_cache{64, 8};   ///< device table cache, tagged by DeviceID (estimate)
  CacheParams iotlb{256, 8};      ///< IOTLB, tagged by DomainID, PASID, page (estimate)
  CacheParams pde_cache{128, 8};  ///< v1 page-directory cache, tagged by DomainID (estimate)
  CacheParams gcr3_cache{64, 8};  ///< GCR3 cache, tagged by DeviceID and PASID (estimate)
  CacheParams guest_pde_cache{128, 8};  ///< v2 page-directory cache, DomainID + PASID (estimate)
  unsigned walkers = 4;                 ///< table walks in flight at once (estimate)
  Latency dte_lookup = Latency::in_cycles(2);       ///< device table cache lookup (estimate)
  Latency iotlb_lookup = Latency::in_cycles(2);     ///< IOTLB lookup (estimate)
  Latency pde_lookup = Latency::in_cycles(2);       ///< page-directory cache lookup (estimate)
  Latency gcr3_lookup = Latency::in_cycles(2);      ///< GCR3 cache lookup (estimate)
  Latency walk_level = Latency::in_cycles(8);       ///< walker work per entry read, beyond memory
  Latency cmd_fetch = Latency::in_cycles(16);       ///< decoding one command, beyond its read
  Latency cmd_invalidate = Latency::in_cycles(32);  ///< applying one invalidation command
  Latency event_write = Latency::in_cycles(8);      ///< formatting one log entry, beyond memory

  template <class V>
  void visit(V& v) {
    v.param("clock", clock, "clock for latencies written in cycles");
    v.group("features", features, "Extended Feature Register (MMIO 0x30) fields");
    v.group("dte_cache", dte_cache, "device table cache tagged by DeviceID");
    v.group("iotlb", iotlb, "IOTLB tagged by DomainID, PASID, address and page size");
    v.group("pde_cache", pde_cache, "v1 page-directory cache tagged by DomainID and level");
    v.group("gcr3_cache", gcr3_cache, "GCR3 (guest CR3) cache tagged by DeviceID and PASID");
    v.group("guest_pde_cache", guest_pde_cache,
            "v2 page-directory cache tagged by DomainID, PASID and level");
    v.param("walkers", walkers, "table walks in flight at once", cfg::Range<unsigned>{1, 256});
    v.param("dte_lookup", dte_lookup, "device table cache lookup latency");
    v.param("iotlb_lookup", iotlb_lookup, "IOTLB lookup latency");
    v.param("pde_lookup", pde_lookup, "page-directory cache lookup latency");
    v.param("gcr3_lookup", gcr3_lookup, "GCR3 cache lookup latency");
    v.param("walk_level", walk_level, "walker work per table entry read (memory time is extra)");
    v.param("cmd_fetch", cmd_fetch, "decoding one command (its memory read is extra)");
    v.param("cmd_invalidate", cmd_invalidate, "applying one invalidation command");
    v.param("event_write", event_write, "formatting one event log entry (memory time is extra)");
  }
  /// Cross-field checks: the EFR fields (widths, reserved encodings).
  void validate(cfg::ParamChecker& c) const {
    if (const std::string why = features.validate(); !why.empty()) c.fail("features", why);
  }
};

}  // namespace isim
