#include "pasid/guest_pasid.h"

namespace isim::pasid {

namespace {
constexpr uint32_t kPasidLimit = 1u << 20;
}

bool PasidTranslationTable::map(uint32_t gpasid, uint32_t hpasid) {
  if (gpasid >= kPasidLimit || hpasid >= kPasidLimit) return false;
  map_[gpasid] = hpasid;
  return true;
}

bool PasidTranslationTable::unmap(uint32_t gpasid) {
  return map_.erase(gpasid) != 0;
}

std::optional<uint32_t> PasidTranslationTable::lookup(uint32_t gpasid) const {
  auto it = map_.find(gpasid);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

TranslateResult PasidTranslationTable::translate(uint32_t gpasid, bool supervisor) const {
  if (auto h = lookup(gpasid)) return {true, *h, 0};
  return {false, 0, supervisor ? kExitEnqcmdsPasidFail : kExitEnqcmdPasidFail};
}

GuestAlloc VIommuPasids::alloc(uint32_t gpasid) {
  GuestAlloc g;
  g.gpasid = gpasid;
  if (gpasid >= kPasidLimit) {
    g.error = Error::out_of_range;
    return g;
  }
  if (table_->lookup(gpasid)) {
    g.error = Error::in_use;
    return g;
  }
  AllocResult r;
  if (mode_ == VIommuMode::guest_local) {
    r = host_->alloc_local(set_, rid_, gpasid);
  } else {
    ++hypercalls_;
    r = host_->alloc_global(set_, rid_);
  }
  if (!r.ok()) {
    g.error = r.error;
    return g;
  }
  g.hpasid = r.pasid;
  table_->map(gpasid, r.pasid);
  return g;
}

Error VIommuPasids::free(uint32_t gpasid) {
  auto h = table_->lookup(gpasid);
  if (!h) return Error::not_allocated;
  Error e;
  if (mode_ == VIommuMode::guest_local) {
    e = host_->free_local(set_, rid_, *h);
  } else {
    ++hypercalls_;
    e = host_->free_global(set_, *h);
  }
  if (e == Error::none) table_->unmap(gpasid);
  return e;
}

}  // namespace isim::pasid
