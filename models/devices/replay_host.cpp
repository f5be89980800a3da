#include "models/devices/replay_host.h"

#include <fmt/format.h>

#include "base/bits.h"
#include "host/host_bus.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "trace/trace_event.h"

namespace isim {
namespace {

/// The hosts of the current platform, by IOMMU name (one platform per process).
std::map<std::string, std::weak_ptr<ReplayHost>>& hosts() {
  static std::map<std::string, std::weak_ptr<ReplayHost>> m;
  return m;
}

std::string describe(const trace::Event& e) {
  std::string s = fmt::format("{} {}", trace::kind_name(e.kind), trace::format_rid(e.rid));
  if (e.pasid) s += fmt::format(" pasid {}", *e.pasid);
  if (e.domain) s += fmt::format(" domain={}", *e.domain);
  s += fmt::format(" 0x{:x}+0x{:x}", e.addr, e.size);
  return s;
}

std::string failed(const trace::Event& e, std::string_view what, host::Status s) {
  return fmt::format("{}: {} ({})", describe(e), what, host::to_string(s));
}

}  // namespace

std::shared_ptr<ReplayHost> ReplayHost::of(const ComponentSpec& spec, const ReplayHostSetup& setup,
                                           BuildContext& ctx) {
  if (auto h = hosts()[spec.iommu].lock()) return h;
  const ComponentSpec* io = nullptr;
  for (const ComponentSpec& s : ctx.config.iommus)
    if (s.name == spec.iommu) io = &s;
  if (io == nullptr) throw cfg::ConfigError(spec.name + ": no IOMMU named '" + spec.iommu + "'");
  if (ctx.host == nullptr) throw cfg::ConfigError(spec.name + ": no host bus on this platform");
  const host::DriverFactory* make = host::find_driver(io->type);
  if (make == nullptr) {
    std::string have;
    for (const auto& t : host::driver_types()) have += (have.empty() ? "" : ", ") + t;
    throw cfg::ConfigError(fmt::format(
        "{}: applying map/unmap/invalidate/attach events needs a host driver for the IOMMU "
        "'{}', and there is none for type '{}' (drivers exist for: {}); replay only the DMAs "
        "with --ignore-software (trace-player param driver: false)",
        spec.name, spec.iommu, io->type, have));
  }
  auto h = std::make_shared<ReplayHost>(spec, setup, ctx);
  hosts()[spec.iommu] = h;
  return h;
}

ReplayHost::ReplayHost(const ComponentSpec& player, const ReplayHostSetup& setup, BuildContext& ctx)
    : iommu_(player.iommu),
      setup_(setup),
      shared_(SharedHostDriver::of(player, ctx)),
      drv_(&shared_->driver()) {}

std::string ReplayHost::start() {
  if (up_ || !error_.empty()) return error_;
  if (started_) {
    sc_core::wait(ready_);
    return error_;
  }
  started_ = true;
  error_ = shared_->start();
  if (error_.empty()) {
    DriverLocked l(*shared_);
    const host::HwInfo info = drv_->hw_info();
    if (info.paging_formats.empty())
      error_ = fmt::format("{}: the hardware offers no paging domains", iommu_);
    else
      format_ = info.paging_formats.front();
  }
  up_ = error_.empty();
  ready_.notify(sc_core::SC_ZERO_TIME);
  return error_;
}

ReplayHost::DomainKey ReplayHost::key_of(const trace::Event& e) {
  // Trace domains and requesters' own domains in one key space: bit 32 tells them apart.
  return e.domain ? (DomainKey{1} << 32 | *e.domain) : DomainKey{e.rid};
}

host::DomainId ReplayHost::domain(const trace::Event& e, bool create, std::string& why) {
  const DomainKey k = key_of(e);
  if (auto it = domains_.find(k); it != domains_.end()) return it->second;
  if (!create) {
    why = fmt::format("{}: no such domain (nothing was mapped or attached in it)", describe(e));
    return 0;
  }
  host::DomainRequest req;
  req.type = host::DomainType::paging;
  req.format = format_;
  const host::DomainResult r = drv_->alloc_domain(req);
  if (r.status != host::Status::ok) {
    why = failed(e, "allocating its domain failed: " + r.why, r.status);
    return 0;
  }
  domains_.emplace(k, r.id);
  return r.id;
}

std::string ReplayHost::attach(host::DomainId d, const trace::Event& e) {
  const host::Status s = drv_->attach(d, e.rid, e.pasid);
  if (s != host::Status::ok) return failed(e, "attach failed", s);
  attached_[uint64_t{e.rid} << 20 | e.pasid.value_or(0)] = d;
  return {};
}

std::string ReplayHost::map(const trace::Event& e) {
  if (!e.out) return describe(e) + ": a map needs out= (the physical address)";
  if (e.size == 0) return describe(e) + ": a map needs a size";
  const unsigned g = setup_.granule_lg2;
  const uint64_t lo = align_down(e.addr, g);
  const uint64_t hi = align_up(e.addr + e.size, g);
  if (e.addr - lo != (*e.out & (lg2_size(g) - 1)))
    return fmt::format("{}: IOVA and out=0x{:x} differ in their offset within a {}-byte page",
                       describe(e), *e.out, lg2_size(g));
  std::string why;
  const host::DomainId d = domain(e, true, why);
  if (d == 0) return why;
  if (!attached_.contains(uint64_t{e.rid} << 20 | e.pasid.value_or(0))) {
    if (auto err = attach(d, e); !err.empty()) return err;
  }
  host::Prot prot;
  prot.read = e.access != trace::Access::write;
  prot.write = e.access != trace::Access::read;
  const host::Status s = drv_->map(d, lo, *e.out - (e.addr - lo), hi - lo, prot);
  return s == host::Status::ok ? std::string() : failed(e, "map failed", s);
}

std::string ReplayHost::unmap(const trace::Event& e) {
  if (e.size == 0) return describe(e) + ": an unmap needs a size";
  const unsigned g = setup_.granule_lg2;
  const uint64_t lo = align_down(e.addr, g);
  const uint64_t hi = align_up(e.addr + e.size, g);
  std::string why;
  const host::DomainId d = domain(e, false, why);
  if (d == 0) return why;
  host::Status s = drv_->unmap(d, lo, hi - lo);
  if (s != host::Status::ok)
    return failed(e, "unmap failed: the range is not mapped, or cuts a larger page", s);
  if (!setup_.flush_on_unmap) return {};
  s = drv_->invalidate(d, {lo, hi - lo, e.pasid});
  return s == host::Status::ok ? std::string() : failed(e, "invalidation after unmap failed", s);
}

std::string ReplayHost::invalidate(const trace::Event& e) {
  std::string why;
  const host::DomainId d = domain(e, false, why);
  if (d == 0) return why;
  host::InvalidateRequest req{e.addr, e.size, e.pasid};
  if (e.size != 0) {
    const unsigned g = setup_.granule_lg2;
    req.iova = align_down(e.addr, g);
    req.size = align_up(e.addr + e.size, g) - req.iova;
  }
  const host::Status s = drv_->invalidate(d, req);
  return s == host::Status::ok ? std::string() : failed(e, "invalidate failed", s);
}

std::string ReplayHost::apply(const trace::Event& e) {
  if (!up_) return error_.empty() ? iommu_ + ": the driver has not been started" : error_;
  DriverLocked l(*shared_);
  switch (e.kind) {
    case trace::Kind::map:
      return map(e);
    case trace::Kind::unmap:
      return unmap(e);
    case trace::Kind::invalidate:
      return invalidate(e);
    case trace::Kind::attach: {
      std::string why;
      const host::DomainId d = domain(e, true, why);
      return d == 0 ? why : attach(d, e);
    }
    case trace::Kind::dma:
    case trace::Kind::fault:
      break;
  }
  return describe(e) + ": not a software event the host applies";
}

}  // namespace isim
