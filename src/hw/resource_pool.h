// Resource timelines: contention without a clock process (DESIGN principle 3, STYLE item 4).
//
// A shared resource -- a pool of page walkers, the ports of a cache, a memory channel, a PCIe
// link -- is a set of "busy until" times. A request that is ready at time t takes the
// resource at max(t, when it frees up) and holds it for its duration, so queueing delay
// appears in loosely-timed code that only ever adds delays. Each timeline keeps the last
// booking per slot, not a calendar of intervals: a request arriving late (temporal decoupling
// lets initiators run ahead of each other) cannot use an idle gap before an existing booking.
// That is the usual loosely-timed approximation; the pool below limits its effect by giving
// each request the free slot that frees up last, keeping early-freed slots for latecomers.
#pragma once

#include <cstdint>
#include <vector>

#include "base/time.h"

namespace isim {

/// Raw counts of one timeline; the stats tree registers the fields by address.
struct TimelineStats {
  uint64_t acquisitions = 0;  ///< bookings made
  uint64_t delayed = 0;       ///< bookings that had to wait (start > ready)
  Tick total_wait = 0;        ///< sum over bookings of start - ready, in ps
  Tick max_wait = 0;          ///< largest single start - ready, in ps
  Tick busy = 0;              ///< sum of booked durations, in slot-ps (utilisation numerator)
};

/// N identical slots (walkers, ports, ...), each busy until some time.
class ResourcePool {
 public:
  /// Throws std::invalid_argument when slots == 0 (a pool that can never serve is a config
  /// error, not a model state).
  explicit ResourcePool(uint32_t slots);

  /// Books one slot for `duration` ps for a request ready at `ready`; returns the start time,
  /// max(ready, when a slot frees up). Slot choice is deterministic: among slots already free
  /// at `ready`, the one that freed up last; otherwise the one that frees up first; ties go
  /// to the lowest slot number.
  Tick acquire(Tick ready, Tick duration);

  /// The earliest time any slot is free.
  Tick earliest_free() const;
  /// Number of slots free at time t.
  uint32_t free_at(Tick t) const;
  /// When slot `slot` frees up.
  Tick busy_until(uint32_t slot) const { return busy_until_.at(slot); }
  uint32_t slots() const { return static_cast<uint32_t>(busy_until_.size()); }

  /// Fraction of the pool's capacity used over [0, elapsed): busy / (slots * elapsed).
  double utilisation(Tick elapsed) const;

  const TimelineStats& stats() const { return stats_; }
  void reset_stats() { stats_ = TimelineStats{}; }
  /// Frees every slot (time 0) and clears the stats.
  void reset();

 private:
  std::vector<Tick> busy_until_;
  TimelineStats stats_;
};

/// A transfer rate as an exact ratio: `bytes` bytes every `ticks` picoseconds. Kept as a ratio
/// so that rates such as a PCIe link's 128b/130b-encoded lanes are exact.
struct TransferRate {
  uint64_t bytes = 0;
  Tick ticks = 1;

  /// `bytes_per_s` rounded to a whole number of bytes per second (exact for any rate written
  /// with up to 9 decimals in GB/s), reduced to lowest terms.
  static TransferRate per_second(double bytes_per_s);
  /// bytes per ticks, reduced to lowest terms.
  static TransferRate ratio(uint64_t bytes, Tick ticks);

  double bytes_per_second() const;
  bool operator==(const TransferRate&) const = default;
};

/// Time to move `bytes` at `rate`, rounded up to a whole picosecond (for one-off estimates;
/// BandwidthTimeline carries the fraction instead).
Tick transfer_ticks(uint64_t bytes, TransferRate rate);

/// One channel that moves bytes at a fixed rate, one transfer at a time (a memory channel's
/// data bus, one direction of a PCIe link). The busy-until time is kept exactly, as whole
/// picoseconds plus a fraction, so a long run of back-to-back transfers ends exactly at
/// floor(total bytes / rate) with no rounding drift; reported times are whole picoseconds
/// (rounded down).
class BandwidthTimeline {
 public:
  struct Booking {
    Tick start;  ///< when the first byte moves: max(ready, channel free)
    Tick end;    ///< when the last byte has moved
  };

  /// Throws std::invalid_argument when the rate is zero.
  explicit BandwidthTimeline(TransferRate rate);

  /// Books the channel for `bytes` bytes for a request ready at `ready`.
  Booking transfer(Tick ready, uint64_t bytes);

  /// When the channel frees up (whole picoseconds, rounded down).
  Tick busy_until() const { return busy_until_; }
  TransferRate rate() const { return rate_; }

  /// Bytes moved since construction or the last reset().
  uint64_t bytes() const { return bytes_; }
  /// Fraction of [0, elapsed) the channel was moving data.
  double utilisation(Tick elapsed) const;

  const TimelineStats& stats() const { return stats_; }
  void reset_stats() {
    stats_ = TimelineStats{};
    bytes_ = 0;
  }
  /// Frees the channel (time 0) and clears the stats.
  void reset();

 private:
  TransferRate rate_;
  Tick busy_until_ = 0;
  uint64_t frac_ = 0;  // busy-until beyond busy_until_, in units of 1/rate_.bytes ps
  uint64_t bytes_ = 0;
  TimelineStats stats_;
};

}  // namespace isim
