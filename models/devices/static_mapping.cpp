#include "models/devices/static_mapping.h"

#include <fmt/format.h>

#include <set>

#include "base/bits.h"
#include "host/driver_registry.h"
#include "sim/build_context.h"
#include "sim/config_error.h"

namespace isim {
namespace {

// Devices that run a host driver of their own on the IOMMU they sit behind.
const std::set<std::string> kDriverDevices = {"dma-api",     "viommu-dma", "mdev-parent",
                                              "smmuv3-host", "amdvi-host", "trace-player",
                                              "tce-guest"};
// Mappings are whole 4 KiB pages (the smallest page every adapter's DMA format has).
constexpr unsigned kPageLg2 = 12;

}  // namespace

StaticMapping::StaticMapping(const ComponentSpec& spec, const StaticMappingParams& p, bool ats,
                             BuildContext& ctx)
    : iommu_(spec.iommu), stats_(ctx.stats, spec.iommu + "_driver") {
  const ComponentSpec* io = nullptr;
  for (const ComponentSpec& s : ctx.config.iommus)
    if (s.name == spec.iommu) io = &s;
  if (io == nullptr) throw cfg::ConfigError(spec.name + ": no IOMMU named '" + spec.iommu + "'");
  if (ctx.host == nullptr) throw cfg::ConfigError(spec.name + ": no host bus on this platform");
  for (const ComponentSpec& d : ctx.config.devices) {
    if (d.iommu == spec.iommu && d.name != spec.name && kDriverDevices.contains(d.type))
      throw cfg::ConfigError(fmt::format(
          "{}: params.driver.enabled runs a host driver on '{}', which the {} device '{}' "
          "programs too; one driver per IOMMU",
          spec.name, spec.iommu, d.type, d.name));
  }
  if (p.pool_base + p.pool_size > ctx.config.memory.size)
    throw cfg::ConfigError(spec.name + ": driver.pool_base + pool_size is beyond memory.size");
  const host::DriverFactory* make = host::find_driver(io->type);
  if (make == nullptr)
    throw cfg::ConfigError(spec.name +
                           ": params.driver needs a host driver; there are drivers for " +
                           host::driver_type_list() + " IOMMUs, not '" + io->type + "'");
  bus_ = ctx.host->open(spec.iommu, p.mmio_cost.ps);
  host::DriverSetup setup;
  setup.pool_base = p.pool_base;
  setup.pool_limit = p.pool_base + p.pool_size;
  setup.ats = ats;
  drv_ = (*make)(*bus_, setup);
  format_ = host::dma_format(io->type);
  const host::HostBusCounts& b = bus_->counts();
  const host::DriverCounts& c = drv_->counts();
  stats_.counter_ref("mmio_reads", &b.mmio_reads, "register reads by the driver", "count");
  stats_.counter_ref("mmio_writes", &b.mmio_writes, "register writes by the driver", "count");
  stats_.counter_ref("domains", &c.domains, "domains allocated", "count");
  stats_.counter_ref("maps", &c.maps, "map calls", "count");
}

StaticMapping::~StaticMapping() = default;

std::string StaticMapping::setup(uint16_t rid, uint64_t base, uint64_t size) {
  std::string why;
  if (drv_->init(&why) != host::Status::ok) return iommu_ + ": the driver did not start: " + why;
  host::DomainRequest req;
  req.format = format_;
  const host::DomainResult d = drv_->alloc_domain(req);
  if (d.status != host::Status::ok)
    return fmt::format("{}: paging domain: {} {}", iommu_, host::to_string(d.status), d.why);
  const uint64_t lo = align_down(base, kPageLg2);
  const uint64_t hi = align_up(base + size, kPageLg2);
  if (const host::Status s = drv_->map(d.id, lo, lo, hi - lo, {}); s != host::Status::ok)
    return fmt::format("{}: mapping [0x{:x}, 0x{:x}) failed: {}", iommu_, lo, hi,
                       host::to_string(s));
  if (const host::Status s = drv_->attach(d.id, rid); s != host::Status::ok)
    return fmt::format("{}: attach failed: {}", iommu_, host::to_string(s));
  return {};
}

}  // namespace isim
