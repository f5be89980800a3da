#include "models/devices/static_mapping.h"

#include <fmt/format.h>

#include "base/bits.h"
#include "models/devices/shared_host_driver.h"
#include "sim/build_context.h"

namespace isim {
namespace {

// Mappings are whole 4 KiB pages (the smallest page every adapter's DMA format has).
constexpr unsigned kPageLg2 = 12;

}  // namespace

StaticMapping::StaticMapping(const ComponentSpec& spec, BuildContext& ctx)
    : shared_(SharedHostDriver::of(spec, ctx)), iommu_(spec.iommu) {}

StaticMapping::~StaticMapping() = default;

std::string StaticMapping::setup(uint16_t rid, uint64_t base, uint64_t size) {
  if (std::string why = shared_->start(); !why.empty())
    return iommu_ + ": the driver did not start: " + why;
  DriverLocked lock(*shared_);
  host::IommuDriver& drv = shared_->driver();
  host::DomainRequest req;
  req.format = shared_->dma_format();
  const host::DomainResult d = drv.alloc_domain(req);
  if (d.status != host::Status::ok)
    return fmt::format("{}: paging domain: {} {}", iommu_, host::to_string(d.status), d.why);
  const uint64_t lo = align_down(base, kPageLg2);
  const uint64_t hi = align_up(base + size, kPageLg2);
  if (const host::Status s = drv.map(d.id, lo, lo, hi - lo, {}); s != host::Status::ok)
    return fmt::format("{}: mapping [0x{:x}, 0x{:x}) failed: {}", iommu_, lo, hi,
                       host::to_string(s));
  if (const host::Status s = drv.attach(d.id, rid); s != host::Status::ok)
    return fmt::format("{}: attach failed: {}", iommu_, host::to_string(s));
  return {};
}

}  // namespace isim
