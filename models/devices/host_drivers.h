// Host domain-API drivers by IOMMU type: the one place that knows which adapter drives which
// `iommus[].type`, for devices whose software runs on the host driver (the vIOMMU device).
// A new architecture's adapter plugs in by adding its type here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/host_bus.h"
#include "host/iommu_driver.h"

namespace isim {

struct HostDriverOptions {
  uint64_t pool_base = uint64_t{768} << 20;  ///< memory for the driver's tables and queues
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  bool scalable = false;                     ///< VT-d: scalable mode
};

/// The adapter for an IOMMU of type `type` over `bus`, or nullptr when there is none.
std::unique_ptr<host::IommuDriver> make_host_driver(const std::string& type, host::HostBus& bus,
                                                    const HostDriverOptions& o);

/// The types make_host_driver() knows, for error messages ("vtd, amdvi").
std::string host_driver_types();

}  // namespace isim
