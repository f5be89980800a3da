// An AMD-Vi host driver behind the host domain API (src/host/iommu_driver.h), programming the
// IOMMU the way Linux's amd_iommu driver does (drivers/iommu/amd: init.c, iommu.c, pasid.c,
// nested.c) and only through a host::HostBus:
//
// - init: read the EFR; allocate a device table for DeviceIDs up to `max_device_id` (every
//   entry V = TV = 1, IR = IW = 0: blocked until attached, as Linux leaves it), a 512-entry
//   command buffer and event log and a completion-wait store; program the base and pointer
//   registers; set IommuEn, EventLogEn, CmdBufEn (and GTEn with EFR.GTSup); one COMPLETION_WAIT
//   to check the command path;
// - paging domains in either of Linux's page-table modes: v1 host tables at Mode 3
//   (amd_iommu_pgtable=v1, the default) or v2 (x86-64, 4-level) tables
//   (amd_iommu_pgtable=v2, needs EFR.GTSup and GIoSup) used through the device's GCR3 table:
//   DTE Mode 0, GV, GIoV, entry 0 holding the v2 root; a DomainID each from 1;
//   identity: DTE Mode 0 with IR/IW (2.2.2.1); blocking: DTE V/TV with IR = IW = 0;
// - PASIDs: a v2 paging domain attached at a PASID (SVA) fills that PASID's GCR3 entry; the
//   requester's own domain must leave the host stage off (identity or v2), else the v2 tables
//   would be walked as nested guest tables;
// - native GCR3 entries (Linux amd_iommu_set_gcr3 / amd_iommu_clear_gcr3, what an SVA bind of
//   a process does): set_gcr3 points a PASID's entry at a guest CR3 the caller owns (a
//   process's x86-64 table), clear_gcr3 zeroes it; each is followed by INVALIDATE_IOMMU_PAGES
//   of that PASID (GN = 1, PDE = 1, all pages; Linux dev_flush_pasid_all) and COMPLETION_WAIT,
//   and when the DTE must change to reach the table (GV, GLX, the GCR3 root) it is rewritten
//   first with its INVALIDATE_DEVTAB_ENTRY;
// - nested: a user x86-64 (v2, guest) stage 1 over a v1 parent (EFR.GTSup and GIoSup): the DTE
//   keeps the parent's table (Mode 3) and DomainID, sets GV (GIoV for the requester's own
//   requests) and the GCR3 entry holds the guest CR3 (a GPA); anything else is refused as not
//   supported;
// - one GCR3 table per device, of the levels Linux's get_gcr3_levels picks for the device's
//   PASID width (`device_pasid_bits`), at most EFR.GLXSup + 1 (src/pasid/amd_gcr3_table.h);
//   PASIDs the table cannot index are refused as not supported;
// - attach rewrites the whole 256-bit DTE, then INVALIDATE_DEVTAB_ENTRY, flushes what the old
//   DTE could have cached (its DomainID's host entries when that changes, each guest PASID it
//   had) and COMPLETION_WAIT;
// - invalidate: INVALIDATE_IOMMU_PAGES (PDE = 1; the smallest naturally aligned range, or all
//   pages for size 0): v1 domains by DomainID; v2 and nested domains with GN = 1 for every
//   (DTE DomainID, PASID) they are attached at; then COMPLETION_WAIT, polled.
//
// Event log entries are consumed after each COMPLETION_WAIT and counted.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "base/time.h"
#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "models/amdvi/commands.h"
#include "models/amdvi/dte.h"
#include "pagetable/page_table.h"
#include "pasid/amd_gcr3_table.h"

namespace isim::amdvi {

/// Where the driver's memory is and how it polls. Times are ESTIMATES.
struct AdapterOptions {
  uint64_t pool_base = 0;             ///< driver memory: device table, queues, tables
  uint64_t pool_limit = 0;            ///< ... up to here
  uint16_t max_device_id = 0xFFFF;    ///< device table covers DeviceIDs up to this
  unsigned device_pasid_bits = 0;     ///< devices' PASID width (PCIe Max PASID Width); 0: EFR's
  Tick poll_interval = 1'000'000;     ///< between reads of the COMPLETION_WAIT store (1 us)
  Tick wait_timeout = 1'000'000'000;  ///< give up on a COMPLETION_WAIT after this (1 ms)
};

struct AdapterCounts {
  uint64_t commands = 0;
  uint64_t completion_waits = 0;
  uint64_t wait_timeouts = 0;
  uint64_t events = 0;
  uint64_t io_page_faults = 0;
};

class AmdviHostAdapter final : public host::IommuDriver {
 public:
  AmdviHostAdapter(host::HostBus& bus, const AdapterOptions& opts);
  ~AmdviHostAdapter() override;

  host::Status init(std::string* why = nullptr) override;
  host::HwInfo hw_info() override;
  host::DomainResult alloc_domain(const host::DomainRequest& req) override;
  host::Status attach(host::DomainId domain, uint16_t rid,
                      std::optional<uint32_t> pasid = {}) override;
  host::Status map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                   host::Prot prot) override;
  host::Status unmap(host::DomainId domain, uint64_t iova, uint64_t size) override;
  host::Status invalidate(host::DomainId domain, const host::InvalidateRequest& req) override;

  /// Points `pasid`'s GCR3 entry of `rid` at the guest CR3 `cr3` (a 4-level x86-64 table the
  /// caller owns), replacing what the entry held, and waits for the flush. The requester must
  /// already be attached to a domain that leaves its host stage off (identity or v2); PASID 0
  /// is the requester's own. invalid for a bad PASID or requester, not_supported beyond the
  /// GCR3 table's levels or with a host-stage DTE.
  host::Status set_gcr3(uint16_t rid, uint32_t pasid, uint64_t cr3);
  /// Clears an entry set_gcr3 filled and waits for the flush; invalid when it holds none.
  host::Status clear_gcr3(uint16_t rid, uint32_t pasid);
  /// `rid`'s GCR3 table root (the DTE's GCR3 Table Root Pointer); 0 when it has none.
  uint64_t gcr3_root(uint16_t rid) const;
  /// PASID bits a device's GCR3 table indexes (EFR.PASmax + 1, the device width, EFR.GLXSup
  /// levels); valid after init().
  unsigned gcr3_pasid_bits() const;
  /// Whether requests of `rid` without a PASID have a domain (the precondition of set_gcr3).
  bool attached(uint16_t rid) const;

  const AdapterCounts& adapter_counts() const { return acounts_; }
  /// GCR3 levels (DTE GLX + 1) of `rid`'s table; 0 when it has none.
  unsigned gcr3_levels(uint16_t rid) const;

 private:
  struct Domain {
    host::DomainType type;
    host::PtFormat format = host::PtFormat::amd_v1;  ///< paging: amd_v1 or x86_64 (v2)
    uint16_t domain_id = 0;                          ///< hardware DomainID (nested: the parent's)
    std::unique_ptr<pt::PageTable> table;            ///< paging
    host::DomainId parent = 0;                       ///< nested
    uint64_t s1_root = 0;                            ///< nested: guest CR3 (GPA)
    unsigned s1_levels = 4;                          ///< nested: guest table levels
  };
  /// What one requester is attached to, and its GCR3 table.
  struct Device {
    host::DomainId rid = 0;                     ///< requests without a PASID
    std::map<uint32_t, host::DomainId> pasids;  ///< PASID attachments (v2 paging or nested)
    std::map<uint32_t, uint64_t> cr3s;          ///< set_gcr3 entries: PASID -> guest CR3
    std::unique_ptr<pasid::AmdGcr3Table> gcr3;  ///< once a guest table is attached
    /// DomainID the DTE carries while only guest tables translate (Linux gives each device's
    /// GCR3 table its own, so equal PASIDs of different devices never share IOTLB tags).
    uint16_t gcr3_domid = 0;
    Dte dte;            ///< what the device table holds for it
    bool live = false;  ///< dte has been written
  };
  /// (DTE DomainID, PASID) an IOTLB entry of a guest translation is tagged with.
  using GuestTag = std::pair<uint16_t, uint32_t>;

  host::DomainResult refuse(std::string why);
  Domain* find(host::DomainId id);
  bool is_v2(const Domain& d) const;
  /// The guest table root a domain puts in a GCR3 entry (v2 root, or the nested guest CR3).
  uint64_t guest_root(const Domain& d) const;
  /// Builds `rid`'s DTE from its attachments; not_supported when they cannot share one DTE.
  host::Status compose(const Device& dev, Dte& e);
  /// The guest tags `e` lets the IOMMU cache (GIoV: PASID 0; every valid GCR3 entry).
  std::vector<GuestTag> guest_tags(const Device& dev, const Dte& e) const;
  pasid::AmdTableOptions gcr3_options() const;
  pasid::AmdGcr3Table* gcr3_table(Device& dev);
  /// Writes `e` as `rid`'s DTE and flushes what the previous one let the IOMMU cache.
  host::Status write_dte(uint16_t rid, Device& dev, const Dte& e,
                         const std::vector<GuestTag>& old_tags);
  /// INVALIDATE_IOMMU_PAGES of every page of `pasid` under `dev`'s DTE, then COMPLETION_WAIT.
  host::Status flush_pasid(const Device& dev, uint32_t pasid);
  uint64_t mmio_read(uint32_t off);
  void mmio_write(uint32_t off, uint64_t v);
  bool zero(uint64_t pa, uint64_t len);
  /// Fills a device table with blocking entries.
  bool block_all(uint64_t pa, uint64_t len);
  void queue(const Command& c);
  bool completion_wait();
  void service_events();

  host::HostBus& bus_;
  AdapterOptions opts_;
  PhysAllocator pool_;
  bool up_ = false;
  uint64_t efr_ = 0;
  uint64_t devtab_ = 0;
  uint64_t cmd_base_ = 0;
  uint64_t cmd_tail_ = 0;
  uint64_t cmd_head_ = 0;  ///< CmdHead as last read
  uint64_t evt_base_ = 0;
  uint64_t evt_head_ = 0;
  uint64_t sem_ = 0;
  uint64_t seq_ = 0;
  std::map<host::DomainId, Domain> domains_;
  std::map<uint16_t, Device> devices_;
  host::DomainId next_ = 1;
  uint16_t next_hw_id_ = 1;
  AdapterCounts acounts_;
};

}  // namespace isim::amdvi
