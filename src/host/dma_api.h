// The DMA API a device driver calls around each buffer (Linux dma_map_single / dma_unmap_single
// over drivers/iommu/dma-iommu.c), with the policy chosen per device:
//
//   passthrough  identity domain (hardware pass-through): the DMA address is the physical
//                address (plus the domain's dma_offset: a TCE direct window); no map or unmap
//                calls, no invalidation (Linux iommu.passthrough=1)
//   static       a paging domain mapped once at set-up, 1:1 over the device's buffer area;
//                map/unmap only check the range (a driver that pre-maps its pool)
//   strict       per buffer: IOVA alloc + map; unmap clears the tables and waits for the IOTLB
//                invalidation before the IOVA is freed (iommu.strict=1)
//   deferred     unmap clears the tables and queues the IOVA in a flush queue; the queue is
//                flushed (one domain invalidation, then the IOVAs freed) when it holds
//                `fq_size` entries or `fq_timeout` after its oldest entry (Linux IOVA_FQ_SIZE
//                256, IOVA_FQ_TIMEOUT 10 ms). Until then the device may still reach an
//                unmapped buffer through a stale IOTLB entry: the stale window, measured per
//                entry from unmap to flush completion; device accesses inside it are counted.
//
// Pure C++ over a host::IommuDriver; software costs are charged with HostBus::pause(), the
// driver's register and polling time is whatever the bus charges.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "host/iova_allocator.h"

namespace isim::host {

enum class DmaPolicy : uint8_t { passthrough, static_map, strict, deferred };

std::string_view to_string(DmaPolicy p);
std::optional<DmaPolicy> dma_policy_from_string(std::string_view s);

/// Software costs are ESTIMATES (a few hundred ns per dma_map_page on current x86 servers).
struct DmaApiParams {
  DmaPolicy policy = DmaPolicy::strict;
  PtFormat format = PtFormat::vtd_second_stage;  ///< paging domain table format
  Tick map_cost = 100'000;           ///< per map call beyond the IOVA allocation (dma-iommu path)
  Tick unmap_cost = 100'000;         ///< per unmap call
  Tick pte_cost = 10'000;            ///< per page mapped or unmapped (PTE stores)
  unsigned fq_size = 256;            ///< deferred: entries that force a flush (IOVA_FQ_SIZE)
  Tick fq_timeout = 10'000'000'000;  ///< deferred: flush this long after the oldest entry
  /// static: largest page the area is mapped with, a power of two of at least the granule; the
  /// area is widened to whole pages of this size (0: any size the IOMMU supports, as Linux does)
  uint64_t static_page = 0;
  IovaParams iova;
};

struct DmaApiCounts {
  uint64_t maps = 0;
  uint64_t unmaps = 0;
  uint64_t map_errors = 0;
  Tick map_time = 0;    ///< time inside map calls
  Tick unmap_time = 0;  ///< time inside unmap calls (strict: including the invalidation wait)
  uint64_t invalidations = 0;   ///< invalidate() calls issued to the driver
  Tick invalidation_time = 0;   ///< time waiting for them
  uint64_t fq_flushes = 0;      ///< deferred: flushes (count- or timeout-triggered)
  uint64_t fq_timeouts = 0;     ///< ... of which triggered by the timeout
  uint64_t stale_entries = 0;   ///< deferred: unmapped ranges that waited for a flush
  Tick stale_window_total = 0;  ///< sum over them of unmap to flush completion
  Tick stale_window_max = 0;
  uint64_t stale_accesses = 0;  ///< device accesses to a range inside its stale window
};

/// Serialises driver calls of several DmaApi instances sharing one driver (a spinlock in
/// Linux); optional.
class DriverLock {
 public:
  virtual ~DriverLock() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
};

class DmaApi {
 public:
  DmaApi(IommuDriver& drv, HostBus& bus, const DmaApiParams& p, DriverLock* lock = nullptr);

  /// Allocates the device's domain and attaches `rid`; `area_base/size` is the device's buffer
  /// area (what static mode maps once). Empty on success, else why not.
  std::string setup(uint16_t rid, uint64_t area_base, uint64_t area_size);

  /// A DMA address for [pa, pa + size); nullopt on failure (counted).
  std::optional<uint64_t> map(uint64_t pa, uint64_t size, Prot prot = {});
  /// Ends the use of a mapping returned by map() (same size).
  void unmap(uint64_t dma, uint64_t size);
  /// Deferred: flushes if the oldest queued entry's timeout has passed (the flush-queue timer,
  /// checked at each call and by the device when idle).
  void poll();
  /// Deferred: flushes the queue now.
  void flush();
  /// When the flush-queue timer fires next (nullopt when the queue is empty).
  std::optional<Tick> next_deadline() const;
  /// A device access to [dma, dma + size): counted when it falls inside a stale window.
  bool note_access(uint64_t dma, uint64_t size);

  const DmaApiCounts& counts() const { return counts_; }
  const IovaCounts& iova_counts() const { return iova_.counts(); }
  DomainId domain() const { return domain_; }

 private:
  struct Pending {
    uint64_t iova;
    uint64_t size;  ///< bytes the caller mapped
    Tick unmapped_at;
  };
  uint64_t page_count(uint64_t dma, uint64_t size) const;
  bool invalidate(const InvalidateRequest& r);
  void flush_locked(bool timeout);

  IommuDriver& drv_;
  HostBus& bus_;
  DmaApiParams p_;
  DriverLock* lock_;
  IovaAllocator iova_;
  DomainId domain_ = 0;
  uint64_t dma_offset_ = 0;  ///< passthrough: DMA address of physical address 0
  uint64_t area_base_ = 0;
  uint64_t area_size_ = 0;
  std::map<uint64_t, uint64_t> live_;  ///< strict/deferred: iova -> mapped bytes (page-rounded)
  std::deque<Pending> fq_;
  DmaApiCounts counts_;
};

}  // namespace isim::host
