// The completion times of a closed-loop engine's requests in flight, earliest first. A binary
// heap costs a sift of unpredictable branches per request; here completions mostly arrive in
// order (similar latencies, issued one after another), so a sorted ring that inserts from the
// back takes O(1) typically and pops the earliest from the front.
#pragma once

#include <cstddef>
#include <vector>

#include "base/time.h"

namespace isim {

class CompletionQueue {
 public:
  /// Empties the queue and makes room for `capacity` entries (more are not pushed: the engine
  /// pops one before issuing beyond its limit).
  void reset(size_t capacity) {
    ring_.assign(capacity ? capacity : 1, 0);
    head_ = 0;
    size_ = 0;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The earliest completion; the queue must not be empty.
  Tick earliest() const { return ring_[head_]; }
  void pop_earliest() {
    head_ = next(head_);
    --size_;
  }
  /// Adds a completion; the queue must not be full.
  void push(Tick t) {
    // Walk back from the tail past later completions (usually none), shifting them up.
    size_t pos = index(size_);
    for (size_t n = size_; n > 0; --n) {
      const size_t prev = pos == 0 ? ring_.size() - 1 : pos - 1;
      if (ring_[prev] <= t) break;
      ring_[pos] = ring_[prev];
      pos = prev;
    }
    ring_[pos] = t;
    ++size_;
  }

 private:
  size_t next(size_t i) const { return i + 1 == ring_.size() ? 0 : i + 1; }
  size_t index(size_t offset) const {
    const size_t i = head_ + offset;
    return i >= ring_.size() ? i - ring_.size() : i;
  }

  std::vector<Tick> ring_ = std::vector<Tick>(1);
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace isim
