#include "models/smmuv3/host_adapter.h"

#include <algorithm>

namespace isim::smmuv3 {

using host::DomainResult;
using host::DomainType;
using host::PtFormat;
using host::Status;

namespace {

DriverOptions with_caller_invalidation(DriverOptions o) {
  o.flush = FlushPolicy::caller;
  return o;
}

}  // namespace

Smmuv3HostAdapter::Smmuv3HostAdapter(host::HostBus& bus, const AdapterOptions& opts)
    : opts_(opts), drv_(bus, with_caller_invalidation(opts.driver)) {}

Status Smmuv3HostAdapter::init(std::string* why) {
  if (up_) return Status::ok;
  const std::string err = drv_.init();
  if (!err.empty()) {
    if (why) *why = err;
    return Status::hw_error;
  }
  up_ = true;
  return Status::ok;
}

host::HwInfo Smmuv3HostAdapter::hw_info() {
  if (!up_) drv_.probe();
  host::HwInfo h;
  h.vendor = host::Vendor::arm_smmuv3;
  // iommu_hw_info_arm_smmuv3: the raw IDR0-IDR5 (IHI 0070 6.3.1-6.3.6).
  const IdRegs& r = drv_.id_regs();
  h.cap_regs = {{"IDR0", r.idr0}, {"IDR1", r.idr1}, {"IDR2", r.idr2},
                {"IDR3", r.idr3}, {"IDR4", r.idr4}, {"IDR5", r.idr5}};
  const IdParams& c = drv_.ids();
  if (c.s1p) h.paging_formats.push_back(PtFormat::arm_lpae_s1);
  if (c.s2p) h.paging_formats.push_back(PtFormat::arm_lpae_s2);
  if (c.s1p && c.s2p) h.nest_formats = {PtFormat::arm_lpae_s1};
  h.identity = true;  // STE Config = bypass needs no feature
  h.pasid_bits = drv_.master_ssid_bits();
  h.pasid = h.pasid_bits > 0;
  return h;
}

DomainResult Smmuv3HostAdapter::refuse(std::string why) {
  ++counts_.refused;
  return {Status::not_supported, 0, std::move(why)};
}

Status Smmuv3HostAdapter::refused() {
  ++counts_.refused;
  return Status::not_supported;
}

const Smmuv3HostAdapter::Domain* Smmuv3HostAdapter::find(host::DomainId id) const {
  auto it = domains_.find(id);
  return it == domains_.end() ? nullptr : &it->second;
}

DomainResult Smmuv3HostAdapter::alloc_domain(const host::DomainRequest& req) {
  if (!up_) return {Status::invalid, 0, "driver not initialised"};
  const host::HwInfo info = hw_info();
  Domain d;
  d.type = req.type;
  switch (req.type) {
    case DomainType::paging: {
      if (!info.can_page(req.format)) {
        const bool arm = req.format == PtFormat::arm_lpae_s1 || req.format == PtFormat::arm_lpae_s2;
        return refuse(
            arm ? std::string(req.format == PtFormat::arm_lpae_s1 ? "IDR0.S1P" : "IDR0.S2P") +
                      " is clear: no " + std::string(to_string(req.format)) + " tables"
                : "SMMUv3 paging domains use arm-lpae-s1 or arm-lpae-s2 tables, not " +
                      std::string(to_string(req.format)));
      }
      const auto hw =
          req.format == PtFormat::arm_lpae_s2 ? drv_.create_s2_domain() : drv_.create_s1_domain();
      if (!hw) return {Status::no_resources, 0, "out of ASIDs, VMIDs or table memory"};
      d.hw = *hw;
      break;
    }
    case DomainType::identity:
    case DomainType::blocking:
      break;
    case DomainType::nested: {
      if (!info.can_nest(req.format))
        return refuse(info.nest_formats.empty() ? "nesting needs IDR0.S1P and IDR0.S2P"
                                                : "SMMUv3 nests an arm-lpae-s1 stage 1 only, not " +
                                                      std::string(to_string(req.format)));
      const Domain* parent = find(req.parent);
      if (parent == nullptr || parent->type != DomainType::paging || !drv_.is_s2(parent->hw))
        return {Status::invalid, 0, "the parent must be an arm-lpae-s2 paging domain"};
      if (req.s1_pasid_bits > drv_.ids().ssid_bits) return refuse("S1CDMax beyond IDR1.SSIDSIZE");
      d.hw = parent->hw;
      d.cd_table_ipa = req.s1_root;
      d.s1cdmax = req.s1_pasid_bits;
      break;
    }
  }
  const host::DomainId id = next_++;
  domains_.emplace(id, d);
  ++counts_.domains;
  return {Status::ok, id, {}};
}

Status Smmuv3HostAdapter::attach(host::DomainId domain, uint16_t rid,
                                 std::optional<uint32_t> pasid) {
  const Domain* d = find(domain);
  if (d == nullptr || !up_) return Status::invalid;
  if (opts_.ats && drv_.ids().ats) drv_.set_ats(rid, true);
  bool ok = false;
  switch (d->type) {
    case DomainType::paging:
      if (pasid) {
        // A SubstreamID selects a CD: stage-1 domains only.
        if (drv_.is_s2(d->hw)) return refused();
        if (*pasid == 0 || (*pasid >> drv_.master_ssid_bits()) != 0) return Status::invalid;
        ok = drv_.attach_pasid(rid, *pasid, d->hw);
      } else {
        ok = drv_.attach(rid, d->hw);
      }
      break;
    case DomainType::identity:
      if (pasid) return refused();
      ok = drv_.attach_bypass(rid);
      break;
    case DomainType::blocking:
      if (pasid) return refused();
      ok = drv_.attach_abort(rid);
      break;
    case DomainType::nested:
      // The guest's CD table covers every SubstreamID of the stream.
      if (pasid && (*pasid >> d->s1cdmax) != 0) return Status::invalid;
      ok = drv_.attach_nested(rid, d->hw, d->cd_table_ipa, d->s1cdmax);
      break;
  }
  if (!ok) return Status::hw_error;
  ++counts_.attaches;
  return Status::ok;
}

Status Smmuv3HostAdapter::map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                              host::Prot prot) {
  const Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  if (!drv_.map(d->hw, iova, pa, size, prot.read, prot.write)) return Status::invalid;
  ++counts_.maps;
  return Status::ok;
}

Status Smmuv3HostAdapter::unmap(host::DomainId domain, uint64_t iova, uint64_t size) {
  const Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  if (!drv_.unmap(d->hw, iova, size)) return Status::invalid;
  ++counts_.unmaps;
  return Status::ok;
}

Status Smmuv3HostAdapter::invalidate(host::DomainId domain, const host::InvalidateRequest& req) {
  const Domain* d = find(domain);
  if (d == nullptr) return Status::invalid;
  bool ok = true;
  switch (d->type) {
    case DomainType::paging:
      ok = drv_.invalidate(d->hw, req.iova, req.size);
      break;
    case DomainType::nested:
      ok = drv_.invalidate_nested(d->hw, req.iova, req.size);
      break;
    case DomainType::identity:
    case DomainType::blocking:
      return Status::ok;  // nothing cached to drop
  }
  if (!ok) return Status::hw_error;
  ++counts_.invalidations;
  return Status::ok;
}

}  // namespace isim::smmuv3
