// The `mdev-parent` device: one physical function shared by `mdevs` mediated devices, each
// assigned to its own VM, in one of two isolation modes chosen by config so that both run the
// same workload:
//
// - `software` (vfio-mdev): the guest's requests trap to the parent driver, which translates
//   every guest-physical page through that VM's memory map, pins it on first use (as
//   vfio_pin_pages does; pages stay pinned until the mdev goes away) and makes the device DMA to
//   host-physical addresses with the parent's own requester ID. The IOMMU sees one RID and
//   cannot tell mdevs apart: isolation is the mediation layer's job, and a request naming a page
//   outside its VM's memory (e.g. another mdev's) is refused there and counted. The parent's
//   domain (`parent_domain`) is either the union of pinned pages mapped IOVA = HPA (a parent in
//   a DMA domain, as vendor drivers map pinned pages with dma_map_page) or identity (iommu=pt):
//   the first still blocks a parent DMA to an address nobody pinned, the second does not.
// - `pasid` (Scalable IOV): each mdev gets a PASID on the parent's RID and its own paging
//   domain mapping its VM's memory (IOVA = GPA, mapped when the VM starts, as VFIO_IOMMU_MAP_DMA
//   does), attached at (parent RID, PASID). Requests go straight to the mdev's queue (no trap)
//   and their DMAs carry the PASID: a stray address faults in the IOMMU.
//
// The host side drives the IOMMU through the domain API (host/iommu_driver.h) of the VT-d
// (scalable mode), AMD-Vi or SMMUv3 adapter (a PASID is a SubstreamID there: each mdev's domain
// is a stage-1 table in the CD at its SSID): the IOMMU's one host driver (shared_host_driver.h),
// which other host-driven devices behind it use too; PASIDs come from the platform's allocator.
// Each VM's memory is a source and a destination buffer; request k copies `size` bytes from source
// to destination at offset k * size. Costs are ESTIMATES.
//
// Not modelled: the mdev's MMIO interface (a submission costs `submit_cost` / `trap_cost`),
// unpinning, guest page-table changes, interrupts and migration of mdev state.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/device_base.h"
#include "hw/sparse_memory.h"
#include "pasid/allocator.h"
#include "sim/params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;
class SharedHostDriver;

enum class MdevIsolation : uint8_t { software, pasid };
enum class MdevParentDomain : uint8_t { pinned, identity };

template <>
struct cfg::EnumNames<MdevIsolation> {
  static constexpr std::pair<MdevIsolation, std::string_view> table[] = {
      {MdevIsolation::software, "software"},
      {MdevIsolation::pasid, "pasid"},
  };
};

template <>
struct cfg::EnumNames<MdevParentDomain> {
  static constexpr std::pair<MdevParentDomain, std::string_view> table[] = {
      {MdevParentDomain::pinned, "pinned"},
      {MdevParentDomain::identity, "identity"},
  };
};

/// The parent's shape, isolation mode and costs (all ESTIMATES).
struct MdevParentParams {
  unsigned mdevs = 4;                                         ///< mediated devices on the parent
  MdevIsolation isolation = MdevIsolation::pasid;             ///< software mediation or PASIDs
  MdevParentDomain parent_domain = MdevParentDomain::pinned;  ///< software: the parent's domain
  cfg::TimeValue request_time{200'000};                       ///< device work per request
  cfg::TimeValue submit_cost{250'000};                        ///< pasid: guest write to its portal
  cfg::TimeValue trap_cost{2'000'000};                 ///< software: VM exit into the parent driver
  cfg::TimeValue mediation_cost{1'000'000};            ///< software: emulating one request
  cfg::TimeValue translate_cost{50'000};               ///< software: GPA -> HPA lookup per page
  cfg::TimeValue pin_cost{1'500'000};                  ///< software: pinning a page (first use)
  cfg::TimeValue mmio_cost{300'000};                   ///< CPU time per IOMMU register access
  uint32_t dma_chunk = 4096;                           ///< bytes per DMA (never crossing a page)
  pasid::Policy pasid_policy = pasid::Policy::global;  ///< pasid: allocation policy
  uint32_t pasid_local_last = 4095;                    ///< partitioned: last RID-local PASID
  uint64_t pool_base = uint64_t{768} << 20;  ///< host driver memory (without host_driver:)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("mdevs", mdevs, "mediated devices sharing the parent", Range<unsigned>{1, 1024});
    v.param("isolation", isolation,
            "software (parent driver pins and translates, DMAs with its own RID) or pasid "
            "(Scalable IOV: a PASID and a domain per mdev)");
    v.param("parent_domain", parent_domain,
            "software: the parent's domain, pinned (union of pinned pages, IOVA = HPA) or "
            "identity");
    v.param("request_time", request_time, "device work per request before its DMAs");
    v.param("submit_cost", submit_cost, "pasid: the guest's write to its mdev's portal");
    v.param("trap_cost", trap_cost, "software: VM exit and entry into the parent driver");
    v.param("mediation_cost", mediation_cost, "software: parent driver's emulation per request");
    v.param("translate_cost", translate_cost, "software: GPA -> HPA lookup per page");
    v.param("pin_cost", pin_cost, "software: pinning a guest page on its first use");
    v.param("mmio_cost", mmio_cost, "CPU cost per IOMMU register access beyond the bus time");
    v.param("dma_chunk", dma_chunk, "bytes per DMA (never crossing a page)", Unit::bytes,
            Range<uint32_t>{1, 4096});
    v.param("pasid_policy", pasid_policy,
            "pasid: global, rid_local or partitioned (the platform's pasid: section wins)");
    v.param("pasid_local_last", pasid_local_last, "partitioned: last RID-local PASID");
    v.param("pool_base", pool_base,
            "host driver memory (the IOMMU's host_driver: wins; users behind one IOMMU agree)",
            Unit::address);
    v.param("pool_size", pool_size, "size of that memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
  }
};

/// Each VM's requests.
struct MdevWorkload {
  unsigned requests = 16;                    ///< memory copies per mdev
  uint32_t size = 4096;                      ///< bytes per copy
  uint64_t gpa_base = uint64_t{1} << 32;     ///< where every VM's buffers sit (guest-physical)
  uint64_t data_base = uint64_t{256} << 20;  ///< host-physical memory backing the VMs
  /// Every Nth request of mdevs other than mdev 0 writes to the host-physical address of mdev
  /// 0's destination buffer (0: never): it must never arrive.
  unsigned probe_every = 0;
  /// software: the parent driver forwards probe addresses without mediating them (a driver
  /// bug), to show what the IOMMU alone can and cannot stop.
  bool unmediated_probes = false;

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("requests", requests, "memory copies per mdev", Range<unsigned>{1, 1u << 20});
    v.param("size", size, "bytes per copy", Unit::bytes, Range<uint32_t>{1, 1u << 20});
    v.param("gpa_base", gpa_base, "guest-physical address of every VM's buffers", Unit::address);
    v.param("data_base", data_base, "host-physical memory backing the VMs", Unit::address);
    v.param("probe_every", probe_every,
            "every Nth request of mdevs > 0 writes to mdev 0's memory by its HPA (0: never)");
    v.param("unmediated_probes", unmediated_probes,
            "software: probes bypass the mediation layer (a parent driver bug)");
  }
};

class MdevParentDevice final : public DeviceBase {
 public:
  MdevParentDevice(const ComponentSpec& spec, const MdevParentParams& p, BuildContext& ctx);
  ~MdevParentDevice() override;

  /// One mediated device and the VM it serves.
  struct Mdev {
    uint32_t pasid = 0;         ///< pasid mode: its PASID on the parent's RID
    host::DomainId domain = 0;  ///< pasid mode: its domain
    uint64_t hpa = 0;           ///< host-physical backing of its VM's memory
    uint64_t completed = 0;     ///< requests whose DMAs all completed
    uint64_t refused = 0;       ///< requests the mediation layer refused
    uint64_t faulted = 0;       ///< requests with a DMA the IOMMU blocked
  };
  const std::vector<Mdev>& mdevs() const { return mdevs_; }
  /// Bytes of each VM's memory (source then destination buffer).
  uint64_t vm_bytes() const { return 2 * buffer_bytes(); }
  uint64_t buffer_bytes() const;
  /// Whether the host side came up.
  bool ready() const { return ready_; }

 private:
  struct Engine;
  void run() override;
  bool set_up_host();
  void mdev_thread(unsigned i);
  /// Software mode: the parent driver resolves [gpa, gpa + len) for mdev `i`, pinning pages
  /// on first use; false (refused) when a page lies outside the VM's memory.
  bool mediate(unsigned i, uint64_t gpa, uint64_t len, uint64_t* hpa);
  /// Copies `len` bytes src -> dst in page-bounded chunks; false when a DMA was blocked.
  bool copy(unsigned i, uint64_t src, uint64_t dst, uint64_t len);
  bool dma(unsigned i, bool write, uint64_t addr, std::span<uint8_t> data);
  sc_core::sc_time cost(const cfg::TimeValue& t) const;

  MdevParentParams p_;
  MdevWorkload w_;
  SparseMemory& mem_;
  std::shared_ptr<SharedHostDriver> shared_;  ///< the IOMMU's one host driver
  host::DomainId parent_domain_ = 0;
  pasid::PolicyParams policy_;  ///< this device's params (the platform's `pasid:` wins)
  std::vector<Mdev> mdevs_;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::set<uint64_t> pinned_;      ///< software: host-physical page numbers pinned so far
  sc_core::sc_mutex driver_lock_;  ///< software: the parent driver mediates one request at a time
  bool ready_ = false;

  stats::Counter& requests_;
  stats::Counter& completed_;
  stats::Counter& bytes_;
  stats::Counter& probes_;
  stats::Counter& refused_;
  stats::Counter& dma_faults_;
  stats::Counter& pinned_pages_;
  stats::Counter& pin_time_;
  stats::Counter& mediation_time_;
  stats::Counter& setup_errors_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
};

/// Registers device type `mdev-parent`.
void register_mdev_parent_device();

}  // namespace isim
