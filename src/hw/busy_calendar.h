// A calendar of the intervals one resource is busy: the gap-aware half of the resource
// timelines (hw/resource_pool.h).
//
// Loosely-timed initiators book shared resources out of time order: one that runs ahead in
// its quantum books the memory channel for its future, and another, behind it, then asks for
// the channel at an earlier time. Keeping only "busy until" would queue the latecomer behind
// bookings that have not happened yet, and with several initiators the error compounds (waits
// longer than the run). The calendar keeps the busy intervals instead, so a request takes the
// first idle gap at or after its ready time that is long enough.
//
// Intervals that end at or before the simulation's current time can never matter again (no
// request is ready before the kernel's time), so the owner retires them; a cap on the number
// kept bounds memory and search time when nobody does, by filling the oldest gap (the
// request that would have used it then waits a little more: the calendar never hides
// contention, it may only overstate it).
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace isim {

/// Busy intervals [start, end) of one resource, in time unit `U` (an unsigned integer type:
/// picoseconds, or finer units for exact fractional rates). Disjoint, sorted, and touching
/// intervals are merged, so back-to-back use is a single interval.
template <class U>
class BusyCalendar {
 public:
  /// `max_spans`: how many disjoint intervals are kept at most (>= 2).
  explicit BusyCalendar(size_t max_spans) : max_spans_(max_spans) {
    if (max_spans < 2) throw std::invalid_argument("busy calendar: needs room for two intervals");
  }

  /// The earliest t >= ready at which [t, t + duration) is idle.
  U earliest_fit(U ready, U duration) const {
    U t = ready;
    for (size_t i = first_ending_after(ready); i < spans_.size(); ++i) {
      if (spans_[i].start >= t + duration) break;
      t = std::max(t, spans_[i].end);
    }
    return t;
  }

  /// Marks [start, start + duration) busy. The interval must be idle (as earliest_fit gives).
  void book(U start, U duration) {
    if (duration == 0) return;
    const U end = start + duration;
    // The common case: at or after the last interval (a resource used in time order).
    if (spans_.size() == head_ || start >= spans_.back().end) {
      if (spans_.size() > head_ && start == spans_.back().end)
        spans_.back().end = end;
      else
        spans_.push_back({start, end});
    } else {
      size_t i = first_ending_after(start);  // the interval after the gap being filled
      const bool join_prev = i > head_ && spans_[i - 1].end == start;
      const bool join_next = i < spans_.size() && spans_[i].start == end;
      if (join_prev && join_next) {
        spans_[i - 1].end = spans_[i].end;
        spans_.erase(spans_.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (join_prev) {
        spans_[i - 1].end = end;
      } else if (join_next) {
        spans_[i].start = start;
      } else {
        spans_.insert(spans_.begin() + static_cast<std::ptrdiff_t>(i), Span{start, end});
      }
    }
    if (spans_.size() - head_ > max_spans_) {
      // Fill the oldest gap: the two oldest intervals become one.
      spans_[head_ + 1].start = spans_[head_].start;
      ++head_;
    }
    compact();
  }

  /// Forgets intervals that end at or before `now`: no request is ready before it.
  void retire_before(U now) {
    while (head_ < spans_.size() && spans_[head_].end <= now) ++head_;
    compact();
  }

  /// When the resource is idle from then on (0 when never used).
  U last_end() const { return spans_.size() > head_ ? spans_.back().end : U{0}; }
  /// End of the last kept interval that ends at or before `t` (0 if none): how long the
  /// resource has been idle at `t`, when it is idle then.
  U idle_since(U t) const {
    const size_t i = first_ending_after(t);
    return i > head_ ? spans_[i - 1].end : U{0};
  }
  /// Whether `t` falls inside a kept busy interval.
  bool busy_at(U t) const {
    const size_t i = first_ending_after(t);
    return i < spans_.size() && spans_[i].start <= t;
  }
  /// Kept intervals (for tests and sizing).
  size_t spans() const { return spans_.size() - head_; }

  void clear() {
    spans_.clear();
    head_ = 0;
  }

 private:
  struct Span {
    U start;
    U end;
  };

  /// Index of the first kept interval whose end is after `t` (spans_.size() if none).
  size_t first_ending_after(U t) const {
    // Most requests are near the end of the calendar: check the last interval first.
    if (spans_.size() == head_ || spans_.back().end <= t) return spans_.size();
    const auto it = std::upper_bound(spans_.begin() + static_cast<std::ptrdiff_t>(head_),
                                     spans_.end(), t, [](U v, const Span& s) { return v < s.end; });
    return static_cast<size_t>(it - spans_.begin());
  }

  /// Drops retired intervals from storage once they are half of it (amortised O(1)).
  void compact() {
    if (head_ > 0 && head_ * 2 >= spans_.size()) {
      spans_.erase(spans_.begin(), spans_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<Span> spans_;
  size_t head_ = 0;  ///< intervals before this index are retired
  size_t max_spans_;
};

}  // namespace isim
