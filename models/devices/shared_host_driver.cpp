#include "models/devices/shared_host_driver.h"

#include <fmt/format.h>

#include <map>
#include <utility>
#include <vector>

#include "models/devices/host_driver_stats.h"
#include "sim/build_context.h"
#include "sim/config_error.h"

namespace isim {
namespace {

std::map<std::string, DriverRequestFn>& users() {
  static std::map<std::string, DriverRequestFn> m;
  return m;
}

/// The drivers of the platforms alive in this process, by (platform, IOMMU name).
using Key = std::pair<const PlatformConfig*, std::string>;
std::map<Key, std::weak_ptr<SharedHostDriver>>& drivers() {
  static std::map<Key, std::weak_ptr<SharedHostDriver>> m;
  return m;
}

}  // namespace

/// The PASID allocator of one platform, shared by its IOMMUs' drivers.
struct PlatformPasids {
  std::unique_ptr<pasid::PasidAllocator> alloc;
  pasid::PolicyParams made_with;  ///< the policy it was made with
};

namespace {

/// The allocators of the platforms alive in this process.
std::shared_ptr<PlatformPasids> platform_pasids(const PlatformConfig* pf) {
  static std::map<const PlatformConfig*, std::weak_ptr<PlatformPasids>> m;
  if (auto sp = m[pf].lock()) return sp;
  auto sp = std::make_shared<PlatformPasids>();
  m[pf] = sp;
  return sp;
}

// PCIe PASID TLP prefix: 20 bits; no IOMMU carries more.
constexpr unsigned kMaxPasidBits = 20;

}  // namespace

host::DriverRequest driver_request(const std::string& device, uint64_t pool_base,
                                   uint64_t pool_size, Tick mmio_cost, std::string mmio_key) {
  host::DriverRequest r;
  r.device = device;
  r.pool_base = pool_base;
  r.pool_size = pool_size;
  r.mmio_cost = mmio_cost;
  r.mmio_key = std::move(mmio_key);
  return r;
}

void register_host_driver_user(const std::string& type, DriverRequestFn fn) {
  users()[type] = std::move(fn);
}

std::shared_ptr<SharedHostDriver> SharedHostDriver::of(const ComponentSpec& device,
                                                       BuildContext& ctx) {
  const Key key{&ctx.config, device.iommu};
  if (auto sp = drivers()[key].lock()) return sp;
  const ComponentSpec* io = ctx.config.find_iommu(device.iommu);
  if (io == nullptr)
    throw cfg::ConfigError(device.name + ": no IOMMU named '" + device.iommu + "'");
  if (ctx.host == nullptr) throw cfg::ConfigError(device.name + ": no host bus on this platform");
  const host::DriverFactory* make = host::find_driver(io->type);
  if (make == nullptr)
    throw cfg::ConfigError(fmt::format("{}: {} has host drivers for {} IOMMUs, not '{}'",
                                       device.name, device.type, host::driver_type_list(),
                                       io->type));
  std::vector<host::DriverRequest> reqs;
  for (const ComponentSpec& d : ctx.config.devices) {
    if (d.iommu != device.iommu) continue;
    // These bring the unit up with a driver of their own (a DMA engine's kernel driver with its
    // interrupt and page-request paths, or a pseries guest's TCE calls): two drivers would each
    // reset the hardware or its windows.
    if (d.type == "amdvi-host" || d.type == "smmuv3-host" || d.type == "tce-guest")
      throw cfg::ConfigError(fmt::format(
          "{}: IOMMU '{}' is driven by the {} device '{}', which runs a driver of its own; "
          "put {} behind another IOMMU",
          device.name, device.iommu, d.type, d.name, device.name));
    auto it = users().find(d.type);
    if (it == users().end()) continue;
    if (auto r = it->second(d)) reqs.push_back(std::move(*r));
  }
  std::string why;
  const auto setup = host::resolve_setup(io->name, io->type, io->host_driver, reqs, &why);
  if (!setup) throw cfg::ConfigError(ctx.config.file + ": " + why);
  if (setup->host_limit > ctx.config.memory.size)
    throw cfg::ConfigError(fmt::format(
        "{}: the host driver memory of IOMMU '{}' (pool_base + pool_size, from {}) is beyond "
        "memory.size",
        device.name, io->name, io->host_driver ? "its host_driver: block" : "the devices' params"));
  auto sp =
      std::make_shared<SharedHostDriver>(io->name, *setup, *make, host::dma_format(io->type), ctx);
  drivers()[key] = sp;
  return sp;
}

SharedHostDriver::SharedHostDriver(const std::string& iommu, const host::SharedSetup& setup,
                                   const host::DriverFactory& make, host::PtFormat dma_format,
                                   BuildContext& ctx)
    : iommu_(iommu),
      setup_(setup),
      dma_format_(dma_format),
      platform_pasid_(ctx.config.pasid),
      bus_(ctx.host->open(iommu, setup.mmio_cost)),
      drv_(make(*bus_, setup.driver)),
      host_pages_(setup.host_base, setup.host_limit),
      platform_pasids_(platform_pasids(&ctx.config)),
      stats_(ctx.stats, iommu + "_driver") {
  for (size_t i = 0; i < ctx.config.iommus.size(); ++i)
    if (ctx.config.iommus[i].name == iommu) index_ = static_cast<unsigned>(i);
  add_host_driver_stats(stats_, bus_->counts(), drv_->counts());
}

std::string SharedHostDriver::start() {
  if (done_) return error_;
  if (started_) {
    while (!done_) sc_core::wait(ready_);
    return error_;
  }
  started_ = true;
  {
    DriverLocked l(*this);
    std::string why;
    if (drv_->init(&why) != host::Status::ok)
      error_ = fmt::format("{}: the host driver did not start: {}", iommu_,
                           why.empty() ? std::string("init failed") : why);
  }
  done_ = true;
  ready_.notify();
  return error_;
}

pasid::PasidAllocator* SharedHostDriver::pasids(const pasid::PolicyParams& fallback,
                                                std::string* why) {
  const host::HwInfo info = drv_->hw_info();
  if (!info.pasid) {
    if (why) *why = iommu_ + ": the host driver has no PASID support in this mode";
    return nullptr;
  }
  // The platform's section, else the first asking device's params, on every IOMMU.
  std::unique_ptr<pasid::PasidAllocator>& alloc = platform_pasids_->alloc;
  const pasid::PolicyParams& pp = platform_pasid_ ? *platform_pasid_ : fallback;
  if (std::string w = pasid::PasidAllocator::validate(pp, info.pasid_bits); !w.empty()) {
    if (why) *why = iommu_ + ": " + w;
    return nullptr;
  }
  if (!alloc) {
    alloc = std::make_unique<pasid::PasidAllocator>(pp, kMaxPasidBits);
    platform_pasids_->made_with = pp;
  } else if (const pasid::PolicyParams& m = platform_pasids_->made_with;
             m.policy != pp.policy || m.width != pp.width || m.first != pp.first ||
             m.local_last != pp.local_last) {
    // Devices' params disagree and no `pasid:` section settles it: one space, one policy.
    if (why)
      *why = fmt::format(
          "{}: the platform's PASID allocator runs another policy than this "
          "device's params ask for; give the platform a pasid: section",
          iommu_);
    return nullptr;
  }
  pasid_bits_ = info.pasid_bits;
  return alloc.get();
}

pasid::Requester SharedHostDriver::requester(uint16_t rid) {
  const pasid::Requester r = pasid::requester(index_, rid);
  if (platform_pasids_->alloc) platform_pasids_->alloc->limit(r, pasid_bits_);
  return r;
}

}  // namespace isim
