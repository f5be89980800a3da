// Host IOMMU drivers behind the domain API (iommu_driver.h), by the IOMMU type name a config
// uses (`vtd`, `amdvi`, ...). Host software that needs "a driver for whatever IOMMU this is"
// (trace replay) asks here, so an architecture's adapter plugs in with one registration
// (src/sim/host_drivers.cpp) and every such user gets it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/host_bus.h"
#include "host/iommu_driver.h"

namespace isim::host {

/// What every adapter needs to be brought up; architecture options beyond these keep the
/// adapter's defaults.
struct DriverSetup {
  uint64_t pool_base = 0;   ///< driver memory (tables, queues) starts here
  uint64_t pool_limit = 0;  ///< ... and ends below here
  bool scalable = false;    ///< VT-d: run in scalable mode (ignored elsewhere)
  /// Enable ATS for the functions it attaches where the adapter can (SMMUv3: STE.EATS when
  /// IDR0.ATS); the others leave ATS off, so translation requests are refused.
  bool ats = false;
};

using DriverFactory = std::function<std::unique_ptr<IommuDriver>(HostBus&, const DriverSetup&)>;

/// Registers (or replaces) the driver of IOMMU type `iommu_type`, whose DMA-API domains (the
/// kernel's own, for device drivers) use tables in `dma_format`.
void register_driver(const std::string& iommu_type, PtFormat dma_format, DriverFactory make);
/// The factory for `iommu_type`, or null when no driver is registered for it.
const DriverFactory* find_driver(const std::string& iommu_type);
/// The format of the DMA-API domains of `iommu_type`'s driver (it must be registered).
PtFormat dma_format(const std::string& iommu_type);
/// "vtd, amdvi, ...": the IOMMU types with a driver, for messages.
std::string driver_type_list();
/// The IOMMU types with a driver, sorted (for messages).
std::vector<std::string> driver_types();

}  // namespace isim::host
