// The `smmuv3-host` device: a DMA engine whose buffers a host driver maps the way Linux's
// arm-smmu-v3 driver does (smmuv3/driver.h), programming the `smmuv3` model only through its
// registers and memory:
//
// - bring-up as Smmuv3Driver::init (IDRs, stream table, queues, CR0/CR0ACK);
// - per buffer: map it in a stage-1 domain attached to the device's StreamID, run the DMA at
//   its IOVA, unmap it; `flush_batch` = 1 invalidates each unmap with TLBI_NH_VA + CMD_SYNC
//   (strict), more queue the unmaps and invalidate the whole ASID once per batch (Linux's flush
//   queue);
// - with `pasid` (SVA): the buffers are mapped in a process stage-1 table bound to that
//   SubstreamID (a CD with its own ASID); invalidations are TLBI_NH_VA under that ASID;
// - with `nested`: a guest's stage 1 over the host's stage 2: the host maps guest RAM
//   (guest-physical [0, guest_ram_size) at guest_ram_spa) in a stage-2 domain, the guest builds
//   its CD table and stage-1 tables in its RAM (IPAs) and the STE is nested (Config = 111);
//   invalidations are TLBI_NH_VAA in the host VMID. Buffers must lie in guest RAM.
// - with `ats`: STE.EATS = 01 and each invalidation is followed by CMD_ATC_INV + CMD_SYNC.
//
// Register accesses go through the platform's host bus and cost the bus time plus
// `mmio_latency` each; table and command writes are CPU stores (zero time). The event queue is
// drained after each invalidation (Linux reads it from its event interrupt thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hw/device_base.h"
#include "hw/phys_allocator.h"
#include "models/devices/generator.h"
#include "models/smmuv3/driver.h"
#include "pagetable/page_table.h"
#include "sim/params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

/// Driver choices and where its allocations live. Latencies are ESTIMATES.
struct SmmuV3HostParams {
  unsigned flush_batch = 1;  ///< unmaps per invalidation (1: strict)
  int pasid = -1;            ///< SVA: the DMA carries this SubstreamID (-1: none)
  bool ats = false;          ///< the function has ATS enabled: CMD_ATC_INV after invalidations
  /// Nested: the engine belongs to a guest whose RAM, guest-physical [0, guest_ram_size), sits
  /// at system address guest_ram_spa; the guest's tables live in the upper half of it.
  bool nested = false;
  uint64_t guest_ram_spa = uint64_t{512} << 20;   ///< where guest-physical 0 is in memory
  uint64_t guest_ram_size = uint64_t{256} << 20;  ///< guest RAM size
  uint64_t pool_base = uint64_t{768} << 20;       ///< driver memory: tables, queues
  uint64_t pool_size = uint64_t{64} << 20;        ///< size of that memory
  uint64_t iova_base = uint64_t{1} << 32;         ///< first IOVA handed out
  unsigned iova_slots = 1024;                     ///< buffers' IOVAs cycle through this many
  Latency mmio_latency = Latency::ns(300);        ///< CPU cost of an uncached access beyond the bus
  Latency poll_interval = Latency::ns(100);       ///< between polls of a CMD_SYNC or CR0ACK
  cfg::Frequency clock{1000};                     ///< CPU clock for latencies in cycles (estimate)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("flush_batch", flush_batch,
            "unmaps per invalidation (1: strict TLBI_NH_VA + CMD_SYNC; more: one whole-ASID "
            "invalidation per batch)",
            Range<unsigned>{1, 4096});
    v.param("pasid", pasid, "SVA: SubstreamID of the DMA, bound to a process table (-1: none)",
            Range<int>{-1, (1 << 20) - 1});
    v.param("ats", ats, "ATS enabled: STE.EATS = 01, CMD_ATC_INV after each invalidation");
    v.param("nested", nested, "a guest's stage 1 (CD table and tables as IPAs) over a stage 2");
    v.param("guest_ram_spa", guest_ram_spa, "nested: system address of guest-physical 0",
            Unit::address);
    v.param("guest_ram_size", guest_ram_size, "nested: guest RAM size", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 21, uint64_t{1} << 40});
    v.param("pool_base", pool_base, "driver memory for the stream table, queues and tables",
            Unit::address);
    v.param("pool_size", pool_size, "size of the driver memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("iova_base", iova_base, "first IOVA handed out", Unit::address);
    v.param("iova_slots", iova_slots, "IOVA slots the buffers cycle through",
            Range<unsigned>{1, 1u << 20});
    v.param("mmio_latency", mmio_latency, "CPU cost of an uncached register access beyond the bus");
    v.param("poll_interval", poll_interval, "between polls of CMD_SYNC completion or CR0ACK");
    v.param("clock", clock, "CPU clock for latencies written in cycles");
  }
};

/// What the engine transfers.
struct SmmuV3HostWorkload {
  uint64_t base = uint64_t{256} << 20;      ///< first byte of the buffer area (physical)
  uint64_t footprint = uint64_t{16} << 20;  ///< size of the buffer area
  uint64_t size = 4096;                     ///< bytes per buffer
  DmaOp op = DmaOp::read;                   ///< DMA direction (read: device reads memory)
  uint64_t count = 64;                      ///< buffers to transfer
  /// Every Nth buffer the device DMAs again after the driver unmapped it (a use-after-unmap
  /// bug); 0: never.
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

class SmmuV3HostDriver final : public DeviceBase {
 public:
  SmmuV3HostDriver(const ComponentSpec& spec, const SmmuV3HostParams& p, BuildContext& ctx);
  ~SmmuV3HostDriver() override;

 private:
  void run() override;
  bool bring_up();
  bool map(uint64_t iova, uint64_t pa, uint64_t len);
  /// Unmaps and invalidates as the batch policy says; false on a driver failure.
  bool unmap(uint64_t iova, uint64_t len);
  bool invalidate(uint64_t iova, uint64_t len);
  void consume_events();

  SmmuV3HostParams p_;
  SmmuV3HostWorkload w_;
  std::unique_ptr<host::HostBus> bus_;
  std::unique_ptr<smmuv3::Smmuv3Driver> drv_;
  std::unique_ptr<PhysAllocator> proc_pool_;   ///< SVA: the process's table pages
  std::unique_ptr<PhysMem> guest_mem_;         ///< nested: guest-physical view of memory
  std::unique_ptr<PhysAllocator> guest_pool_;  ///< nested: the guest's table pages
  std::unique_ptr<pt::PageTable> table_;       ///< SVA / nested: the table buffers go in
  uint32_t domain_ = 0;                        ///< the driver's domain (nested: the stage 2)
  uint16_t asid_ = 0;                          ///< SVA
  unsigned pending_ = 0;
  std::vector<uint8_t> buffer_;

  stats::Counter& buffers_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& late_dmas_;
  stats::Counter& late_blocked_;
  stats::Counter& translation_faults_;
  std::unique_ptr<stats::Group> drv_stats_;
};

/// Registers device type `smmuv3-host`.
void register_smmuv3_host();

}  // namespace isim
