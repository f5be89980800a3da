// Identical in-flight misses merged: the miss-status table of a loosely-timed model.
//
// Real translation hardware does not walk the same page twice at once: a second miss on a
// page whose walk is under way waits for that walk and takes its result (gem5's SMMUv3 and
// most TLB designs call this a pending-walk or MSHR hit). In loosely-timed code a walk is
// not a process but a booking: the model knows, when it starts a walk, the tick at which the
// result will be ready. This table remembers those ticks per key so a later miss can find
// that a fill is still in flight and wait for it instead of walking.
//
// Which key to use is the model's choice (an IOTLB key: domain, PASID, page; a context-cache
// key: requester ID). A merged request must still look the result up (in the cache the walk
// filled, or by a functional re-walk): the table holds times, not translations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "base/time.h"

namespace isim {

/// Raw counts; a model's stats tree registers the fields by address.
struct InflightStats {
  uint64_t started = 0;  ///< fills recorded
  uint64_t merged = 0;   ///< lookups that found a fill in flight
  Tick merged_wait = 0;  ///< sum over merged lookups of (done - now), in ps
};

template <class Key, class Hash = std::hash<Key>, class Eq = std::equal_to<Key>>
class InflightTable {
 public:
  /// If a fill for `key` is still in flight at `now` (it completes after `now`), its completion
  /// tick; the lookup counts as merged. A fill that completed at or before `now` is not in
  /// flight: the caller finds its result in the cache (or misses again if it was evicted).
  std::optional<Tick> join(const Key& key, Tick now) {
    auto it = fills_.find(key);
    if (it == fills_.end() || it->second <= now) return std::nullopt;
    ++stats_.merged;
    stats_.merged_wait += it->second - now;
    return it->second;
  }

  /// Records a fill for `key` completing at `done` (replacing an older record of the key).
  void start(const Key& key, Tick done, Tick now) {
    ++stats_.started;
    fills_.insert_or_assign(key, done);
    // Completed records are dead weight; drop them once the table has doubled since the last
    // sweep, so the cost is amortised and the table stays proportional to the fills in flight.
    if (fills_.size() >= 2 * swept_size_ + kMinSweep) {
      std::erase_if(fills_, [now](const auto& kv) { return kv.second <= now; });
      swept_size_ = fills_.size();
    }
  }

  /// Forgets every record (e.g. on a global invalidation, whose semantics a model may define
  /// as also cancelling the merge of walks that started before it).
  void clear() {
    fills_.clear();
    swept_size_ = 0;
  }

  /// Records held, including completed ones not yet swept.
  std::size_t size() const { return fills_.size(); }
  const InflightStats& stats() const { return stats_; }

 private:
  static constexpr std::size_t kMinSweep = 64;  // below this, sweeping is not worth its cost

  std::unordered_map<Key, Tick, Hash, Eq> fills_;
  std::size_t swept_size_ = 0;
  InflightStats stats_;
};

}  // namespace isim
