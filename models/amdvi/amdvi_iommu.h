// The AMD-Vi IOMMU (AMD I/O Virtualization Technology, spec 48882) as a SystemC/TLM model,
// registered as type `amdvi`. Software programs it only through its MMIO registers (3.4) and
// the structures and rings in memory; the functional layer in this folder decodes them.
//
// Can do: the 3.4 registers incl. EFR from params and the MSI capability mirror; Control
// enables with the Status run/overflow/interrupt bits (RW1C); DMA translation through the
// functional translator with a device table cache, an IOTLB tagged by DomainID/PASID/page, a
// v1 and v2 page-directory caches and a GCR3 cache between its steps, all stale until invalidated;
// a walker pool and in-flight miss merging; nested stage 2 served by the IOTLB's host entries; the
// exclusion range; ATS translation requests and translated requests (DTE.I); the command buffer,
// consumed in order with a per-command cost: COMPLETION_WAIT (store, interrupt; waits for ATS
// invalidations), the invalidations, INVALIDATE_IOTLB_PAGES as an ATS invalidation to the device
// (InvTimeOut -> IOTLB_INV_TIMEOUT), COMPLETE_PPR_REQUEST as a page group response,
// INVALIDATE_INTERRUPT_TABLE / PREFETCH_IOMMU_PAGES accepted; ILLEGAL_COMMAND_ERROR and
// COMMAND_HARDWARE_ERROR halt the buffer; the event and PPR logs with overflow, interrupt bits
// and MSI; DTE SA / SE suppression.
// Can't do (SPEC_COVERAGE.md): interrupt remapping, A/D updates, INVALID_PPR_REQUEST, the GA
// log, performance counters.
//
// Timing (loosely timed): a DMA pays the DTE cache, IOTLB and (on a miss) page-directory /
// GCR3 cache lookups; a miss books a walker from the pool and charges every structure read
// through `downstream`, so walks see memory latency and contention. The command processor is
// an SC_THREAD woken by tail/enable writes; each command costs cmd_fetch plus its read, and
// invalidations cmd_invalidate; stores, log entries and MSIs are writes through `downstream`.
#pragma once

#include <array>
#include <memory>
#include <unordered_set>
#include <vector>

#include "hw/inflight.h"
#include "hw/iommu_base.h"
#include "hw/reg_bank.h"
#include "hw/resource_pool.h"
#include "hw/sparse_memory.h"
#include "hw/translated_dma.h"
#include "models/amdvi/amdvi_caches.h"
#include "models/amdvi/amdvi_params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

class AmdviIommu final : public IommuBase {
 public:
  AmdviIommu(const ComponentSpec& spec, const AmdviParams& p, BuildContext& ctx);
  ~AmdviIommu() override;
  uint64_t mmio_size() const override { return amdvi::reg::kMmioBytes; }
  /// 2.6: a PRI page request becomes a PPR log entry (needs EFR.PPRSup, Control.PPREn and
  /// DTE.PPR); false when it is refused.
  bool page_request(const PageRequest& pr, sc_core::sc_time& delay) override;

 private:
  void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  unsigned dma_debug(int port, tlm::tlm_generic_payload& tx) override;
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;

  // --- Translation (amdvi_iommu.cpp) ---------------------------------------------------------
  amdvi::UnitState unit_state() const;
  /// Translates one request through the caches; adds lookup and walk time to `delay`.
  amdvi::Result translate(const amdvi::Request& req, sc_core::sc_time& delay);
  /// The DTE, from the cache or memory; nullopt with `fault` set when it cannot be used.
  bool device_context(const amdvi::UnitState& st, const amdvi::Request& req,
                      amdvi::DeviceContext& ctx, amdvi::Fault& fault, sc_core::sc_time& delay);
  amdvi::Result walk_host(const amdvi::DeviceContext& ctx, const amdvi::Request& req,
                          sc_core::sc_time& walk);
  amdvi::Result walk_guest(const amdvi::DeviceContext& ctx, uint32_t pasid,
                           const amdvi::Request& req, sc_core::sc_time& walk);
  /// Where a v1 walk of `va` starts: the deepest table the page-directory cache holds, else
  /// the DTE root. Adds the lookup time to `walk`.
  pt::WalkStart host_start(const amdvi::DeviceContext& ctx, uint64_t va, bool& from_cache,
                           sc_core::sc_time& walk);
  /// Nested stage 2: a GPA through the IOTLB's host entries of the domain, else a v1 walk
  /// (whose result fills the IOTLB and the page-directory cache).
  pt::StageResult stage2(const amdvi::DeviceContext& ctx, uint64_t gpa, const pt::AccessReq& a,
                         pt::WalkLog& log, sc_core::sc_time& walk);
  /// The IOTLB probe list: every page size it may hold, smallest first.
  unsigned iotlb_probes(std::array<unsigned, 64>& probes) const;
  /// Where a v2 walk starts: the deepest cached guest table, else the GCR3 root.
  pt::WalkStart guest_start(const amdvi::DeviceContext& ctx, const amdvi::GuestContext& g,
                            uint64_t va, bool& from_cache, sc_core::sc_time& walk);
  void fill_guest_pde_cache(const amdvi::DeviceContext& ctx, uint32_t pasid, uint64_t va,
                            const pt::WalkStart& start, const pt::WalkLog& log);
  void fill_pde_cache(const amdvi::DeviceContext& ctx, uint64_t va, const pt::WalkStart& start,
                      const pt::WalkLog& log);
  /// Charges the reads of `log` through `downstream` (plus walk_level each) onto `delay`.
  void charge(const pt::WalkLog& log, sc_core::sc_time& delay);
  /// Logs the fault's event unless DTE.SA / SE suppress it; counts it by kind.
  void report(const amdvi::Fault& f, sc_core::sc_time& delay);

  // --- Queues and interrupts (amdvi_queues.cpp) ----------------------------------------------
  void on_control_write(const RegWrite& w);
  void cmd_thread();
  /// Applies one command at `cmd_addr`, adding its cost to `d`; false when the buffer halts.
  bool execute(const amdvi::Command& c, uint64_t cmd_addr, sc_core::sc_time& d);
  /// 2.4.4: sends the ATS invalidation to the device; COMPLETION_WAIT waits for it.
  void invalidate_iotlb(const amdvi::Command& c, uint64_t cmd_addr, sc_core::sc_time& d);
  void invalidate_pages(const amdvi::Command& c);
  void invalidate_device(uint16_t device_id);
  void invalidate_all();
  void halt_commands();
  void log_event(const amdvi::Event& e, sc_core::sc_time& delay);
  /// One of the logs software reads (event log, PPR log): its registers and Status bits.
  struct LogRing {
    RegBank::RegId base, head, tail;
    unsigned run, overflow, intr;  ///< Status bits
    unsigned int_en;               ///< Control bit enabling its interrupt
  };
  /// Appends an entry at the tail (overflow: the entry is lost and the log stops); false when
  /// nothing was written.
  bool append_log(const LogRing& log, const amdvi::Qw2& entry, sc_core::sc_time& delay);
  void raise_msi(sc_core::sc_time& delay);
  void set_status(unsigned bit, bool v);
  bool status(unsigned bit) const;
  bool control(unsigned bit) const;
  Tick lat(const Latency& l) const { return l.to_ticks(p_.clock.mhz); }
  sc_core::sc_time lat_t(const Latency& l) const;

  AmdviParams p_;
  /// lat_t(p_.dte_lookup) and lat_t(p_.iotlb_lookup), converted once: every request adds both
  /// (a cycle count to ticks is a floating-point division).
  sc_core::sc_time dte_lookup_t_, iotlb_lookup_t_;
  SparseMemory& mem_;
  RegBank bank_;
  amdvi::RegIds ids_;
  amdvi::Translator translator_;
  amdvi::DteCache dte_cache_;
  amdvi::Iotlb iotlb_;
  amdvi::PdeCache pde_cache_;
  amdvi::Gcr3Cache gcr3_cache_;
  amdvi::GuestPdeCache guest_pde_cache_;
  uint64_t iotlb_sizes_ = 0;  ///< bit k: the IOTLB may hold pages of 2^k bytes
  ResourcePool walkers_;
  struct InflightHash {
    size_t operator()(const amdvi::IotlbKey& k) const {
      return std::hash<uint64_t>()(k.page ^ (uint64_t{k.tag.domain_id} << 48) ^
                                   (uint64_t{k.tag.pasid} << 28) ^ (k.tag.gn ? 1 : 0));
    }
  };
  InflightTable<amdvi::IotlbKey, InflightHash> inflight_;  ///< walks under way, per 4 KiB page
  Tick ats_pending_until_ = 0;  ///< when every ATS invalidation sent so far has completed
  std::unordered_set<uint16_t> se_logged_;  ///< devices whose DTE.SE suppressed further faults
  sc_core::sc_event cmd_event_;
  sc_core::sc_time mmio_delay_;  ///< annotated time of the register write being served

  stats::Group dte_stats_, iotlb_stats_, pde_stats_, gcr3_stats_, guest_pde_stats_, walker_stats_;
  stats::Counter& dmas_;
  stats::Counter& blocked_;
  stats::Counter& walks_;
  stats::Counter& walk_reads_;
  stats::Counter& ats_requests_;
  stats::Group event_stats_;
  std::vector<stats::Counter*> events_;  ///< by EventCode
  stats::Counter& events_written_;
  stats::Counter& events_suppressed_;
  stats::Counter& events_dropped_;
  stats::Counter& event_overflows_;
  stats::Counter& interrupts_;
  stats::Group cmd_stats_;
  std::vector<stats::Counter*> commands_;  ///< by opcode
  stats::Counter& illegal_commands_;
  stats::Counter& cmd_hw_errors_;
  stats::Counter& completion_stores_;
  stats::Group inval_stats_;
  stats::Counter& inv_dte_;
  stats::Counter& inv_pages_host_;
  stats::Counter& inv_pages_guest_;
  stats::Counter& inv_all_;
  stats::Counter& inv_iotlb_pages_;
  stats::Counter& iotlb_inv_timeouts_;
  stats::Counter& walks_merged_;
  stats::Histogram& walk_time_;         ///< per walk: walker booking start to end
  stats::Histogram& walker_wait_;       ///< per walk: time waiting for a free walker
  stats::Histogram& translation_time_;  ///< per translated page: lookups + wait + walk
  stats::Group ppr_stats_;
  stats::Counter& ppr_requests_;
  stats::Counter& ppr_refused_;
  stats::Counter& ppr_logged_;
  stats::Counter& ppr_overflows_;
  stats::Counter& ppr_responses_;
  std::vector<DmaPiece> pieces_;  // reused by every DMA: no allocation per request
};

/// Registers type `amdvi`.
void register_amdvi_iommu();

}  // namespace isim
