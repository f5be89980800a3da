// A space of integer IDs [lo, hi] handing out the lowest free one (as Linux's IDA does for
// PASIDs), or a specific one on request; freed IDs are reused lowest-first.
//
// Free IDs are kept as disjoint intervals, so a full 20-bit space costs one map entry until it
// fragments, and allocation stays O(log n).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace isim::pasid {

class IdSpace {
 public:
  /// All of [lo, hi] free; lo > hi gives an empty space.
  IdSpace(uint32_t lo, uint32_t hi);

  uint32_t lo() const { return lo_; }
  uint32_t hi() const { return hi_; }
  bool contains(uint32_t id) const { return id >= lo_ && id <= hi_; }
  /// IDs of the space that are free.
  uint64_t free_count() const { return free_count_; }

  /// The lowest free ID (not taken); nullopt when none is free.
  std::optional<uint32_t> lowest_free() const {
    if (free_.empty()) return std::nullopt;
    return free_.begin()->first;
  }
  /// The lowest free ID, now taken; nullopt when none is free.
  std::optional<uint32_t> take_lowest();
  /// Takes `id`; false when it is outside the space or already taken.
  bool take(uint32_t id);
  /// Returns `id`; false when it is outside the space or not taken.
  bool give_back(uint32_t id);
  bool is_free(uint32_t id) const;

 private:
  uint32_t lo_;
  uint32_t hi_;
  uint64_t free_count_ = 0;
  std::map<uint32_t, uint32_t> free_;  ///< first -> last (inclusive) of each free interval
};

}  // namespace isim::pasid
