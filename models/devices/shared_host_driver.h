// The one host driver of an IOMMU, shared by every host-driven device behind it (dma-api,
// viommu-dma, mdev-parent, swq, trace replay), as a Linux system has one intel_iommu /
// amd_iommu / arm-smmu-v3 instance per unit that all device drivers use through the IOMMU core.
//
// The first device built behind an IOMMU creates it: the set-up is resolved once from the
// IOMMU's `host_driver:` block or, without one, from every user's params (host/driver_setup.h:
// disagreeing users are a config error naming both); the driver is the adapter registered for
// the IOMMU's type (host/driver_registry.h), on a host bus of its own. The first user to run
// brings it up, the others wait for that. Calls are serialised by one lock (the adapters poll
// registers and must not be re-entered), as Linux serialises on its IOMMU and domain locks.
// Each user keeps its own domains; PASIDs come from one allocator per platform (src/pasid), shared
// by every IOMMU's driver, so no two users anywhere hand out the same PASID under the global
// policy (as Linux allocates SVA PASIDs from one system-wide IDA). The driver reports once, as
// `<iommu>_driver` in the root stats group.
#pragma once

#include <systemc>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "host/dma_api.h"
#include "host/driver_setup.h"
#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "hw/stats/stats.h"
#include "pasid/allocator.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
struct PlatformPasids;

/// What a device type asks of its IOMMU's driver, read from a config entry of that type;
/// nullopt when this entry does not use the driver (a trace player without software events).
using DriverRequestFn = std::function<std::optional<host::DriverRequest>(const ComponentSpec&)>;

/// Declares device type `type` a user of the shared host driver (called by its registration).
void register_host_driver_user(const std::string& type, DriverRequestFn fn);

/// A user's request from its set-up params; callers add what else it needs (scalable mode,
/// ATS).
host::DriverRequest driver_request(const std::string& device, uint64_t pool_base,
                                   uint64_t pool_size, Tick mmio_cost,
                                   std::string mmio_key = "mmio_cost");

class SharedHostDriver final : public host::DriverLock {
 public:
  /// The driver of `device.iommu`, created by the first device built behind it. Throws
  /// ConfigError when the IOMMU's type has no driver, the users disagree on the set-up or the
  /// pool lies beyond memory.
  static std::shared_ptr<SharedHostDriver> of(const ComponentSpec& device, BuildContext& ctx);

  SharedHostDriver(const std::string& iommu, const host::SharedSetup& setup,
                   const host::DriverFactory& make, host::PtFormat dma_format, BuildContext& ctx);

  /// Brings the driver up on the first call (from an SC_THREAD); later callers wait until it
  /// is. Empty on success, else why the driver could not start.
  std::string start();

  host::HostBus& bus() { return *bus_; }
  host::IommuDriver& driver() { return *drv_; }
  /// The adapter as its concrete type (native calls the domain API lacks), or null.
  template <class T>
  T* native() {
    return dynamic_cast<T*>(drv_.get());
  }
  /// The format of the kernel's own DMA-API domains on this IOMMU.
  host::PtFormat dma_format() const { return dma_format_; }
  const host::SharedSetup& setup() const { return setup_; }
  /// Host kernel memory for tables other than the driver's (an SVA process's page tables).
  PhysAllocator& host_pages() { return host_pages_; }
  /// The platform's PASID allocator, shared with the other IOMMUs' drivers: made on first use
  /// with the platform's `pasid:` policy or, on a platform without one, `fallback` (the first
  /// asking device's params), at the policy's width or the PCIe maximum of 20 bits. Null with
  /// `why` when the policy does not fit this IOMMU's PASID width. Call with the lock held after
  /// start().
  pasid::PasidAllocator* pasids(const pasid::PolicyParams& fallback, std::string* why);
  /// The allocator's key for requester `rid` behind this IOMMU, its PASIDs capped at the width
  /// the hardware reports. Call after pasids() succeeded.
  pasid::Requester requester(uint16_t rid);

  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }

 private:
  std::string iommu_;
  host::SharedSetup setup_;
  host::PtFormat dma_format_;
  std::optional<pasid::PolicyParams> platform_pasid_;
  std::unique_ptr<host::HostBus> bus_;
  std::unique_ptr<host::IommuDriver> drv_;
  PhysAllocator host_pages_;
  unsigned index_ = 0;  ///< the IOMMU's place in the platform's `iommus:` (its requester keys)
  std::shared_ptr<PlatformPasids> platform_pasids_;
  unsigned pasid_bits_ = 0;  ///< what the hardware reports (once pasids() succeeded)
  sc_core::sc_mutex mutex_;
  sc_core::sc_event ready_;
  bool started_ = false;
  bool done_ = false;
  std::string error_;
  stats::Group stats_;  ///< `<iommu>_driver`: the bus's and the driver's counts
};

/// Holds a shared driver's lock for a scope (released on every path).
class DriverLocked {
 public:
  explicit DriverLocked(SharedHostDriver& d) : d_(d) { d_.lock(); }
  ~DriverLocked() { d_.unlock(); }
  DriverLocked(const DriverLocked&) = delete;
  DriverLocked& operator=(const DriverLocked&) = delete;

 private:
  SharedHostDriver& d_;
};

}  // namespace isim
