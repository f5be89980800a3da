// An AMD-Vi host driver behind the host domain API (src/host/iommu_driver.h), programming the
// IOMMU the way Linux's amd_iommu driver does (drivers/iommu/amd: init.c, iommu.c, nested.c)
// and only through a host::HostBus:
//
// - init: read the EFR; allocate a device table for DeviceIDs up to `max_device_id`, a 512-entry
//   command buffer and event log and a completion-wait store; program the base and pointer
//   registers; set IommuEn, EventLogEn, CmdBufEn (and GTEn with EFR.GTSup); one COMPLETION_WAIT
//   to check the command path;
// - paging domains: v1 host tables at Mode 3 (Linux's default), a DomainID each from 1;
//   identity: DTE Mode 0 with IR/IW (2.2.2.1); blocking: DTE V/TV with IR = IW = 0;
// - nested: a user x86-64 (v2, guest) stage 1 over a v1 parent (EFR.GTSup and GIoSup): the DTE
//   keeps the parent's table (Mode 3) and DomainID, sets GV and GIoV and points at a 1-level
//   GCR3 table in driver memory whose entry for the PASID (0 for requests without one) holds
//   the guest CR3 (a GPA); anything else is refused as not supported;
// - attach rewrites the whole 256-bit DTE, then INVALIDATE_DEVTAB_ENTRY + COMPLETION_WAIT;
// - invalidate: INVALIDATE_IOMMU_PAGES (PDE = 1; the smallest naturally aligned range, or all
//   pages for size 0; GN with the PASID for a nested domain) + COMPLETION_WAIT, polled.
//
// Event log entries are consumed after each COMPLETION_WAIT and counted.
#pragma once

#include <map>
#include <memory>

#include "base/time.h"
#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "models/amdvi/commands.h"
#include "pagetable/page_table.h"

namespace isim::amdvi {

/// Where the driver's memory is and how it polls. Times are ESTIMATES.
struct AdapterOptions {
  uint64_t pool_base = 0;             ///< driver memory: device table, queues, tables
  uint64_t pool_limit = 0;            ///< ... up to here
  uint16_t max_device_id = 0xFFFF;    ///< device table covers DeviceIDs up to this
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

  const AdapterCounts& adapter_counts() const { return acounts_; }

 private:
  struct Domain {
    host::DomainType type;
    uint16_t domain_id = 0;                ///< hardware DomainID (nested: the parent's)
    std::unique_ptr<pt::PageTable> table;  ///< paging
    host::DomainId parent = 0;             ///< nested
    uint64_t s1_root = 0;                  ///< nested: guest CR3 (GPA)
  };
  host::DomainResult refuse(std::string why);
  Domain* find(host::DomainId id);
  uint64_t mmio_read(uint32_t off);
  void mmio_write(uint32_t off, uint64_t v);
  bool zero(uint64_t pa, uint64_t len);
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
  uint64_t evt_base_ = 0;
  uint64_t evt_head_ = 0;
  uint64_t sem_ = 0;
  uint64_t seq_ = 0;
  std::map<host::DomainId, Domain> domains_;
  std::map<uint16_t, uint16_t> attached_;  ///< DeviceID -> DomainID its DTE holds
  host::DomainId next_ = 1;
  uint16_t next_hw_id_ = 1;
  AdapterCounts acounts_;
};

}  // namespace isim::amdvi
