// A host driver that maps one DMA engine's buffer once before it starts, for devices that have
// no DMA-API loop of their own (the `generator`): the domain-API adapter registered for the
// IOMMU's type (host/driver_registry.h) allocates a paging domain in its DMA format, maps the
// buffer 1:1 (IOVA = physical address) and attaches the function, optionally with ATS enabled
// where the adapter can enable it (SMMUv3: STE.EATS). What the Linux DMA API's static policy
// does for a driver that pre-maps its pool; the driver is the engine's own, so an IOMMU whose
// software another device (dma-api, viommu-dma, mdev-parent, trace replay) runs cannot also
// carry one (a config error).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/stats/stats.h"
#include "sim/param_types.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

/// Where the driver's memory is and what its register accesses cost (ESTIMATES).
struct StaticMappingParams {
  bool enabled = false;                      ///< map the buffer through a host driver
  uint64_t pool_base = uint64_t{768} << 20;  ///< driver memory (tables, queues)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  cfg::TimeValue mmio_cost{300'000};         ///< CPU cost of an uncached register access

  template <class V>
  void visit(V& v) {
    using cfg::Unit;
    v.param("enabled", enabled,
            "a host driver maps the buffer 1:1 and attaches the function before the first DMA");
    v.param("pool_base", pool_base, "driver memory (tables, queues)", Unit::address);
    v.param("pool_size", pool_size, "size of the driver memory", Unit::bytes,
            cfg::Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("mmio_cost", mmio_cost, "CPU cost of an uncached register access beyond the bus");
  }
};

class StaticMapping {
 public:
  /// Opens the bus and makes the driver (config errors throw cfg::ConfigError).
  StaticMapping(const ComponentSpec& spec, const StaticMappingParams& p, bool ats,
                BuildContext& ctx);
  ~StaticMapping();

  /// From the device's thread: brings the driver up, maps [base, base + size) 1:1 (rounded out
  /// to pages) and attaches `rid`. Empty on success, else what failed.
  std::string setup(uint16_t rid, uint64_t base, uint64_t size);

 private:
  std::unique_ptr<host::HostBus> bus_;
  std::unique_ptr<host::IommuDriver> drv_;
  host::PtFormat format_;
  std::string iommu_;
  stats::Group stats_;
};

}  // namespace isim
