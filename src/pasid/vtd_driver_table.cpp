#include "pasid/vtd_driver_table.h"

namespace isim::pasid {

TableError VtdDriverTable::set(uint32_t pasid, const PasidBinding& b) {
  if (pasid >> pasid_bits()) return TableError::out_of_range;
  // The driver fails a bind when it cannot allocate a table page or the unit does not complete
  // the invalidation; both leave the entry unusable, which the caller treats alike.
  if (!drv_.bind_first_stage(rid_, pasid, b.pt_root, b.tag)) return TableError::no_memory;
  tags_[pasid] = b.tag;
  return TableError::none;
}

TableError VtdDriverTable::clear(uint32_t pasid) {
  const auto it = tags_.find(pasid);
  if (it == tags_.end()) return TableError::not_present;
  const uint16_t tag = it->second;
  tags_.erase(it);
  return drv_.unbind(rid_, pasid, tag) ? TableError::none : TableError::bus_error;
}

}  // namespace isim::pasid
