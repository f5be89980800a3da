// The `dma-api` device: the generator's workload driven through a host DMA API
// (src/host/dma_api.h) on a real driver of the IOMMU it sits behind (VT-d, AMD-Vi or SMMUv3,
// through their domain-API adapters). Per buffer the device's driver maps it, the device DMAs at
// the returned address, and the driver unmaps it, with the policy chosen per device: passthrough,
// static, strict or deferred. A NIC pattern's descriptor ring is coherent memory, mapped once at
// set-up; its packet buffers are mapped per packet.
//
// The device uses its IOMMU's one host driver (shared_host_driver.h), with every other
// host-driven device behind it; each device gets its own domain. Up to the workload's `outstanding`
// buffers are in flight per device, each its own map, DMA, unmap sequence (a NIC ring keeps
// many buffers posted); the device's DMA-API calls are serialised (one CPU queue per device),
// its DMAs overlap. In deferred mode a flush-queue timer flushes `fq_timeout` after the oldest
// queued unmap, as Linux's fq_flush_timeout does, even when no further unmap comes (a device
// that has finished its work leaves its last unmaps to the timer too).
//
// With `late_every`, every Nth buffer is accessed once more just after its unmap (a driver bug
// or a malicious device): strict invalidation blocks it; the deferred policy lets it through
// while the IOTLB still holds the stale entry. Those accesses are counted (stats `late_*` and
// `dma_api.stale_accesses`).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "host/dma_api.h"
#include "hw/device_base.h"
#include "models/devices/address_pattern.h"
#include "models/devices/buffer_loop.h"
#include "models/devices/generator.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

template <>
struct cfg::EnumNames<host::DmaPolicy> {
  static constexpr std::pair<host::DmaPolicy, std::string_view> table[] = {
      {host::DmaPolicy::passthrough, "passthrough"},
      {host::DmaPolicy::static_map, "static"},
      {host::DmaPolicy::strict, "strict"},
      {host::DmaPolicy::deferred, "deferred"},
  };
};

/// DMA-API policy, costs and the shared driver's set-up. Costs are ESTIMATES (see
/// docs/host.md); Linux constants are cited where a default is one.
struct DmaApiDeviceParams {
  static constexpr uint64_t kGranule = 4096;         ///< the DMA API's page (IOVA granule)
  host::DmaPolicy policy = host::DmaPolicy::strict;  ///< DMA-API policy of this device
  cfg::TimeValue map_cost{100'000};                  ///< software cost per map call
  cfg::TimeValue unmap_cost{100'000};                ///< software cost per unmap call
  cfg::TimeValue pte_cost{10'000};                   ///< per page mapped or unmapped
  unsigned fq_size = 256;                            ///< deferred: IOVA_FQ_SIZE
  cfg::TimeValue fq_timeout{10'000'000'000};         ///< deferred: IOVA_FQ_TIMEOUT (10 ms)
  uint64_t iova_base = uint64_t{1} << 20;            ///< lowest IOVA
  uint64_t iova_limit = uint64_t{1} << 32;           ///< IOVAs below this (DMA32 first)
  unsigned mag_size = 127;                           ///< IOVA_MAG_SIZE
  unsigned depot_mags = 32;                          ///< MAX_GLOBAL_MAGS
  cfg::TimeValue rcache_cost{20'000};                ///< IOVA alloc/free from a magazine
  cfg::TimeValue tree_cost{150'000};                 ///< IOVA alloc/free in the tree, fixed
  cfg::TimeValue tree_level_cost{15'000};            ///< ... plus per tree level
  cfg::TimeValue mmio_cost{300'000};  ///< CPU uncached register access beyond the bus (estimate)
  uint64_t pool_base = uint64_t{768} << 20;  ///< host driver memory (without host_driver:)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  bool scalable = false;                     ///< VT-d: ask for scalable mode
  uint64_t late_every = 0;   ///< every Nth buffer is accessed again after its unmap (0: never)
  uint64_t static_page = 0;  ///< static: largest page the area is mapped with (0: any)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("policy", policy, "DMA-API policy: passthrough, static, strict or deferred");
    v.param("map_cost", map_cost, "software cost of a map call beyond the IOVA allocation");
    v.param("unmap_cost", unmap_cost, "software cost of an unmap call");
    v.param("pte_cost", pte_cost, "software cost per page mapped or unmapped");
    v.param("fq_size", fq_size, "deferred: queued unmaps that force a flush",
            Range<unsigned>{1, 1u << 16});
    v.param("fq_timeout", fq_timeout, "deferred: flush this long after the oldest queued unmap");
    v.param("iova_base", iova_base, "lowest IOVA handed out", Unit::address);
    v.param("iova_limit", iova_limit, "IOVAs lie below this", Unit::address);
    v.param("mag_size", mag_size, "IOVA rcache: page numbers per magazine",
            Range<unsigned>{1, 4096});
    v.param("depot_mags", depot_mags, "IOVA rcache: full magazines in the depot",
            Range<unsigned>{0, 4096});
    v.param("rcache_cost", rcache_cost, "IOVA alloc or free served by a magazine");
    v.param("tree_cost", tree_cost, "IOVA alloc or free in the range tree, fixed part");
    v.param("tree_level_cost", tree_level_cost, "IOVA tree: cost per level walked");
    v.param("mmio_cost", mmio_cost,
            "CPU cost per register access beyond the bus time (the IOMMU's host_driver: wins)");
    v.param("pool_base", pool_base,
            "host driver memory (the IOMMU's host_driver: wins; users behind one IOMMU agree)",
            Unit::address);
    v.param("pool_size", pool_size, "size of the host driver memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("scalable", scalable,
            "VT-d: the IOMMU's driver runs in scalable mode (as when any user needs it)");
    v.param("late_every", late_every,
            "every Nth buffer is accessed again right after its unmap (0: never)");
    v.param("static_page", static_page,
            "static: largest page the buffer area is mapped with, e.g. 4KiB (Linux "
            "intel_iommu=sp_off) or 2MiB; the area grows to whole pages (0: any the IOMMU "
            "supports)",
            Unit::bytes);
  }
  template <class C>
  void validate(C& c) const {
    if (iova_limit <= iova_base) c.fail("iova_limit", "must be above iova_base");
    if (static_page != 0 && (static_page < kGranule || (static_page & (static_page - 1)) != 0))
      c.fail("static_page", "must be 0 or a power of two of at least 4KiB");
  }
};

class SharedHostDriver;

class DmaApiDevice final : public DeviceBase {
 public:
  DmaApiDevice(const ComponentSpec& spec, const DmaApiDeviceParams& p, BuildContext& ctx);
  ~DmaApiDevice() override;

 private:
  void run() override;
  /// Deferred policy: flushes the queue when its oldest entry times out.
  void flush_timer();
  /// One DMA of `size` bytes at `addr`; true when it completed without error.
  bool dma(uint64_t addr, uint64_t size, bool write);

  DmaApiDeviceParams p_;
  GeneratorWorkload w_;
  std::vector<uint8_t> buffer_;
  std::shared_ptr<SharedHostDriver> shared_;
  std::unique_ptr<host::DmaApi> api_;
  sc_core::sc_time end_time_;
  // State shared by the buffer loops (members: a loop suspended at the end of the run is
  // never unwound).
  sc_core::sc_mutex api_mutex_;  ///< the device's DMA-API calls, one at a time
  sc_core::sc_event fq_kick_;    ///< an unmap queued an entry: the timer re-arms
  uint64_t late_counter_ = 0;    ///< buffers completed, for `late_every`
  stats::Counter& buffers_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& late_dmas_;
  stats::Counter& late_served_;
  stats::Counter& late_blocked_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
  std::unique_ptr<stats::Group> api_stats_;
  std::unique_ptr<BufferLoop> loop_;
};

/// Registers device type `dma-api`.
void register_dma_api_device();

}  // namespace isim
