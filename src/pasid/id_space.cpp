#include "pasid/id_space.h"

#include <iterator>

namespace isim::pasid {

IdSpace::IdSpace(uint32_t lo, uint32_t hi) : lo_(lo), hi_(hi) {
  if (lo <= hi) {
    free_.emplace(lo, hi);
    free_count_ = uint64_t{hi} - lo + 1;
  }
}

std::optional<uint32_t> IdSpace::take_lowest() {
  if (free_.empty()) return std::nullopt;
  const uint32_t id = free_.begin()->first;
  take(id);
  return id;
}

bool IdSpace::is_free(uint32_t id) const {
  auto it = free_.upper_bound(id);
  if (it == free_.begin()) return false;
  --it;
  return id <= it->second;
}

bool IdSpace::take(uint32_t id) {
  if (!contains(id)) return false;
  auto it = free_.upper_bound(id);
  if (it == free_.begin()) return false;
  --it;
  const uint32_t first = it->first, last = it->second;
  if (id > last) return false;
  free_.erase(it);
  if (first < id) free_.emplace(first, id - 1);
  if (id < last) free_.emplace(id + 1, last);
  --free_count_;
  return true;
}

bool IdSpace::give_back(uint32_t id) {
  if (!contains(id) || is_free(id)) return false;
  uint32_t first = id, last = id;
  // Merge with the interval ending just below and the one starting just above.
  auto next = free_.upper_bound(id);
  if (next != free_.end() && next->first == id + 1) {
    last = next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->second + 1 == id) {
      first = prev->first;
      free_.erase(prev);
    }
  }
  free_.emplace(first, last);
  ++free_count_;
  return true;
}

}  // namespace isim::pasid
