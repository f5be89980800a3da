// The `viommu-dma` device: an assigned device (VFIO pass-through) of a guest whose kernel sees
// an emulated IOMMU (host/viommu.h). The guest's driver maps each buffer through that vIOMMU
// with a strict DMA API (IOVA alloc, map, DMA, unmap, IOVA free), the device DMAs at the IOVA,
// and the hypervisor makes the host IOMMU (VT-d, AMD-Vi or SMMUv3, through their domain-API
// adapters)
// honour the guest's mappings nested, shadowed or paravirtualised. The workload's addresses are
// guest-physical: buffer GPA `a` is host-physical `ram_hpa + a`. A NIC pattern's descriptor
// ring is mapped once at set-up. SR-IOV function n is assigned to VM n, whose RAM lies at
// ram_hpa + n * ram_size.
//
// Up to the workload's `outstanding` buffers are in flight, each its own map, DMA, unmap
// sequence: the guest's DMA-API calls are serialised (the VM's one CPU), its DMAs overlap.
//
// Each device is its own VM with its own vIOMMU (its own host domains); the hypervisor drives
// the IOMMU's one host driver (shared_host_driver.h), with every other host-driven device
// behind it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "host/iova_allocator.h"
#include "host/viommu.h"
#include "hw/device_base.h"
#include "models/devices/address_pattern.h"
#include "models/devices/buffer_loop.h"
#include "models/devices/generator.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

template <>
struct cfg::EnumNames<host::ViommuMode> {
  static constexpr std::pair<host::ViommuMode, std::string_view> table[] = {
      {host::ViommuMode::nested, "nested"},
      {host::ViommuMode::shadow, "shadow"},
      {host::ViommuMode::paravirt, "paravirt"},
  };
};

template <>
struct cfg::EnumNames<host::GuestIommu> {
  static constexpr std::pair<host::GuestIommu, std::string_view> table[] = {
      {host::GuestIommu::vtd, "vtd"},
      {host::GuestIommu::amdvi, "amdvi"},
      {host::GuestIommu::smmuv3, "smmuv3"},
  };
};

/// The VM, its vIOMMU strategy and costs. Costs are ESTIMATES (docs/host.md).
struct ViommuDeviceParams {
  host::ViommuMode mode = host::ViommuMode::nested;  ///< nested, shadow or paravirt
  host::GuestIommu guest = host::GuestIommu::vtd;    ///< the IOMMU the guest sees
  uint64_t ram_size = uint64_t{256} << 20;           ///< guest RAM (GPA 0 up)
  uint64_t ram_hpa =
      uint64_t{1} << 30;  ///< host physical address of GPA 0 (SR-IOV VF n: + n * ram_size)
  uint64_t table_base = uint64_t{192} << 20;  ///< GPA of the guest's IOMMU table pool
  uint64_t table_size = uint64_t{16} << 20;   ///< size of that pool
  cfg::TimeValue trap_cost{2'000'000};        ///< one trapped guest invalidation
  cfg::TimeValue hypercall_cost{1'500'000};   ///< one paravirtual MAP/UNMAP request
  cfg::TimeValue guest_pte_cost{10'000};      ///< guest: per page of guest PTEs
  cfg::TimeValue walk_cost{20'000};           ///< hypervisor: per guest entry read
  cfg::TimeValue host_map_cost{100'000};      ///< hypervisor: per host map/unmap call
  cfg::TimeValue map_cost{100'000};           ///< guest DMA API: per map call
  cfg::TimeValue unmap_cost{100'000};         ///< guest DMA API: per unmap call
  uint64_t iova_base = uint64_t{1} << 20;     ///< lowest guest IOVA
  uint64_t iova_limit = uint64_t{1} << 32;    ///< guest IOVAs below this
  cfg::TimeValue mmio_cost{300'000};          ///< host CPU cost per register access beyond the bus
  uint64_t pool_base = uint64_t{768} << 20;   ///< host driver memory (without host_driver:)
  uint64_t pool_size = uint64_t{64} << 20;    ///< size of that memory
  bool scalable = true;                       ///< VT-d host: ask for scalable mode (nesting)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("mode", mode, "vIOMMU strategy: nested, shadow or paravirt");
    v.param("guest", guest, "IOMMU the guest sees: vtd, amdvi or smmuv3 (its table format)");
    v.param("ram_size", ram_size, "guest RAM size (GPA 0 up)", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 21, uint64_t{1} << 40});
    v.param("ram_hpa", ram_hpa,
            "host physical address of guest RAM (SR-IOV function n: plus n * ram_size)",
            Unit::address);
    v.param("table_base", table_base, "GPA of the guest IOMMU driver's table pool", Unit::address);
    v.param("table_size", table_size, "size of the guest's table pool", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 16, uint64_t{1} << 32});
    v.param("trap_cost", trap_cost, "one trapped guest invalidation (VM exit, emulation, entry)");
    v.param("hypercall_cost", hypercall_cost, "one paravirtual MAP or UNMAP request");
    v.param("guest_pte_cost", guest_pte_cost, "guest driver: per page of guest PTEs written");
    v.param("walk_cost", walk_cost, "hypervisor: per guest table entry read while shadowing");
    v.param("host_map_cost", host_map_cost, "hypervisor: per host map or unmap call");
    v.param("map_cost", map_cost, "guest DMA API: per map call beyond the vIOMMU work");
    v.param("unmap_cost", unmap_cost, "guest DMA API: per unmap call beyond the vIOMMU work");
    v.param("iova_base", iova_base, "lowest guest IOVA", Unit::address);
    v.param("iova_limit", iova_limit, "guest IOVAs lie below this", Unit::address);
    v.param("mmio_cost", mmio_cost,
            "host CPU cost per register access beyond the bus time (the IOMMU's host_driver: "
            "wins)");
    v.param("pool_base", pool_base,
            "host driver memory (the IOMMU's host_driver: wins; users behind one IOMMU agree)",
            Unit::address);
    v.param("pool_size", pool_size, "size of the host driver memory", Unit::bytes,
            Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("scalable", scalable,
            "VT-d host: ask for scalable mode (needed for nesting; any user asking wins)");
  }
  template <class C>
  void validate(C& c) const {
    if (iova_limit <= iova_base) c.fail("iova_limit", "must be above iova_base");
    if (table_base >= ram_size || table_size > ram_size - table_base)
      c.fail("table_base", "the table pool must lie inside guest RAM (ram_size)");
    if (ram_hpa % (uint64_t{1} << 21) != 0) c.fail("ram_hpa", "must be 2 MiB aligned");
  }
};

class SharedHostDriver;

class ViommuDevice final : public DeviceBase {
 public:
  ViommuDevice(const ComponentSpec& spec, const ViommuDeviceParams& p, BuildContext& ctx);
  ~ViommuDevice() override;

 private:
  void run() override;
  bool dma(uint64_t addr, uint64_t size, bool write);
  /// The guest DMA API: an IOVA for GPA [gpa, gpa + size) (nullopt on failure).
  std::optional<uint64_t> map(uint64_t gpa, uint64_t size);
  /// Ends the mapping map() returned `iova` in (the whole page-rounded buffer).
  void unmap(uint64_t iova);

  ViommuDeviceParams p_;
  GeneratorWorkload w_;
  std::vector<uint8_t> buffer_;
  std::shared_ptr<SharedHostDriver> shared_;
  std::unique_ptr<host::Viommu> viommu_;
  std::unique_ptr<host::IovaAllocator> iova_;
  std::map<uint64_t, uint64_t> live_;  ///< IOVA page base -> mapped bytes (page-rounded)
  sc_core::sc_time end_time_;
  // State shared by the buffer loops (members: a loop suspended at the end of the run is
  // never unwound).
  sc_core::sc_mutex guest_mutex_;  ///< the guest's DMA-API calls, one at a time
  stats::Counter& buffers_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& map_time_;
  stats::Counter& unmap_time_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
  stats::Scalar* mode_ = nullptr;
  std::unique_ptr<stats::Group> viommu_stats_;
  std::unique_ptr<BufferLoop> loop_;
};

/// Registers device type `viommu-dma`.
void register_viommu_device();

}  // namespace isim
