// The host software of a trace replay: one per IOMMU, shared by the trace players behind it.
// It applies a trace's software events through the domain API of the IOMMU's one host driver
// (shared_host_driver.h, the adapter registered for the IOMMU's type), which other host-driven
// devices behind the IOMMU use too:
//
// - domains: an event with `domain=N` concerns trace domain N of this IOMMU; one without it
//   concerns its requester's own domain. Either is a paging domain in the hardware's paging
//   format, allocated on first use;
// - attach: points the requester (and PASID, if the event has one) at the domain;
// - map: maps the granule-rounded range [ADDR, ADDR+SIZE) to `out` (the IOVA and the physical
//   address must share their offset within a granule), read-only for `r`, write-only for `w`,
//   both for `rw` and `-`; a requester (and PASID) not attached yet is attached to the domain
//   first, so a trace of bare map/unmap churn works without attach events;
// - unmap: clears the rounded range and, with `flush_on_unmap`, invalidates it at once (what
//   Linux's iommu_unmap does with its IOTLB sync); without it only `invalidate` events flush,
//   and DMAs through stale IOTLB entries are served as the hardware would;
// - invalidate: the range of the domain (size 0: all of it), for the event's PASID if any.
//
// Calls are serialised by the driver's lock (the adapters are not re-entrant while they poll);
// the first user to run brings the driver up and the others wait for it.
#pragma once

#include <systemc>

#include <map>
#include <memory>
#include <string>

#include "host/driver_registry.h"
#include "models/devices/shared_host_driver.h"
#include "trace/trace_event.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

struct ReplayHostSetup {
  unsigned granule_lg2 = 12;   ///< maps and unmaps are rounded out to this page size
  bool flush_on_unmap = true;  ///< every unmap is followed by an invalidation of its range
};

class ReplayHost {
 public:
  /// The host of `spec.iommu`, created by the first player behind it (whose `setup` wins; the
  /// driver's set-up is the IOMMU's, shared_host_driver.h).
  /// Throws ConfigError when the IOMMU's type has no registered driver.
  static std::shared_ptr<ReplayHost> of(const ComponentSpec& spec, const ReplayHostSetup& setup,
                                        BuildContext& ctx);

  ReplayHost(const ComponentSpec& player, const ReplayHostSetup& setup, BuildContext& ctx);

  /// Brings the driver up on the first call (from an SC_THREAD); later callers wait until it
  /// is. Empty on success, else why the driver could not start.
  std::string start();
  /// Applies one map, unmap, invalidate or attach event from an SC_THREAD. Empty on success,
  /// else what went wrong.
  std::string apply(const trace::Event& e);

 private:
  using DomainKey = uint64_t;
  static DomainKey key_of(const trace::Event& e);
  /// The domain of `e`, allocated on first use; 0 with `why` set when it cannot be.
  host::DomainId domain(const trace::Event& e, bool create, std::string& why);
  std::string attach(host::DomainId d, const trace::Event& e);
  std::string map(const trace::Event& e);
  std::string unmap(const trace::Event& e);
  std::string invalidate(const trace::Event& e);

  std::string iommu_;
  ReplayHostSetup setup_;
  std::shared_ptr<SharedHostDriver> shared_;
  host::IommuDriver* drv_;
  host::PtFormat format_ = host::PtFormat::vtd_second_stage;
  sc_core::sc_event ready_;
  bool started_ = false;
  bool up_ = false;
  std::string error_;
  std::map<DomainKey, host::DomainId> domains_;
  std::map<uint64_t, host::DomainId> attached_;  ///< (rid << 20 | pasid) -> domain
};

}  // namespace isim
