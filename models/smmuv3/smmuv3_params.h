// Parameters of the SystemC SMMUv3 model (type `smmuv3`): what the ID registers advertise, the
// cache geometries and every latency.
//
// Defaults stand for an Arm MMU-600/700-class TCU. Every cache size and latency is an ESTIMATE
// (cache sizes are configurable in those parts; no public cycle counts exist for these paths).
// Memory time of walks, queue accesses and MSIs is not in these numbers: those go through the
// downstream socket to the memory model.
#pragma once

#include "base/units.h"
#include "hw/cache/cache_params.h"
#include "models/smmuv3/regs.h"
#include "sim/param_types.h"
#include "sim/params.h"

namespace isim {

struct SmmuV3Params {
  cfg::Frequency clock{1000};     ///< TCU clock (estimate: 1 GHz)
  smmuv3::IdParams ids;           ///< ID register contents
  smmuv3::ResetParams reset;      ///< IMPLEMENTATION DEFINED reset values
  CacheParams ste_cache{64, 4};   ///< configuration cache, STEs (estimate)
  CacheParams cd_cache{64, 4};    ///< configuration cache, CDs (estimate)
  CacheParams tlb{256, 4};        ///< TLB (estimate)
  CacheParams ipa_cache{64, 4};   ///< stage-2 translations used by nested walks (estimate)
  CacheParams tbu_tlb{16, 16};    ///< per-device TBU micro-TLB, 0 entries: no TBU (estimate)
  CacheParams walk_cache{64, 4};  ///< intermediate tables per stage and level (estimate)
  unsigned walkers = 8;           ///< concurrent translation-table walks (estimate)
  Latency reg_access = Latency::in_cycles(4);     ///< register read/write (estimate)
  Latency cr0_ack = Latency::in_cycles(32);       ///< CR0 write to CR0ACK (estimate)
  Latency irq_ack = Latency::in_cycles(8);        ///< IRQ_CTRL write to IRQ_CTRLACK (estimate)
  Latency gbpa_update = Latency::in_cycles(8);    ///< GBPA write to Update clear (estimate)
  Latency config_lookup = Latency::in_cycles(2);  ///< STE or CD cache lookup (estimate)
  Latency tlb_lookup = Latency::in_cycles(2);     ///< TLB lookup (estimate)
  Latency ipa_lookup = Latency::in_cycles(2);     ///< IPA cache lookup (estimate)
  Latency tbu_lookup = Latency::in_cycles(1);     ///< TBU micro-TLB lookup (estimate)
  Latency walk_lookup = Latency::in_cycles(2);    ///< walk cache lookup (estimate)
  Latency walk_read = Latency::in_cycles(4);      ///< TCU work per table read, on top of memory
  Latency cmd_decode = Latency::in_cycles(4);     ///< per command, every opcode (estimate)
  Latency cmd_cfgi = Latency::in_cycles(16);      ///< extra for CMD_CFGI_* (estimate)
  Latency cmd_tlbi = Latency::in_cycles(32);      ///< extra for CMD_TLBI_* (estimate)
  Latency cmd_sync = Latency::in_cycles(8);       ///< extra for CMD_SYNC (estimate)
  Latency event_write = Latency::in_cycles(4);    ///< building one event record (estimate)
  /// An ATC invalidation whose completion takes longer fails (0: never; the time-out is
  /// IMPLEMENTATION DEFINED, 3.9.1.4)
  Latency atc_inv_timeout = Latency::ps(0);

  template <class V>
  void visit(V& v) {
    v.param("clock", clock, "TCU clock for latencies written in cycles");
    v.group("ids", ids, "ID register contents (IDR0-5, IIDR, AIDR)");
    v.group("reset", reset, "IMPLEMENTATION DEFINED reset values");
    v.group("ste_cache", ste_cache, "configuration cache of STEs, by StreamID");
    v.group("cd_cache", cd_cache, "configuration cache of CDs, by StreamID and CD index");
    v.group("tlb", tlb, "TLB by VMID, ASID/ASET, address and page size");
    v.group("ipa_cache", ipa_cache, "stage-2 translations used during nested walks, by VMID");
    v.group("tbu_tlb", tbu_tlb,
            "micro-TLB per device port (TBU) in front of the shared caches (TCU)");
    v.group("walk_cache", walk_cache,
            "intermediate tables by stage, VMID, ASID (stage 1), level and address");
    v.param("walkers", walkers, "concurrent translation-table walks", cfg::Range<unsigned>{1, 256});
    v.param("reg_access", reg_access, "register read or write");
    v.param("cr0_ack", cr0_ack, "CR0 write until CR0ACK shows it (and it takes effect)");
    v.param("irq_ack", irq_ack, "IRQ_CTRL write until IRQ_CTRLACK shows it");
    v.param("gbpa_update", gbpa_update, "GBPA write (Update = 1) until Update clears");
    v.param("config_lookup", config_lookup, "STE or CD cache lookup");
    v.param("tlb_lookup", tlb_lookup, "TLB lookup");
    v.param("ipa_lookup", ipa_lookup, "IPA cache lookup");
    v.param("tbu_lookup", tbu_lookup, "TBU micro-TLB lookup");
    v.param("walk_lookup", walk_lookup, "walk cache lookup (on a TLB miss)");
    v.param("walk_read", walk_read, "TCU work per structure or table read (memory time is extra)");
    v.param("cmd_decode", cmd_decode, "consuming one command (memory time of the fetch is extra)");
    v.param("cmd_cfgi", cmd_cfgi, "extra cost of a configuration invalidation");
    v.param("cmd_tlbi", cmd_tlbi, "extra cost of a TLB invalidation");
    v.param("cmd_sync", cmd_sync, "extra cost of CMD_SYNC (MSI write time is extra)");
    v.param("atc_inv_timeout", atc_inv_timeout,
            "ATC invalidation completion time-out: the next CMD_SYNC fails (0: none)");
    v.param("event_write", event_write, "building one event record (memory time is extra)");
  }
};

}  // namespace isim
