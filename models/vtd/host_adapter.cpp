#include "models/vtd/host_adapter.h"

#include "models/vtd/regs.h"

namespace isim::vtd {

using host::DomainResult;
using host::DomainType;
using host::PtFormat;
using host::Status;

namespace {

DriverOptions with_caller_invalidation(DriverOptions o) {
  o.flush = FlushPolicy::deferred;
  return o;
}

}  // namespace

VtdHostAdapter::VtdHostAdapter(host::HostBus& bus, DriverOptions opts)
    : bus_(bus), opts_(with_caller_invalidation(opts)), drv_(bus, opts_) {}

Status VtdHostAdapter::init(std::string* why) {
  if (up_) return Status::ok;
  const std::string err = drv_.init();
  if (!err.empty()) {
    if (why) *why = err;
    return Status::hw_error;
  }
  up_ = true;
  return Status::ok;
}

host::HwInfo VtdHostAdapter::hw_info() {
  host::HwInfo h;
  h.vendor = host::Vendor::intel_vtd;
  // iommu_hw_info_vtd: the raw CAP and ECAP registers (VT-d 11.4.2, 11.4.3).
  h.cap_regs = {{"CAP", bus_.mmio_read(reg::kCap, 8)}, {"ECAP", bus_.mmio_read(reg::kEcap, 8)}};
  const Capabilities& c = drv_.caps();
  h.paging_formats = {PtFormat::vtd_second_stage};
  if (opts_.scalable && c.nest && c.fsts && c.ssts) h.nest_formats = {PtFormat::x86_64};
  h.identity = c.pt;
  h.pasid = opts_.scalable && c.pasid;
  h.pasid_bits = h.pasid ? c.pasid_bits() : 0;
  return h;
}

DomainResult VtdHostAdapter::refuse(std::string why) {
  ++counts_.refused;
  return {Status::not_supported, 0, std::move(why)};
}

const VtdHostAdapter::Domain* VtdHostAdapter::find(host::DomainId id) const {
  auto it = domains_.find(id);
  return it == domains_.end() ? nullptr : &it->second;
}

DomainResult VtdHostAdapter::alloc_domain(const host::DomainRequest& req) {
  if (!up_) return {Status::invalid, 0, "driver not initialised"};
  const host::HwInfo info = hw_info();
  Domain d{req.type, 0, 0};
  switch (req.type) {
    case DomainType::paging:
      if (!info.can_page(req.format))
        return refuse(std::string("VT-d paging domains use ") +
                      std::string(to_string(PtFormat::vtd_second_stage)) + " tables, not " +
                      std::string(to_string(req.format)));
      break;
    case DomainType::identity:
      if (!info.identity) return refuse("ECAP.PT is clear: no hardware pass-through");
      break;
    case DomainType::blocking:
      break;
    case DomainType::nested: {
      if (!info.can_nest(req.format))
        return refuse(info.nest_formats.empty()
                          ? "nesting needs scalable mode with ECAP.NEST, FSTS and SSTS"
                          : "VT-d nests an x86-64 (IA-32e) first stage only, not " +
                                std::string(to_string(req.format)));
      const Domain* parent = find(req.parent);
      if (parent == nullptr || parent->type != DomainType::paging)
        return {Status::invalid, 0, "the parent must be a second-stage paging domain"};
      if (req.s1_levels != 4) return refuse("first-stage tables here are 4-level");
      d.did = parent->did;  // Linux intel_nested_domain_alloc: the parent's DID
      d.s1_root = req.s1_root;
      break;
    }
  }
  if (req.type != DomainType::nested) {
    const auto did = drv_.create_domain();
    if (!did) return {Status::no_resources, 0, "out of domain IDs or table memory"};
    d.did = *did;
  }
  const host::DomainId id = next_++;
  domains_.emplace(id, d);
  ++counts_.domains;
  return {Status::ok, id, {}};
}

Status VtdHostAdapter::attach(host::DomainId domain, uint16_t rid, std::optional<uint32_t> pasid) {
  const Domain* d = find(domain);
  if (d == nullptr) return Status::invalid;
  // Rewriting the live context / PASID entry and flushing it replaces the old domain with no
  // window in which the requester is unattached.
  bool ok = false;
  switch (d->type) {
    case DomainType::paging:
    case DomainType::blocking:
      if (pasid.value_or(0) != 0) {
        // Second stage on a PASID (Scalable IOV): scalable mode only.
        if (!opts_.scalable) {
          ++counts_.refused;
          return Status::not_supported;
        }
        ok = drv_.attach_pasid(rid, *pasid, d->did);
        break;
      }
      ok = drv_.attach(rid, d->did);
      break;
    case DomainType::identity:
      if (pasid.value_or(0) != 0) {
        ++counts_.refused;
        return Status::not_supported;
      }
      ok = drv_.attach_passthrough(rid, d->did);
      break;
    case DomainType::nested:
      ok = drv_.bind_nested(rid, pasid.value_or(0), d->s1_root, d->did);
      break;
  }
  if (!ok) return Status::hw_error;
  // VT-d 6.5.3.3 / Linux domain_context_clear_one: after the entry changed, the old domain's
  // IOTLB entries for the requester go (a domain-selective flush of the old DID).
  const uint32_t key = uint32_t{rid} << 20 | pasid.value_or(0);
  auto old = attached_.find(key);
  if (old != attached_.end() && old->second != d->did) drv_.invalidate(old->second, 0, 0);
  attached_[key] = d->did;
  ++counts_.attaches;
  return Status::ok;
}

Status VtdHostAdapter::map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                           host::Prot prot) {
  const Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  if (!drv_.map(d->did, iova, pa, size, prot.write)) return Status::invalid;
  ++counts_.maps;
  return Status::ok;
}

Status VtdHostAdapter::unmap(host::DomainId domain, uint64_t iova, uint64_t size) {
  const Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  if (!drv_.unmap(d->did, iova, size)) return Status::invalid;
  ++counts_.unmaps;
  return Status::ok;
}

Status VtdHostAdapter::invalidate(host::DomainId domain, const host::InvalidateRequest& req) {
  const Domain* d = find(domain);
  if (d == nullptr) return Status::invalid;
  if (d->type == DomainType::nested) {
    // A user stage-1 change: PASID-based IOTLB invalidation of the range.
    drv_.flush_pasid_range(d->did, req.pasid.value_or(0), req.iova, req.size);
  } else if (!drv_.invalidate(d->did, req.iova, req.size)) {
    return Status::invalid;
  }
  ++counts_.invalidations;
  return Status::ok;
}

}  // namespace isim::vtd
