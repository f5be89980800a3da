// The IBM POWER TCE IOMMU as a partition sees it under PAPR: a host bridge (IODA2/IODA3 PHB)
// translating DMA through per-PE TCE windows, with a TCE cache, and the hypervisor interface
// (TCE hcalls, DDW RTAS calls) that programs it. Registered as type `tce`.
//
// Can do: RID -> PE grouping; two windows per PE (bit 59 selects); 1..5-level big-endian TCE
// tables of 4K..16G pages; H_PUT_TCE / H_GET_TCE / H_PUT_TCE_INDIRECT / H_STUFF_TCE; DDW query /
// create / remove / reset; a set-associative TCE cache, stale until killed; the PHB3 TCE Kill
// register (MMIO offset 0x210) for the hardware path; EEH-style PE freeze on error (option).
// Can't do (see SPEC_COVERAGE.md): ATS, MSIs through the bridge, bypass (real-mode) windows,
// Limited Address mode, EEH recovery RTAS calls, the PHB4 OPAL TCE kill. The partition side
// (Linux pseries-style dynamic or direct DDW mapping) is the `tce-guest` device, guest_driver.h.
//
// Timing: a DMA pays the TCE cache lookup; a miss walks the table, each entry read going to
// memory through the downstream socket (so walks see memory latency and contention) plus a
// per-level PHB overhead. An hcall or RTAS call blocks the calling SC_THREAD for entry/exit +
// per-TCE work + one kill per TCE kill issued. The call's effect (table stores, kill) is
// applied at the start of the call, atomically; the caller then waits for its cost.
#pragma once

#include <memory>
#include <string>

#include "hw/cache/set_assoc_cache.h"
#include "hw/iommu_base.h"
#include "hw/papr_if.h"
#include "hw/phys_allocator.h"
#include "hw/translated_dma.h"
#include "models/tce/papr_calls.h"
#include "models/tce/translator.h"
#include "sim/params.h"

namespace isim {

namespace tce {
/// TCE cache tag: the PE and the window (TVE) a cached TCE belongs to.
struct CacheTag {
  uint32_t pe = 0;
  uint8_t slot = 0;
  bool operator==(const CacheTag&) const = default;
};
/// What the TCE cache holds for one bus page: the TCE as read from the table.
struct CacheEntry {
  uint64_t tce = 0;
};
}  // namespace tce

struct ComponentSpec;
struct BuildContext;

/// Defaults describe a POWER9 (PHB4) system under a KVM/QEMU pseries hypervisor. Sources: QEMU
/// hw/ppc/spapr_pci.c + include/hw/ppc/spapr.h (window, LIOBN, BUID, page sizes), QEMU
/// spapr_rtas_ddw.c (largest block), Linux powernv pci-ioda (levels, table sizes); every
/// latency is an ESTIMATE (no public measurement was found for these paths).
struct TceIommuParams {
  cfg::Frequency clock{2000};            ///< PHB clock for latencies written in cycles (estimate)
  unsigned pe_rid_shift = 0;             ///< PE number = RID >> shift (0: each RID its own PE)
  uint32_t liobn_base = 0x80000000u;     ///< QEMU SPAPR_PCI_LIOBN: bit 31 marks PCI LIOBNs
  uint64_t buid = 0x800000020000000ull;  ///< QEMU SPAPR_PCI_BASE_BUID (PHB 0)
  uint64_t default_window_size = uint64_t{1} << 30;  ///< QEMU: "Default DMA window is 0..1GB"
  uint64_t default_page_size = uint64_t{1} << 12;    ///< QEMU SPAPR_TCE_PAGE_SHIFT 12
  unsigned default_levels = 1;  ///< PAPR default window tables are single-level (QEMU)
  /// DDW page sizes offered, as the query mask (QEMU >= 4.2: 4K | 64K | 2M | 16M).
  uint32_t ddw_page_mask = 0x107;
  uint64_t ddw_max_tces = 0x80000000ull;  ///< largest_available_block (QEMU's fixed value)
  unsigned max_levels = 5;                ///< IODA3 NUM_LEVELS: at most 5 levels
  unsigned table_level_bits = 13;         ///< DDW tables: 64 KiB per level (Linux 64K pages)
  bool query_out_ext = false;             ///< query answers 6 outputs (LoPAPR 2.8 extension)
  bool freeze_on_error = false;           ///< EEH: freeze the PE on its first DMA error
  /// Hypervisor memory for TCE tables, at the top of physical memory; the partition may map
  /// only memory below it.
  uint64_t table_pool_size = uint64_t{256} << 20;
  CacheParams tce_cache{512, 8};                 ///< TCE cache geometry (PHB4-class estimate)
  Latency cache_lookup = Latency::in_cycles(2);  ///< TCE cache lookup (estimate)
  Latency walk_level = Latency::in_cycles(10);   ///< PHB work per table level, on top of memory
  Latency hcall_entry = Latency::ns(600);        ///< hypervisor entry + exit (estimate)
  Latency per_tce = Latency::ns(30);             ///< hypervisor work per TCE stored (estimate)
  Latency tce_kill = Latency::ns(250);           ///< one TCE kill incl. sync (estimate)
  Latency rtas_entry = Latency::ns(20000);       ///< RTAS call round trip (estimate)

  template <class V>
  void visit(V& v) {
    v.param("clock", clock, "clock for latencies written in cycles");
    v.param("pe_rid_shift", pe_rid_shift, "PE number = requester ID >> this (0: one RID per PE)",
            cfg::Range<unsigned>{0, 16});
    v.param("liobn_base", liobn_base, "LIOBN of PE 0 window 0; PE p window w = base + 2p + w",
            cfg::Unit::hex);
    v.param("buid", buid, "PHB bus unit ID RTAS callers pass (hi, lo)", cfg::Unit::hex);
    v.param("default_window_size", default_window_size, "size of the boot-time 32-bit window",
            cfg::Unit::bytes);
    v.param("default_page_size", default_page_size, "TCE page size of the default window",
            cfg::Unit::bytes);
    v.param("default_levels", default_levels, "table levels of the default window",
            cfg::Range<unsigned>{1, 5});
    v.param("ddw_page_mask", ddw_page_mask,
            "DDW page sizes offered (query mask: 1=4K 2=64K 4=16M 8=32M 0x10=64M 0x20=128M "
            "0x40=256M 0x80=16G 0x100=2M)",
            cfg::Unit::hex);
    v.param("ddw_max_tces", ddw_max_tces, "largest DDW in TCEs (query largest_available_block)");
    v.param("max_levels", max_levels, "deepest DDW table the hypervisor builds",
            cfg::Range<unsigned>{1, 5});
    v.param("table_level_bits", table_level_bits, "DDW index bits per table level",
            cfg::Range<unsigned>{9, 28});
    v.param("query_out_ext", query_out_ext, "query returns 6 outputs (64-bit largest block)");
    v.param("freeze_on_error", freeze_on_error, "EEH: freeze a PE's DMA on its first error");
    v.param("table_pool_size", table_pool_size,
            "hypervisor memory for TCE tables (top of physical memory)", cfg::Unit::bytes);
    v.group("tce_cache", tce_cache, "TCE cache tagged by PE, window and bus page");
    v.param("cache_lookup", cache_lookup, "TCE cache lookup latency");
    v.param("walk_level", walk_level, "PHB work per table level (memory read time is extra)");
    v.param("hcall_entry", hcall_entry, "hypervisor call entry + exit");
    v.param("per_tce", per_tce, "hypervisor work per TCE stored");
    v.param("tce_kill", tce_kill, "one TCE kill (register write + completion)");
    v.param("rtas_entry", rtas_entry, "RTAS call round trip");
  }
  /// Cross-field checks: default window geometry, known DDW mask bits.
  void validate(cfg::ParamChecker& c) const;
};

class TceIommu final : public IommuBase, public PaprInterface {
 public:
  /// PHB3 TCE Kill register (IODA2; Linux PHB3_TCE_KILL 0x210) in our register block.
  static constexpr uint64_t kTceKillOffset = 0x210;
  static constexpr uint64_t kMmioSize = 0x1000;

  TceIommu(const ComponentSpec& spec, const TceIommuParams& p, BuildContext& ctx);
  ~TceIommu() override;
  uint64_t mmio_size() const override { return kMmioSize; }

  PaprResult hcall(std::string_view name, std::span<const uint64_t> args) override;
  PaprResult rtas(std::string_view name, std::span<const uint64_t> args) override;
  /// What firmware would put in the device tree for `rid`: its PE, the default window
  /// (LIOBN, bus 0, size), the BUID, partition memory (below the table pool), every call offered.
  std::optional<PaprDmaInfo> dma_info(uint16_t rid) const override;

 private:
  using Key = PageKey<tce::CacheTag>;

  void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  unsigned dma_debug(int port, tlm::tlm_generic_payload& tx) override;
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;

  /// Translates one page-contained piece; adds cache and walk time to `delay`.
  tce::TceResult translate(const tce::TceRequest& req, sc_core::sc_time& delay);
  /// Charges a walk's table reads through the downstream socket.
  void charge_walk(const tce::TceFetch& f, sc_core::sc_time& delay);
  void apply_kill(const tce::TceKill& k);
  void count_block(tce::BlockReason r);
  Tick lat(const Latency& l) const { return l.to_ticks(p_.clock.mhz); }

  TceIommuParams p_;
  PhysAllocator table_pool_;
  uint64_t partition_mem_end_;  ///< partition memory is [0, this); the table pool lies above
  tce::PeMap pes_;
  tce::TceTranslator translator_;
  std::unique_ptr<tce::TceHypervisor> hv_;
  SetAssocCache<Key, tce::CacheEntry> cache_;

  stats::Group cache_stats_;
  stats::Counter& dmas_;
  stats::Counter& walks_;
  stats::Counter& walk_reads_;
  stats::Counter& blocked_;
  stats::Counter& blk_outside_;
  stats::Counter& blk_invalid_;
  stats::Counter& blk_perm_;
  stats::Counter& blk_table_;
  stats::Counter& blk_frozen_;
  stats::Counter& kills_;
  stats::Counter& tces_written_;
  stats::Group hcall_stats_;
  stats::Counter& h_put_tce_;
  stats::Counter& h_get_tce_;
  stats::Counter& h_put_tce_indirect_;
  stats::Counter& h_stuff_tce_;
  stats::Counter& hcall_errors_;
  stats::Group rtas_stats_;
  stats::Counter& rtas_query_;
  stats::Counter& rtas_create_;
  stats::Counter& rtas_remove_;
  stats::Counter& rtas_reset_;
  stats::Counter& rtas_errors_;
  std::vector<DmaPiece> pieces_;  // reused by every DMA: no allocation per request
};

/// Registers type `tce`.
void register_tce_iommu();

}  // namespace isim
