#include "pasid/smmu_driver_table.h"

namespace isim::pasid {

TableError SmmuDriverTable::set(uint32_t pasid, const PasidBinding& b) {
  if (pasid == 0 || (pasid >> pasid_bits()) != 0) return TableError::out_of_range;
  // The driver fails a bind when it runs out of ASIDs or table memory, or a CMD_SYNC does not
  // complete; each leaves the entry unusable, which the caller treats alike.
  const auto asid = drv_.bind_sva(sid_, pasid, b.pt_root);
  if (!asid) return TableError::no_memory;
  asids_[pasid] = *asid;
  return TableError::none;
}

TableError SmmuDriverTable::clear(uint32_t pasid) {
  const auto it = asids_.find(pasid);
  if (it == asids_.end()) return TableError::not_present;
  asids_.erase(it);
  return drv_.unbind(sid_, pasid) ? TableError::none : TableError::bus_error;
}

std::optional<uint16_t> SmmuDriverTable::asid(uint32_t pasid) const {
  const auto it = asids_.find(pasid);
  if (it == asids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace isim::pasid
