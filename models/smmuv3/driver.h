// A host driver for the SMMUv3 model that programs it the way Linux's arm-smmu-v3 driver does
// (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c), through registers and memory only:
//
// - probe: IDR0/1/3/5; refuses what the driver cannot use, with the reason (no AArch64 tables,
//   neither stage, a command queue of 64 entries or fewer, preset tables or queues, no 4 KiB
//   granule, a 2-level stream table asked for without IDR0.ST_LEVEL);
// - stream table: 2-level with SPLIT 8 when IDR0.ST_LEVEL allows it and SIDSIZE > 8 (Linux
//   arm_smmu_init_strtab), else linear; every STE starts as abort (disable_bypass); level-2
//   arrays of 256 STEs are allocated when a StreamID is first used;
// - queues: command, event and (with IDR0.PRI) PRI queues of min(queue_lg2, IDR1.xQS)
//   entries; CR1 (write-back, inner shareable), CR2 (PTM, RECINVSID), STRTAB_BASE(_CFG);
//   then the enables one at a time in CR0, each polled in CR0ACK (CMDQEN, then CFGI_ALL and
//   TLBI_NSNH_ALL, EVENTQEN, PRIQEN, ATSCHK with IDR0.ATS, SMMUEN); an SMMU found enabled is
//   first made to abort through GBPA and disabled; with `bypass` SMMUEN stays clear and
//   GBPA.ABORT is cleared instead;
// - CMD_SYNC completion: with IDR0.MSI and IDR0.COHACC (Linux ARM_SMMU_OPT_MSIPOLL) CS =
//   SIG_IRQ with the MSI aimed at the CMD_SYNC's own queue slot and data 0, polled in memory;
//   otherwise CS = SIG_SEV and CMDQ_CONS is polled. A command error (GERROR.CMDQ_ERR) has the
//   failing command replaced by a CMD_SYNC and is acknowledged in GERRORN, as Linux
//   arm_smmu_cmdq_skip_err does; the caller sees the failure;
// - STEs and CDs are written with Linux's entry writer (arm_smmu_write_entry): the bits the
//   current entry ignores first, then the one 64-bit word that switches the configuration, then
//   the rest, each step followed by CMD_CFGI_STE / CMD_CFGI_CD + CMD_SYNC; an update that must
//   change more than one word in use clears V first (a breaking update);
// - domains: stage 1 (48-bit VA, 4 KiB granule, an ASID from 1) or stage 2 (IPA = OAS bits, a
//   VMID from 1), tables built like io-pgtable-arm (nG stage-1 leaves, empty tables kept until
//   the domain goes); unmap invalidates with TLBI_NH_VA (stage 1) / TLBI_S2_IPA (stage 2), as
//   range commands with IDR3.RIL, a whole ASID / VMID beyond 512 commands, then CMD_SYNC
//   (strict); or queues the range and invalidates the whole ASID / VMID per `batch` unmaps
//   (batched, Linux's flush queue); ATS-enabled masters get CMD_ATC_INV + CMD_SYNC after it;
// - masters: a CD table per StreamID (src/pasid SmmuCdTable: linear, or 2-level with 64 KiB
//   leaves when IDR0.CD2L and more than 2^10 SubstreamIDs), STE S1 with S1DSS = SSID0; STE S2;
//   bypass; abort; PASID attachments of stage-1 domains; SVA binds (a CD with its own ASID,
//   ASET = 0 as the CPU shares it, over a process's stage-1 table); nested: STE Config = 111 whose
//   S1ContextPtr is the guest's CD table as an IPA, over a stage-2 domain;
// - the event queue is drained into decoded records; the PRI queue into page requests, each
//   last request of a group answered with CMD_PRI_RESP (the handler decides the response).
//
// Interrupts are not used: IRQ_CTRL is cleared and the driver polls its queues. Pure C++: the
// platform side is the host::HostBus the caller supplies. Sources: driver.cpp (probe, bring-up,
// queues), driver_entries.cpp (STEs, CDs, masters), driver_domains.cpp (domains, TLB and ATC
// maintenance).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/time.h"
#include "host/host_bus.h"
#include "hw/phys_allocator.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/commands.h"
#include "models/smmuv3/events.h"
#include "models/smmuv3/pri.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"
#include "pagetable/page_table.h"

namespace isim::pasid {
class SmmuCdTable;
}

namespace isim::smmuv3 {

enum class StrtabChoice : uint8_t { automatic, linear, two_level };
/// What unmap() does about the TLB.
enum class FlushPolicy : uint8_t {
  strict,   ///< invalidate the range and wait, per unmap (iommu.strict=1)
  batched,  ///< queue it; every `batch` unmaps (or flush()) invalidate whole ASIDs / VMIDs
  caller,   ///< nothing: the caller invalidates (the domain API's contract)
};
/// How the driver waits for CMD_SYNC.
enum class SyncWait : uint8_t { automatic, msi, cons };

struct DriverOptions {
  uint64_t pool_base = 0;   ///< memory the driver allocates tables and queues from
  uint64_t pool_limit = 0;  ///< ... up to here
  StrtabChoice strtab = StrtabChoice::automatic;
  unsigned queue_lg2 = 8;   ///< log2 entries of each queue, capped at IDR1.CMDQS/EVENTQS/PRIQS
  unsigned ssid_bits = 20;  ///< SubstreamID bits of a master's CD table (capped at SSIDSIZE)
  FlushPolicy flush = FlushPolicy::strict;
  unsigned batch = 64;  ///< batched: unmaps per flush (Linux's flush queue holds 256 per CPU)
  SyncWait sync = SyncWait::automatic;
  bool bypass = false;            ///< leave SMMUEN clear, traffic bypasses through GBPA
  Tick poll_interval = 100'000;   ///< between register / memory polls (100 ns)
  unsigned poll_limit = 100'000;  ///< polls before a handshake or CMD_SYNC is declared lost
};

struct DriverCounts {
  uint64_t commands = 0;  ///< commands written, CMD_SYNCs included
  uint64_t syncs = 0;     ///< CMD_SYNCs completed
  uint64_t sync_timeouts = 0;
  uint64_t cmd_errors = 0;  ///< GERROR.CMDQ_ERR seen and skipped
  uint64_t cfgi_ste = 0;
  uint64_t cfgi_cd = 0;
  uint64_t tlbi = 0;          ///< TLBI commands
  uint64_t atc_inv = 0;       ///< ATC_INV commands
  uint64_t ste_hitless = 0;   ///< STE/CD updates that switched one word in use
  uint64_t ste_breaking = 0;  ///< STE/CD updates that cleared V first
  uint64_t maps = 0;
  uint64_t unmaps = 0;
  uint64_t flushes = 0;  ///< batched: whole-ASID / VMID flushes
  uint64_t events = 0;   ///< event records consumed
  uint64_t event_overflows = 0;
  uint64_t page_requests = 0;  ///< PRI records consumed
  uint64_t pri_responses = 0;
};

/// A PRI handler: the response for the last request of a group.
using PriHandler = std::function<PriResp(const PriRecord&)>;

class Smmuv3Driver {
 public:
  Smmuv3Driver(host::HostBus& bus, const DriverOptions& opts);
  ~Smmuv3Driver();
  Smmuv3Driver(const Smmuv3Driver&) = delete;
  Smmuv3Driver& operator=(const Smmuv3Driver&) = delete;

  /// Probes and brings the SMMU up; empty on success, else why not.
  std::string init();
  /// What the ID registers said (valid after init(), or after probe()).
  const IdParams& ids() const { return ids_; }
  const IdRegs& id_regs() const { return idr_; }
  /// Reads the ID registers; empty when the driver can use the SMMU, else why not.
  std::string probe();
  bool two_level_strtab() const { return two_level_; }
  bool msi_sync() const { return msi_sync_; }
  unsigned master_ssid_bits() const;

  // --- Domains --------------------------------------------------------------------------------
  /// A stage-1 domain (its own ASID); nullopt without IDR0.S1P or memory.
  std::optional<uint32_t> create_s1_domain();
  /// The stage-1 format bind_sva's CD describes (4 KiB granule, 48-bit VA, TTB0 only, IPS =
  /// OAS): a process's tables must be built in it (Linux arm_smmu_sva_supported checks the
  /// CPU's granule and VA size against the SMMU's).
  pt::ArmLpaeConfig sva_config() const;
  /// A stage-2 domain (its own VMID); nullopt without IDR0.S2P or memory.
  std::optional<uint32_t> create_s2_domain();
  bool is_s2(uint32_t domain) const;
  uint64_t domain_root(uint32_t domain) const;
  uint16_t domain_asid(uint32_t domain) const;
  uint16_t domain_vmid(uint32_t domain) const;
  bool map(uint32_t domain, uint64_t iova, uint64_t pa, uint64_t size, bool read, bool write);
  /// Clears the tables, then invalidates as the flush policy says.
  bool unmap(uint32_t domain, uint64_t iova, uint64_t size);
  /// Batched: invalidates every domain with queued unmaps.
  bool flush();
  /// Invalidates [iova, iova + size) of `domain` now (size 0: all of it), ATCs included.
  bool invalidate(uint32_t domain, uint64_t iova, uint64_t size);

  // --- Masters (by StreamID) -----------------------------------------------------------------
  /// Requests without a SubstreamID translate through `domain` (stage 1: CD 0 of the master's
  /// CD table; stage 2: the STE).
  bool attach(uint32_t sid, uint32_t domain);
  bool attach_bypass(uint32_t sid);
  bool attach_abort(uint32_t sid);
  /// Requests with SubstreamID `ssid` translate through stage-1 domain `domain`.
  bool attach_pasid(uint32_t sid, uint32_t ssid, uint32_t domain);
  /// SVA: requests with `ssid` translate through the process stage-1 table at `ttb0` (48-bit
  /// VA, 4 KiB granule) under a new ASID, which is returned. A binding already at `ssid` is
  /// replaced; a previous process's ASID is then invalidated (TLBI_NH_ASID, ATC_INV).
  std::optional<uint16_t> bind_sva(uint32_t sid, uint32_t ssid, uint64_t ttb0);
  /// Clears `ssid`'s CD, then drops its ASID's TLB entries (and the ATC's).
  bool unbind(uint32_t sid, uint32_t ssid);
  /// The CD table `sid`'s STE points at (S1ContextPtr); 0 before the master has one.
  uint64_t cd_table(uint32_t sid) const;
  /// After a process changed its table: TLBI_NH_VA of the range under `asid` (size 0: all).
  bool invalidate_asid(uint16_t asid, uint64_t va, uint64_t size);
  /// Nested: STE Config = 111 with the guest's CD table at IPA `cd_table_ipa` (linear,
  /// S1CDMax = `s1cdmax`) over stage-2 domain `parent`.
  bool attach_nested(uint32_t sid, uint32_t parent, uint64_t cd_table_ipa, unsigned s1cdmax);
  /// Nested: the guest changed its stage 1: TLBI_NH_VAA of the range in the parent's VMID
  /// (size 0: TLBI_NH_ALL), then the ATCs of the parent's masters.
  bool invalidate_nested(uint32_t parent, uint64_t va, uint64_t size);
  /// The master has ATS enabled (STE.EATS = 01; ATC_INV after TLB invalidations). Takes effect
  /// at the next attach. False without IDR0.ATS.
  bool set_ats(uint32_t sid, bool on);

  // --- Queues -----------------------------------------------------------------------------------
  /// Consumes the event queue; returns how many records were read.
  size_t drain_events();
  const std::vector<EventRecord>& events() const { return events_; }
  void clear_events() { events_.clear(); }
  /// Consumes the PRI queue, answering each last request of a group (then one CMD_SYNC).
  size_t drain_pri();
  const std::vector<PriRecord>& page_requests() const { return prs_; }
  /// Default: InvalidRequest (no fault handler, as Linux answers unhandled faults).
  void set_pri_handler(PriHandler h) { pri_handler_ = std::move(h); }

  /// Queues commands, then a CMD_SYNC, and waits for it. False on a command error or time-out.
  bool submit(const std::vector<Command>& cmds);

  const DriverCounts& counts() const { return counts_; }
  host::HostBus& bus() { return bus_; }

 private:
  struct Domain {
    bool s2 = false;
    uint16_t asid = 0;
    uint16_t vmid = 0;
    unsigned s2_t0sz = 0;  ///< stage 2: STE.S2T0SZ
    unsigned s2_sl0 = 0;   ///< stage 2: STE.S2SL0
    std::unique_ptr<pt::PageTable> table;
    bool pending = false;  ///< batched: unmaps not yet invalidated
    /// (StreamID, with SubstreamID, SubstreamID) translating through it (ATC invalidation).
    std::set<std::tuple<uint32_t, bool, uint32_t>> masters;
    bool nest_parent = false;  ///< a nested STE uses it as stage 2
  };
  enum class RidMode : uint8_t { abort, bypass, s1, s2, nested };
  struct Master {
    RidMode mode = RidMode::abort;
    uint32_t domain = 0;  ///< s1 / s2 / nested parent
    uint64_t nested_cd_ipa = 0;
    unsigned nested_cdmax = 0;
    bool ats = false;
    std::unique_ptr<pasid::SmmuCdTable> cds;
    uint64_t cd_bytes = 0;                ///< table memory at the last CD write (new leaves)
    std::map<uint32_t, uint32_t> pasids;  ///< SSID -> domain (stage 1) or 0 (SVA)
    std::map<uint32_t, uint16_t> sva;     ///< SSID -> ASID of an SVA bind
  };

  uint32_t read32(uint32_t off);
  void write32(uint32_t off, uint32_t v);
  bool write_sync(uint32_t reg, uint32_t ack, uint32_t v);
  bool update_gbpa(uint32_t set, uint32_t clr);
  std::optional<uint64_t> alloc_zeroed(uint64_t bytes, uint64_t align);
  bool setup_strtab();
  std::string enable();

  // Command queue
  bool push(const Command& c);
  bool wait_sync(uint32_t sync_index);
  bool cmdq_error_active();
  bool skip_error();
  uint32_t cmdq_space();

  // STE / CD writing
  uint64_t ste_addr(uint32_t sid);
  SteWords make_ste(uint32_t sid);
  bool write_ste(uint32_t sid);
  using Words8 = std::array<uint64_t, 8>;
  bool write_entry(uint64_t pa, const Words8& target, bool is_ste,
                   const std::function<bool()>& sync);
  Master& master(uint32_t sid);
  bool ensure_cd_table(uint32_t sid);
  bool write_cd(uint32_t sid, uint32_t ssid, uint64_t pa, const CdWords& w);
  Cd make_cd(uint16_t asid, uint64_t ttb0, bool shared = false) const;
  bool set_cd(uint32_t sid, uint32_t ssid, const Cd& cd);
  bool clear_cd(uint32_t sid, uint32_t ssid);

  // TLB maintenance
  void tlbi_range(std::vector<Command>& cmds, Command base, uint64_t iova, uint64_t size) const;
  void atc_inv(std::vector<Command>& cmds, const Domain& d, uint64_t iova, uint64_t size,
               std::optional<uint32_t> ssid) const;
  Command atc_cmd(uint32_t sid, uint64_t iova, uint64_t size, std::optional<uint32_t> ssid) const;
  bool invalidate_all(Domain& d);

  host::HostBus& bus_;
  DriverOptions opts_;
  PhysAllocator pool_;
  IdRegs idr_;
  IdParams ids_;
  bool up_ = false;
  bool two_level_ = false;
  bool msi_sync_ = false;
  unsigned sid_bits_ = 0;
  unsigned cmdq_lg2_ = 0, evtq_lg2_ = 0, priq_lg2_ = 0;
  uint64_t strtab_ = 0;
  std::map<uint32_t, uint64_t> l2_;  ///< L1STD index -> level-2 STE array
  uint64_t cmdq_ = 0, evtq_ = 0, priq_ = 0;
  uint32_t cmd_prod_ = 0;  ///< index and wrap bit
  uint32_t cmd_cons_ = 0;  ///< CMDQ_CONS as last read
  uint32_t evt_cons_ = 0, pri_cons_ = 0;
  uint32_t cr0_ = 0;
  uint32_t gerrorn_ = 0;  ///< what the driver last wrote to GERRORN
  std::map<uint32_t, Domain> domains_;
  std::map<uint32_t, Master> masters_;
  uint32_t next_domain_ = 1;
  uint16_t next_asid_ = 1;
  uint16_t next_vmid_ = 1;
  unsigned pending_unmaps_ = 0;
  bool cmd_failed_ = false;  ///< a command error was skipped since the last submit()
  std::vector<EventRecord> events_;
  std::vector<PriRecord> prs_;
  PriHandler pri_handler_;
  DriverCounts counts_;
};

const char* to_string(FlushPolicy p);

}  // namespace isim::smmuv3
