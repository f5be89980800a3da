// The Arm SMMUv3 (IHI 0070) as a SystemC model, registered as type `smmuv3`: the two register
// pages, the functional translator (translator.h) with caches between its steps, the Command
// queue consumed by a thread, the Event queue, and the stall fault model.
//
// Can do: every register of pages 0 and 1 listed in regs.h at its architected offset, with
// CR0/CR0ACK, IRQ_CTRL/IRQ_CTRLACK and GBPA.Update handshakes after configurable latencies;
// GERROR/GERRORN toggles; STE/CD configuration caches, a TLB tagged by VMID and ASID (or ASET
// for global entries), an IPA cache for nested walks, all stale until invalidated; the Command
// queue in memory (every Non-secure command of IHI 0070 4, CERROR_ILL / CERROR_ABT stopping the
// queue until GERRORN acknowledges); the Event queue with overflow; MSIs for CMD_SYNC, events
// and global errors; stalled transactions held until CMD_RESUME / CMD_STALL_TERM.
// ATS translation requests, CMD_ATC_INV to the device's ATC (CMD_SYNC waits for it), the PRI
// queue with CMD_PRI_RESP, a walk cache per stage and level, and a TBU micro-TLB per device
// port in front of the shared (TCU) caches.
// Can't do (SPEC_COVERAGE.md): L1STD/L1CD caching, Secure state, ATOS, event
// merging.
//
// Timing: a DMA pays the TBU lookup and, on a TBU miss, the lookups of the TCU caches it consults;
// an ATS Translated DMA skips the TBU. Every structure and table read a miss makes goes through
// the downstream socket (memory latency and contention) plus walk_read, and the whole miss holds
// one of `walkers` walk slots; its reads are issued from when that walker is free. Commands are
// consumed one at a time by a thread: fetch through downstream, then the command's cost.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "hw/dma_attrs.h"
#include "hw/inflight.h"
#include "hw/iommu_base.h"
#include "hw/reg_bank.h"
#include "hw/resource_pool.h"
#include "hw/ring.h"
#include "hw/translated_dma.h"
#include "models/smmuv3/commands.h"
#include "models/smmuv3/smmu_caches.h"
#include "models/smmuv3/smmuv3_params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class SparseMemory;

class SmmuV3Iommu final : public IommuBase {
 public:
  SmmuV3Iommu(const ComponentSpec& spec, const SmmuV3Params& p, BuildContext& ctx);
  ~SmmuV3Iommu() override;
  uint64_t mmio_size() const override { return smmuv3::kMmioBytes; }

 private:
  class CachedSteps;
  /// A transaction held by the stall fault model (IHI 0070 3.12.2) until CMD_RESUME or
  /// CMD_STALL_TERM names it.
  struct Stalled {
    uint32_t sid = 0;
    uint16_t stag = 0;
    sc_core::sc_event done;
    bool retry = false;     ///< RESUME with Ac = 1
    bool abort = true;      ///< terminate with abort (else RAZ/WI)
    bool resolved = false;  ///< software answered (possibly before the transaction waits)
  };

  void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  /// 8: a PCIe Page Request into the PRI queue (or an automatic response when it cannot be).
  bool page_request(const PageRequest& pr, sc_core::sc_time& delay) override;
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;
  /// Debug DMA: translated without caches, stats or events; 0 bytes unless it translates.
  unsigned dma_debug(int port, tlm::tlm_generic_payload& tx) override;

  // --- registers (smmuv3_iommu.cpp)
  void add_register_hooks();
  uint64_t reg(const char* name) const;
  RegBank::RegId id(const char* name) const;
  void apply_cr0();
  void apply_irq_ctrl();
  void apply_gbpa();
  smmuv3::SmmuState state() const;
  bool cr0ack(unsigned bit) const;

  // --- translation (smmuv3_iommu.cpp)
  smmuv3::TranslateResult translate(const smmuv3::Request& req, sc_core::sc_time& delay);
  /// The TBU of `port` first, then translate() on a miss.
  smmuv3::TranslateResult tbu_translate(int port, const smmuv3::Request& req,
                                        sc_core::sc_time& delay);
  /// Empties every TBU (on any TLB or configuration invalidation, and SMMUEN changes).
  void flush_tbus();
  /// Charges the reads of a translation through downstream and books a walker for them.
  void charge_reads(const smmuv3::ReadLog& reads, sc_core::sc_time& delay);
  void count_outcome(const smmuv3::TranslateResult& r);

  // --- memory traffic of the SMMU itself
  bool mem_read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay);
  bool mem_write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay);
  /// An MSI: a 32-bit write of `data` to `addr` (IHI 0070 3.18); addr 0 means none.
  void send_msi(uint64_t addr, uint32_t data, unsigned gerror_bit, sc_core::sc_time& delay);

  // --- global errors (6.3.18)
  bool gerror_active(unsigned bit) const;
  void raise_gerror(unsigned bit, sc_core::sc_time& delay);

  // --- Event queue (smmuv3_queues.cpp)
  /// Writes one record; false when it was not written (queue disabled, full, or abort).
  bool record_event(const smmuv3::EventRecord& e, sc_core::sc_time& delay);

  // --- Command queue (smmuv3_queues.cpp)
  void cmdq_thread();
  bool cmdq_runnable();
  /// Consumes the command at CONS; false when the queue stopped on an error.
  bool cmdq_step();
  sc_core::sc_time execute(const smmuv3::Command& c);
  void cmdq_error(smmuv3::CmdError e, sc_core::sc_time& delay);
  /// 8.1/8.2: an automatic PRG Response to a page request the PRI queue did not take.
  void auto_page_response(const PageRequest& pr, uint8_t code, bool with_pasid, Tick now);
  void ats_translation(DmaAttrs& attrs, const smmuv3::Request& req, tlm::tlm_generic_payload& tx,
                       sc_core::sc_time& delay);
  void resume(uint32_t sid, uint16_t stag, bool retry, bool abort);
  void stall_term(uint32_t sid);
  WrapIndexRing queue_ring(const char* base_reg, unsigned max_lg2, uint32_t entry_bytes) const;

  Tick lat(const Latency& l) const { return l.to_ticks(p_.clock.mhz); }
  sc_core::sc_time lat_t(const Latency& l) const;

  SmmuV3Params p_;
  /// lat_t(p_.tbu_lookup), converted once: every request adds it (a cycle count to ticks is a
  /// floating-point division).
  sc_core::sc_time tbu_lookup_t_;
  smmuv3::IdRegs id_regs_;
  SparseMemory& mem_;
  RegBank bank_;
  smmuv3::SmmuCaches caches_;
  uint64_t seed_;
  ResourcePool walkers_;
  InflightTable<smmuv3::TlbKey, smmuv3::TlbKeyHash> inflight_;
  std::map<int, std::unique_ptr<SetAssocCache<smmuv3::TbuKey, smmuv3::TbuEntry>>> tbus_;
  sc_core::sc_time access_delay_;  ///< local offset of the register access being served
  uint32_t gbpa_eff_ = 0;          ///< GBPA as it applies to traffic (updated when Update clears)
  /// Registers state() reads for every translation that misses the TBU (ATS translated
  /// requests included), resolved once: a lookup by name per request cost more than the hit.
  struct StateRegIds {
    RegBank::RegId cr0ack = 0, cr2 = 0, strtab_base = 0, strtab_base_cfg = 0;
  } state_ids_;
  uint16_t next_stag_ = 0;
  Tick atc_inv_done_ = 0;        ///< when the last ATC invalidation sent completes (CMD_SYNC waits)
  bool atc_inv_failed_ = false;  ///< an ATC invalidation timed out since the last CMD_SYNC
  std::deque<Stalled*> stalled_;

  sc_core::sc_event cr0_ev_, irq_ev_, gbpa_ev_, cmdq_ev_;

  stats::Group tr_stats_;
  stats::Counter& dmas_;
  stats::Counter& translated_;
  stats::Counter& bypassed_;
  stats::Counter& aborted_;
  stats::Counter& raz_wi_;
  stats::Counter& stalls_;
  stats::Counter& walks_;
  stats::Counter& walk_reads_;
  stats::Counter& table_reads_;
  stats::Counter& tbu_hits_;
  stats::Counter& tbu_misses_;
  stats::Counter& ats_translated_;
  stats::Group cache_stats_;
  std::vector<std::unique_ptr<stats::Group>> cache_groups_;
  stats::Group ev_stats_;
  stats::Counter& ev_written_;
  stats::Counter& ev_dropped_;
  stats::Counter& ev_overflows_;
  stats::Group cmd_stats_;
  stats::Counter& cmds_;
  stats::Counter& cmd_errors_;
  stats::Counter& syncs_;
  stats::Counter& atc_invs_;
  stats::Group pri_stats_;
  stats::Counter& pri_records_;
  stats::Counter& pri_auto_responses_;
  stats::Counter& pri_overflows_;
  stats::Counter& pri_responses_;
  stats::Counter& msis_;
  stats::Counter& gerrors_;
  stats::Group inv_stats_;
  stats::Counter& inv_entries_;
  std::vector<stats::Counter*> ev_by_type_;  ///< indexed by EventType
  std::vector<stats::Counter*> cmd_by_op_;   ///< indexed by opcode
  std::vector<DmaPiece> pieces_;             // reused by every DMA: no allocation per request
};

/// Registers type `smmuv3`.
void register_smmuv3_iommu();

}  // namespace isim
