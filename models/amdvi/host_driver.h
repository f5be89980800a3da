// The `amdvi-host` device: a DMA engine whose buffers a host driver maps the way Linux's
// amd_iommu driver does (drivers/iommu/amd: init.c, iommu.c, io_pgtable.c), programming the
// `amdvi` model only through its registers and memory:
//
// - bring-up: read the Extended Feature Register, allocate the device table (sized for the
//   device's DeviceID), a 512-entry command buffer and event log, zero the head/tail pointers,
//   write the DTE (V, TV, Mode 3, IR, IW, DomainID), enable (IommuEn, EventLogEn, CmdBufEn),
//   then INVALIDATE_DEVTAB_ENTRY + COMPLETION_WAIT;
// - per buffer: map it in a Mode 3 v1 table (IR/IW), run the DMA at its IOVA, unmap it and
//   queue INVALIDATE_IOMMU_PAGES (DomainID, the range, PDE = 1); every `flush_batch` unmaps a
//   COMPLETION_WAIT with a store that the driver polls for (1: strict, Linux's iommu.strict=1;
//   more: a flush queue as with lazy invalidation).
// - with `pasid` (SVA, Linux's v2 page-table domains): GTEn, a DTE with Mode 0, GV, GIoV and
//   a 1-level GCR3 table whose entry for the PASID points at a 4-level v2 (x86-64) table; DMA
//   carries the PASID; invalidations are INVALIDATE_IOMMU_PAGES with GN = 1 and the PASID.
// - with `nested` too (a guest's SVA over the hypervisor's table, Linux nested.c): the DTE
//   has Mode 3 with a v1 table mapping guest RAM, GV and GIoV; the GCR3 table (hypervisor
//   memory) holds the guest CR3, a GPA; the guest's v2 tables live in guest RAM. Buffers must
//   lie in guest RAM.
// - with `ats`: DTE.I = 1, and each unmap also queues INVALIDATE_IOTLB_PAGES for the device
//   (Linux device_flush_iotlb), so the COMPLETION_WAIT waits for its ATC.
// - with `msi` (Linux iommu_init_irq / amd_iommu_int_thread): the MSI capability mirror in MMIO
//   (EFR.MsiCapMmioSup: address 0x15C/0x160, data 0x164, MSI Enable in the header at 0x158)
//   points at a DWORD in driver memory, and EventIntEn (PPRIntEn with `pri`, ComWaitIntEn with
//   `completion_irq`) are set. The platform has no interrupt controller, so the driver's
//   handler polls that DWORD whenever it waits; on an interrupt it reads Status, clears the
//   EventLogInt / PPRInt / ComWaitInt bits it found (RW1C) and services the logs, until Status
//   shows none. Without `msi` the event log is read after every COMPLETION_WAIT.
// - with `completion_irq`: COMPLETION_WAIT with I = 1 instead of a store, waited for through
//   the interrupt and Status.ComWaitInt.
// - with `pri` (and `pasid`; Linux handles page requests with a PASID only): PRI demand paging.
//   The driver allocates a 512-entry PPR log and sets PPREn, PPRLogEn, PPRIntEn and DTE.PPR
//   (Linux amd_iommu_enable_ppr_log). Buffers are not mapped up front: the engine sends a page
//   request group for each buffer's pages (last request flagged), the driver's handler drains
//   the PPR log (Linux amd_iommu_poll_ppr_log: entry, head, one at a time), maps each
//   requested page it knows, and answers each group with COMPLETE_PPR_REQUEST (success, or
//   Invalid Request for an address it does not back); the engine waits for the PRG response,
//   then DMAs.
//
// Register accesses go through the platform's host bus (the CPU port and the system bus to the
// IOMMU's register block) and cost the bus time plus `mmio_latency` each (the core's uncached
// access); table and command writes are CPU stores into memory (zero time). The driver reads the
// event log from its interrupt handler (or after every COMPLETION_WAIT without `msi`). Not
// modelled here: an engine that uses its ATC, several devices or PASIDs per domain (the domain
// API adapter, host_adapter.h, has those and 2-level GCR3 tables), the guest's own (virtual)
// IOMMU driver.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hw/device_base.h"
#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/amdvi/commands.h"
#include "models/devices/generator.h"
#include "pagetable/page_table.h"
#include "sim/params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class IommuBase;
namespace host {
class HostBus;
}

/// Driver choices and where its allocations live. Latencies are ESTIMATES.
struct AmdviHostParams {
  uint16_t domain_id = 1;    ///< DomainID of the device's DTE (Linux allocates from 1)
  unsigned flush_batch = 1;  ///< unmaps per COMPLETION_WAIT (1: strict)
  int pasid = -1;    ///< SVA: DMA carries this PASID, mapped by v2 tables via GCR3 (-1: v1 only)
  bool ats = false;  ///< the function has ATS enabled: DTE.I, and ATC flushes on unmap
  /// Nested (with `pasid`): the engine belongs to a guest whose RAM, guest-physical
  /// [0, guest_ram_size), sits at system address guest_ram_spa; the hypervisor maps it with a
  /// v1 host table, the guest builds its v2 tables in its own RAM (GPAs).
  bool nested = false;
  uint64_t guest_ram_spa = uint64_t{512} << 20;   ///< where guest-physical 0 is in memory
  uint64_t guest_ram_size = uint64_t{256} << 20;  ///< guest RAM size
  bool msi = true;              ///< interrupts: MSI mirror + Event/PPR interrupt enables
  uint32_t msi_data = 0x21;     ///< MSI data the IOMMU writes (the vector an OS would choose)
  bool completion_irq = false;  ///< COMPLETION_WAIT signals by interrupt, not by a store
  bool pri = false;             ///< with pasid: pages are mapped on the device's page requests
  unsigned ats_qdep = 32;       ///< ATS invalidate queue depth the function reports (Maxpend)
  uint64_t pool_base = uint64_t{768} << 20;  ///< driver memory: device table, queues, tables
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  uint64_t iova_base = uint64_t{1} << 32;    ///< first IOVA handed out (Mode 3 reaches 2^39)
  unsigned iova_slots = 1024;                ///< buffers' IOVAs cycle through this many slots
  Latency mmio_latency =
      Latency::ns(300);  ///< CPU cost of an uncached access beyond the bus (estimate)
  Latency poll_interval = Latency::ns(1000);  ///< between reads of the completion store
  Latency wait_timeout = Latency::ns(1e6);    ///< give up on a COMPLETION_WAIT after this
  cfg::Frequency clock{1000};                 ///< CPU clock for latencies in cycles (estimate)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("domain_id", domain_id, "DomainID written into the device's DTE");
    v.param("flush_batch", flush_batch, "unmaps per COMPLETION_WAIT (1: strict invalidation)",
            Range<unsigned>{1, 256});
    v.param("pasid", pasid,
            "PASID of the DMA, mapped with v2 tables through a 1-level GCR3 table (-1: none, "
            "v1 tables)",
            Range<int>{-1, 511});
    v.param("ats", ats, "ATS enabled: DTE.I set, INVALIDATE_IOTLB_PAGES after each unmap");
    v.param("nested", nested, "with pasid: guest v2 tables (GPAs) over a v1 host table");
    v.param("guest_ram_spa", guest_ram_spa, "nested: system address of guest-physical 0",
            Unit::address);
    v.param("guest_ram_size", guest_ram_size, "nested: guest RAM size", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 21, uint64_t{1} << 40});
    v.param("msi", msi,
            "program the MSI capability mirror and EventIntEn/PPRIntEn; the handler services the "
            "logs on each interrupt");
    v.param("msi_data", msi_data, "MSI data written on an interrupt (the vector)",
            Range<uint32_t>{1, 0xffff});
    v.param("completion_irq", completion_irq,
            "with msi: COMPLETION_WAIT with I = 1 and ComWaitIntEn, waited for by interrupt");
    v.param("pri", pri,
            "with pasid: PRI demand paging through the PPR log and COMPLETE_PPR_REQUEST "
            "(buffers are not mapped before the device asks)");
    v.param("ats_qdep", ats_qdep, "ATS invalidate queue depth (INVALIDATE_IOTLB_PAGES Maxpend)",
            Range<unsigned>{0, 255});
    v.param("pool_base", pool_base, "driver memory for the device table, queues and tables",
            Unit::address);
    v.param("pool_size", pool_size, "size of the driver memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("iova_base", iova_base, "first IOVA handed out", Unit::address);
    v.param("iova_slots", iova_slots, "IOVA slots the buffers cycle through",
            Range<unsigned>{1, 1u << 20});
    v.param("mmio_latency", mmio_latency, "CPU cost of an uncached register access beyond the bus");
    v.param("clock", clock, "CPU clock for latencies written in cycles");
    v.param("poll_interval", poll_interval, "between reads of the COMPLETION_WAIT store");
    v.param("wait_timeout", wait_timeout, "give up waiting for a COMPLETION_WAIT after this");
  }
};

/// What the engine transfers.
struct AmdviHostWorkload {
  uint64_t base = uint64_t{256} << 20;      ///< first byte of the buffer area (physical)
  uint64_t footprint = uint64_t{16} << 20;  ///< size of the buffer area
  uint64_t size = 4096;                     ///< bytes per buffer
  DmaOp op = DmaOp::read;                   ///< DMA direction (read: device reads memory)
  uint64_t count = 64;                      ///< buffers to transfer
  /// Every Nth buffer the device DMAs again after the driver unmapped and flushed it (a
  /// use-after-unmap bug); 0: never.
  uint64_t late_every = 0;

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("base", base, "start of the buffer area (physical address)", Unit::address);
    v.param("footprint", footprint, "size of the buffer area", Unit::bytes,
            Range<uint64_t>{1, uint64_t{1} << 40});
    v.param("size", size, "bytes per DMA buffer", Unit::bytes, Range<uint64_t>{1, 1 << 21});
    v.param("op", op, "DMA direction (read or write; mix counts as write)");
    v.param("count", count, "buffers to transfer");
    v.param("late_every", late_every,
            "every Nth buffer is DMAed again after its unmap (0: never), to show what the "
            "invalidation policy lets through");
  }
  template <class C>
  void validate(C& c) const {
    if (footprint < size) c.fail("footprint", "must hold at least one buffer");
  }
};

class AmdviHostDriver final : public DeviceBase {
 public:
  AmdviHostDriver(const ComponentSpec& spec, const AmdviHostParams& p, BuildContext& ctx);
  ~AmdviHostDriver() override;

  /// The engine's PRI: records the PRG response the IOMMU sent for its page request group.
  void page_response(const PageGroupResponse& r, Tick now) override;

 private:
  void run() override;
  bool bring_up();
  uint64_t mmio_read(uint32_t offset, unsigned size = 8);
  void mmio_write(uint32_t offset, uint64_t value, unsigned size = 8);
  void write_qwords(uint64_t pa, std::initializer_list<uint64_t> v);
  /// Appends a command at the tail (waiting for room) and writes the tail register.
  void queue(const amdvi::Command& c);
  /// COMPLETION_WAIT with a store of a new sequence number; polls for it. False on timeout.
  bool completion_wait();
  /// Consumes the event log (Linux iommu_poll_events): entries from head to tail, counted by
  /// code, then the new head.
  void service_events();
  /// The interrupt handler: true when an MSI had arrived (Status bits cleared, logs serviced).
  bool handle_interrupt();
  /// Drains the PPR log: maps requested pages, answers complete groups.
  void service_ppr();
  /// Where the engine waits: handles interrupts, then lets `poll_interval` pass.
  void idle();
  /// PRI: the engine's page request group for [iova, iova + len) and the wait for its
  /// response; true when the pages were made resident.
  bool demand_pages(uint64_t iova, uint64_t len, bool write, uint16_t group);

  AmdviHostParams p_;
  AmdviHostWorkload w_;
  SparseMemory& mem_;
  IommuBase* iommu_ = nullptr;
  std::unique_ptr<host::HostBus> bus_;
  PhysAllocator pool_;
  std::unique_ptr<PhysMem> guest_mem_;  ///< nested: guest-physical view of memory
  std::unique_ptr<PhysAllocator> guest_pool_;
  std::unique_ptr<pt::PageTable> host_table_;  ///< nested: GPA -> SPA
  std::unique_ptr<pt::PageTable> table_;       ///< the table buffers are mapped in
  uint64_t cmd_base_ = 0;
  uint64_t cmd_tail_ = 0;
  uint64_t cmd_head_ = 0;  ///< CmdHead as last read
  uint64_t evt_base_ = 0;
  uint64_t evt_head_ = 0;
  uint64_t sem_ = 0;
  uint64_t seq_ = 0;
  uint64_t msi_box_ = 0;  ///< where the IOMMU's MSI writes land
  uint64_t ppr_base_ = 0;
  uint64_t ppr_head_ = 0;
  bool comwait_seen_ = false;  ///< Status.ComWaitInt found by the handler
  /// PRI: what the driver backs (an address space's VMA): IOVA range and its output address.
  struct Backing {
    uint64_t iova = 0, out = 0, len = 0;
  } backing_;
  std::vector<bool> group_ok_;  ///< PRI: per group index, every request so far was served
  bool response_seen_ = false;  ///< the engine's PRG response arrived
  PageGroupResponse response_;
  std::vector<uint8_t> buffer_;

  stats::Counter& buffers_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& maps_;
  stats::Counter& invalidations_;
  stats::Counter& atc_flushes_;
  stats::Counter& completion_waits_;
  stats::Counter& wait_timeouts_;
  stats::Counter& mmio_accesses_;
  stats::Counter& wait_time_;
  stats::Counter& late_dmas_;
  stats::Counter& late_blocked_;
  stats::Counter& events_;
  stats::Counter& io_page_faults_;
  stats::Counter& interrupts_;
  stats::Counter& page_requests_;
  stats::Counter& ppr_entries_;
  stats::Counter& ppr_completions_;
  stats::Counter& prg_failures_;
};

/// Registers device type `amdvi-host`.
void register_amdvi_host();

}  // namespace isim
