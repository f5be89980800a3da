// Parameters of the VT-d SystemC model (type `vtd`): the capabilities the unit reports, its
// caches and its latencies. Every latency is an ESTIMATE unless a source is given: no public
// measurement of these internal paths was found; they are of the order reported for IOTLB
// misses and invalidations in the literature (hundreds of ns for a miss that walks, a few
// hundred ns to a few us for an invalidation round trip) and exist to be swept.
#pragma once

#include <string>

#include "base/units.h"
#include "hw/cache/cache_params.h"
#include "models/vtd/regs.h"
#include "sim/params.h"

namespace isim {

struct VtdIommuParams {
  vtd::Capabilities caps;  ///< VER/CAP/ECAP and the host address width
  /// Raw CAP_REG / ECAP_REG values (as Linux prints them at boot: "cap 0x... ecap 0x...");
  /// when either is non-zero they replace every CAP/ECAP field of `caps` (haw and VER stay),
  /// except that interrupt remapping (ECAP.IR, EIM, CAP.PI) reads as absent: not modelled.
  uint64_t cap_reg = 0;
  uint64_t ecap_reg = 0;
  cfg::Frequency clock{1000};        ///< unit clock for latencies in cycles (estimate)
  unsigned walkers = 4;              ///< page walks in flight at once (estimate)
  CacheParams context_cache{64, 8};  ///< context-entry cache, by requester ID
  CacheParams pasid_cache{64, 8};    ///< PASID-entry cache, by requester and PASID
  CacheParams iotlb{256, 8};         ///< IOTLB, by DID, PASID, page and page size
  CacheParams ss_psc{32, 4};         ///< second-stage paging-structure cache
  CacheParams fs_psc{32, 4};         ///< first-stage paging-structure cache
  CacheParams nested_s2{32, 4};      ///< second-stage translations of first-stage table pointers
  Latency cache_lookup = Latency::in_cycles(2);  ///< one lookup in any of the caches
  Latency walk_read = Latency::in_cycles(4);     ///< walker work per structure/table read
  Latency walk_mem_latency = Latency::ps(0);     ///< table read served by host caches (0: memory)
  Latency command = Latency::ns(100);            ///< GCMD command until GSTS acknowledges it
  Latency reg_invalidation = Latency::ns(200);   ///< CCMD/IOTLB register invalidation to done
  Latency desc_fetch = Latency::in_cycles(8);    ///< queue work per descriptor besides its read
  Latency inv_context = Latency::ns(50);         ///< context- or PASID-cache invalidation
  Latency inv_iotlb = Latency::ns(100);          ///< IOTLB / PASID-IOTLB invalidation
  Latency inv_device_tlb = Latency::ns(1000);    ///< device-TLB invalidation round trip (ATS)
  Latency inv_wait = Latency::ns(20);            ///< invalidation wait (besides its write)
  Latency page_response = Latency::ns(100);      ///< page group response to the device

  template <class V>
  void visit(V& v) {
    v.group("caps", caps, "what VER, CAP and ECAP report (a config can present a real part)");
    v.param("cap_reg", cap_reg, "raw CAP_REG of a real part (0: use caps)", cfg::Unit::hex);
    v.param("ecap_reg", ecap_reg, "raw ECAP_REG of a real part (0: use caps)", cfg::Unit::hex);
    v.param("clock", clock, "clock for latencies written in cycles");
    v.param("walkers", walkers, "page walks in flight at once", cfg::Range<unsigned>{1, 64});
    v.group("context_cache", context_cache, "context-entry cache (key: requester ID)");
    v.group("pasid_cache", pasid_cache, "PASID-entry cache (key: requester ID, PASID)");
    v.group("iotlb", iotlb, "IOTLB (tag: DID, PASID; page number, page size)");
    v.group("ss_psc", ss_psc, "second-stage paging-structure cache (tag: DID, PASID, level)");
    v.group("fs_psc", fs_psc, "first-stage paging-structure cache (tag: DID, PASID, level)");
    v.group("nested_s2", nested_s2,
            "nested: second-stage translations of first-stage table pointers (tag: DID)");
    v.param("cache_lookup", cache_lookup, "latency of one cache lookup");
    v.param("walk_read", walk_read, "walker work per structure or table read (memory is extra)");
    v.param("walk_mem_latency", walk_mem_latency,
            "when non-zero: every structure or table read is served by the host's caches "
            "(snooped, LLC-resident tables) in this time, without a memory access; 0: each read "
            "goes to memory and costs its latency and bandwidth");
    v.param("command", command, "GCMD command until GSTS acknowledges it");
    v.param("reg_invalidation", reg_invalidation,
            "register-based invalidation (CCMD.ICC / IOTLB.IVT) until done");
    v.param("desc_fetch", desc_fetch, "queue work per descriptor besides its memory read");
    v.param("inv_context", inv_context, "context-cache or PASID-cache invalidation");
    v.param("inv_iotlb", inv_iotlb, "IOTLB or PASID-based IOTLB invalidation");
    v.param("inv_device_tlb", inv_device_tlb,
            "device-TLB invalidation: request and completion on the link (the device's own "
            "time is extra)");
    v.param("inv_wait", inv_wait, "invalidation wait descriptor (besides its status write)");
    v.param("page_response", page_response, "page group response to the device");
  }
  /// Cross-field checks: the capabilities must be self-consistent.
  /// The params with cap_reg / ecap_reg, when given, decoded into `caps`.
  VtdIommuParams resolved() const {
    VtdIommuParams r = *this;
    if (cap_reg || ecap_reg) {
      r.caps = vtd::Capabilities::decode(cap_reg, ecap_reg);
      r.caps.haw = caps.haw;
      r.caps.ver_major = caps.ver_major;
      r.caps.ver_minor = caps.ver_minor;
      r.caps.ir = r.caps.eim = r.caps.pi = false;
    }
    return r;
  }

  template <class C>
  void validate(C& c) const {
    if (const std::string why = resolved().caps.validate(); !why.empty())
      c.fail(cap_reg || ecap_reg ? "cap_reg" : "caps", why);
    if (caps.ir) c.fail("caps.ir", "interrupt remapping is not modelled");
    if (caps.nfr + 1 > 256) c.fail("caps.nfr", "at most 256 fault records");
  }
};

}  // namespace isim
