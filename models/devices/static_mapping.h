// A buffer mapped once before a DMA engine starts, for devices that have no DMA-API loop of
// their own (the `generator`): on the IOMMU's one host driver (shared_host_driver.h, shared
// with every other host-driven device behind it), a paging domain in the driver's DMA format
// maps the buffer 1:1 (IOVA = physical address) and the function is attached to it; a function
// with ATS has it enabled where the adapter can (SMMUv3: STE.EATS). What the Linux DMA API's
// static policy does for a driver that pre-maps its pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/param_types.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class SharedHostDriver;

/// The device's wishes for the shared driver's set-up (the IOMMU's `host_driver:` block wins;
/// without one, every user behind the IOMMU must agree). Costs are ESTIMATES.
struct StaticMappingParams {
  bool enabled = false;                      ///< map the buffer through the host driver
  uint64_t pool_base = uint64_t{768} << 20;  ///< driver memory (tables, queues)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  cfg::TimeValue mmio_cost{300'000};         ///< CPU cost of an uncached register access

  template <class V>
  void visit(V& v) {
    using cfg::Unit;
    v.param("enabled", enabled,
            "the IOMMU's host driver maps the buffer 1:1 and attaches the function before the "
            "first DMA");
    v.param("pool_base", pool_base, "driver memory (tables, queues)", Unit::address);
    v.param("pool_size", pool_size, "size of the driver memory", Unit::bytes,
            cfg::Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("mmio_cost", mmio_cost, "CPU cost of an uncached register access beyond the bus");
  }
};

class StaticMapping {
 public:
  /// Finds (or creates) the IOMMU's shared driver; config errors throw cfg::ConfigError.
  StaticMapping(const ComponentSpec& spec, BuildContext& ctx);
  ~StaticMapping();

  /// From the device's thread: brings the driver up (or waits for it), maps
  /// [base, base + size) 1:1 (rounded out to pages) and attaches `rid`. Empty on success, else
  /// what failed.
  std::string setup(uint16_t rid, uint64_t base, uint64_t size);

 private:
  std::shared_ptr<SharedHostDriver> shared_;
  std::string iommu_;
};

}  // namespace isim
