// The set-up of the one host driver an IOMMU has (Linux: one intel_iommu / amd_iommu /
// arm-smmu-v3 instance per unit, which every device driver reaches through the IOMMU core).
// Every host-driven device behind the IOMMU (dma-api, viommu-dma, mdev-parent, swq, a trace
// replay) uses that one driver; where its set-up comes from is decided here, without SystemC:
//
// - the IOMMU's `host_driver:` block, when the config has one, for every key it sets;
// - otherwise the devices' own params (their pool_base, pool_size, mmio_cost), which must then
//   agree: two devices asking for different values is a config error naming both and the key;
// - VT-d scalable mode: on when any user needs it (PASID attach, SVA binds, nesting) unless the
//   block says `vtd_mode: legacy`, which a user that needs scalable mode then contradicts.
//
// The pool is split in two halves: the lower one holds the driver's structures (root, context,
// PASID, device and stream tables, queues, page tables of its domains), the upper one is host
// kernel memory for other tables (an SVA process's page tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/time.h"
#include "host/driver_registry.h"
#include "sim/param_types.h"

namespace isim::host {

/// VT-d translation mode of the shared driver.
enum class VtdMode : uint8_t {
  automatic,  ///< scalable when a user needs it, else legacy
  legacy,     ///< legacy (root/context) mode; a user needing scalable mode is an error
  scalable,   ///< scalable mode (needs ECAP.SMTS)
};

/// An IOMMU entry's `host_driver:` block: the driver set-up, the same for every user.
struct HostDriverParams {
  uint64_t pool_base = uint64_t{768} << 20;  ///< driver and host table memory
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory (halves: driver, host)
  cfg::TimeValue mmio_cost{300'000};         ///< CPU cost per register access beyond the bus
  VtdMode vtd_mode = VtdMode::automatic;     ///< VT-d: legacy, scalable, or as users need

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("pool_base", pool_base,
            "host memory for the driver (lower half) and host page tables (upper half)",
            Unit::address);
    v.param("pool_size", pool_size, "size of that memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("mmio_cost", mmio_cost, "CPU cost per register access beyond the bus time");
    v.param("vtd_mode", vtd_mode,
            "VT-d: auto (scalable when a device needs it), legacy or scalable");
  }
};

/// What one device behind the IOMMU asks of the driver (its own params, the fallback when the
/// IOMMU has no `host_driver:` block).
struct DriverRequest {
  std::string device;           ///< the device's name, for messages
  uint64_t pool_base = 0;       ///< its pool_base param
  uint64_t pool_size = 0;       ///< its pool_size param
  Tick mmio_cost = 0;           ///< its per-register-access CPU cost, ps
  std::string mmio_key;         ///< the name of that param (`mmio_cost`, `mmio_latency`)
  bool needs_scalable = false;  ///< VT-d: it cannot work in legacy mode
  bool ats = false;             ///< its functions use ATS: the driver enables it where it can
  std::string scalable_why;     ///< ... because (for messages)
};

/// The resolved set-up.
struct SharedSetup {
  DriverSetup driver;      ///< what the adapter is built with (the pool's lower half)
  Tick mmio_cost = 0;      ///< CPU cost per register access
  uint64_t host_base = 0;  ///< host page-table memory: [host_base, host_limit)
  uint64_t host_limit = 0;
};

/// Resolves the set-up of IOMMU `iommu` (of type `iommu_type`) from its block and its users;
/// nullopt with `why` naming the devices and the key when they disagree.
std::optional<SharedSetup> resolve_setup(const std::string& iommu, const std::string& iommu_type,
                                         const std::optional<HostDriverParams>& block,
                                         const std::vector<DriverRequest>& users, std::string* why);

}  // namespace isim::host

namespace isim {
template <>
struct cfg::EnumNames<host::VtdMode> {
  static constexpr std::pair<host::VtdMode, std::string_view> table[] = {
      {host::VtdMode::automatic, "auto"},
      {host::VtdMode::legacy, "legacy"},
      {host::VtdMode::scalable, "scalable"},
  };
};
}  // namespace isim
