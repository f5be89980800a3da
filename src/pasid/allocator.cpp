#include "pasid/allocator.h"

#include <fmt/format.h>

namespace isim::pasid {

const char* to_string(Error e) {
  switch (e) {
    case Error::none:
      return "ok";
    case Error::exhausted:
      return "no free PASID left in the range";
    case Error::quota:
      return "the IOASID set holds its quota";
    case Error::out_of_range:
      return "PASID outside the range this request draws from";
    case Error::in_use:
      return "PASID already allocated";
    case Error::not_allocated:
      return "PASID not allocated";
    case Error::wrong_set:
      return "PASID belongs to another IOASID set";
    case Error::unknown_set:
      return "no such IOASID set";
    case Error::duplicate_set:
      return "an IOASID set with that name exists";
    case Error::no_global:
      return "the rid_local policy has no global PASIDs";
  }
  return "?";
}

namespace {
unsigned effective_width(const PolicyParams& p, unsigned cap_width) {
  return p.width == 0 ? cap_width : p.width;
}
uint32_t max_pasid(unsigned width) {
  return width == 0 ? 0 : static_cast<uint32_t>((uint64_t{1} << width) - 1);
}
}  // namespace

std::string PasidAllocator::validate(const PolicyParams& p, unsigned cap_width) {
  if (cap_width == 0 || cap_width > 20)
    return fmt::format("the IOMMU reports {} PASID bits (PASIDs need 1..20)", cap_width);
  if (p.width > cap_width)
    return fmt::format("width {} exceeds the IOMMU's {} PASID bits", p.width, cap_width);
  const uint32_t top = max_pasid(effective_width(p, cap_width));
  if (p.first > top) return fmt::format("first {} is beyond the largest PASID {}", p.first, top);
  if (p.policy == Policy::partitioned && (p.local_last < p.first || p.local_last >= top))
    return fmt::format(
        "partitioned: local_last {} must lie in [first {}, {}) so both ranges are non-empty",
        p.local_last, p.first, top);
  return {};
}

PasidAllocator::PasidAllocator(const PolicyParams& p, unsigned cap_width)
    : policy_(p.policy), width_(effective_width(p, cap_width)), global_space_(0, 0) {
  const uint32_t top = max_pasid(width_);
  switch (policy_) {
    case Policy::global:
      global_ = {p.first, top};
      local_ = global_;
      break;
    case Policy::rid_local:
      global_ = {1, 0};
      local_ = {p.first, top};
      break;
    case Policy::partitioned:
      local_ = {p.first, p.local_last};
      global_ = {p.local_last + 1, top};
      break;
  }
  global_space_ = IdSpace(global_.first, global_.last);
}

Error PasidAllocator::create_set(const std::string& name, uint64_t quota) {
  if (sets_.count(name)) return Error::duplicate_set;
  sets_.emplace(name, IoasidSet{name, quota, 0});
  return Error::none;
}

const IoasidSet* PasidAllocator::set(const std::string& name) const {
  auto it = sets_.find(name);
  return it == sets_.end() ? nullptr : &it->second;
}

void PasidAllocator::limit(Requester r, unsigned bits) {
  if (bits >= width_) {
    last_.erase(r);
  } else {
    last_[r] = max_pasid(bits);
  }
}

uint32_t PasidAllocator::last_for(Requester rid) const {
  auto it = last_.find(rid);
  return it == last_.end() ? max_pasid(width_) : it->second;
}

IdSpace& PasidAllocator::local_space(Requester rid) {
  auto it = local_spaces_.find(rid);
  if (it == local_spaces_.end())
    it = local_spaces_.emplace(rid, IdSpace(local_.first, local_.last)).first;
  return it->second;
}

bool PasidAllocator::local_allocated(Requester rid, uint32_t pasid) const {
  if (policy_ == Policy::global) return global_allocated(pasid);
  return owner_.count(key_local(rid, pasid)) != 0;
}

AllocResult PasidAllocator::take(const std::string& set, IdSpace& space, uint64_t key_base,
                                 std::optional<uint32_t> wanted, uint32_t last) {
  auto s = sets_.find(set);
  if (s == sets_.end()) return {0, Error::unknown_set};
  if (s->second.used >= s->second.quota) return {0, Error::quota};
  uint32_t pasid = 0;
  if (wanted) {
    if (!space.contains(*wanted) || *wanted > last) return {0, Error::out_of_range};
    if (!space.take(*wanted)) return {0, Error::in_use};
    pasid = *wanted;
  } else {
    // The lowest free one: if even that is beyond `last`, none below it is free.
    auto id = space.lowest_free();
    if (!id || *id > last) return {0, Error::exhausted};
    space.take(*id);
    pasid = *id;
  }
  ++s->second.used;
  owner_.emplace(key_base | pasid, set);
  return {pasid, Error::none};
}

Error PasidAllocator::give(const std::string& set, IdSpace& space, uint64_t key) {
  auto o = owner_.find(key);
  if (o == owner_.end()) return Error::not_allocated;
  if (o->second != set) return Error::wrong_set;
  space.give_back(static_cast<uint32_t>(key & kPasidKeyMask));
  --sets_.at(set).used;
  owner_.erase(o);
  return Error::none;
}

AllocResult PasidAllocator::alloc_global(const std::string& set,
                                         std::optional<Requester> for_requester) {
  if (policy_ == Policy::rid_local) return {0, Error::no_global};
  const uint32_t last = for_requester ? last_for(*for_requester) : max_pasid(width_);
  return take(set, global_space_, kGlobalKey, std::nullopt, last);
}

AllocResult PasidAllocator::alloc_global_at(const std::string& set, uint32_t pasid) {
  if (policy_ == Policy::rid_local) return {0, Error::no_global};
  return take(set, global_space_, kGlobalKey, pasid, max_pasid(width_));
}

AllocResult PasidAllocator::alloc_local(const std::string& set, Requester rid,
                                        std::optional<uint32_t> wanted) {
  if (policy_ == Policy::global) return take(set, global_space_, kGlobalKey, wanted, last_for(rid));
  return take(set, local_space(rid), key_local(rid, 0), wanted, last_for(rid));
}

Error PasidAllocator::free_global(const std::string& set, uint32_t pasid) {
  if (policy_ == Policy::rid_local) return Error::no_global;
  if (!sets_.count(set)) return Error::unknown_set;
  return give(set, global_space_, key_global(pasid));
}

Error PasidAllocator::free_local(const std::string& set, Requester rid, uint32_t pasid) {
  if (policy_ == Policy::global) return free_global(set, pasid);
  if (!sets_.count(set)) return Error::unknown_set;
  return give(set, local_space(rid), key_local(rid, pasid));
}

}  // namespace isim::pasid
