#include "pasid/amd_driver_table.h"

namespace isim::pasid {

namespace {
TableError from(host::Status s) {
  switch (s) {
    case host::Status::ok:
      return TableError::none;
    case host::Status::invalid:
    case host::Status::not_supported:
      return TableError::out_of_range;
    case host::Status::no_resources:
      return TableError::no_memory;
    case host::Status::hw_error:
      break;
  }
  return TableError::bus_error;
}
}  // namespace

TableError AmdDriverTable::set(uint32_t pasid, const PasidBinding& b) {
  if (pasid == 0 || (pasid >> pasid_bits()) != 0) return TableError::out_of_range;
  if (!drv_.attached(rid_)) {
    host::DomainRequest req;
    req.type = host::DomainType::paging;
    req.format = host::PtFormat::x86_64;
    const host::DomainResult d = drv_.alloc_domain(req);
    if (d.status != host::Status::ok) return from(d.status);
    if (const host::Status s = drv_.attach(d.id, rid_); s != host::Status::ok) return from(s);
  }
  if (const host::Status s = drv_.set_gcr3(rid_, pasid, b.pt_root); s != host::Status::ok)
    return from(s);
  cr3s_[pasid] = b.pt_root;
  return TableError::none;
}

TableError AmdDriverTable::clear(uint32_t pasid) {
  const auto it = cr3s_.find(pasid);
  if (it == cr3s_.end()) return TableError::not_present;
  cr3s_.erase(it);
  return from(drv_.clear_gcr3(rid_, pasid));
}

}  // namespace isim::pasid
