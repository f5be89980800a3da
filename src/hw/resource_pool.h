// Resource timelines: contention without a clock process (DESIGN principle 3, STYLE item 4).
//
// A shared resource -- a pool of page walkers, the ports of a cache, a memory channel, a PCIe
// link -- is a calendar of busy intervals per slot (hw/busy_calendar.h). A request that is
// ready at time t takes the first idle stretch at or after t long enough for its duration, so
// queueing delay appears in loosely-timed code that only ever adds delays, and a request that
// is booked late (temporal decoupling lets initiators run ahead of each other) still uses the
// idle time before bookings made for the future instead of queueing behind them.
//
// Owners call retire_before(now) with the kernel's time before booking: intervals that ended
// by then can no longer matter. Calendars also keep at most `max_spans` intervals per slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"
#include "hw/busy_calendar.h"

namespace isim {

/// Raw counts of one timeline; the stats tree registers the fields by address.
struct TimelineStats {
  uint64_t acquisitions = 0;  ///< bookings made
  uint64_t delayed = 0;       ///< bookings that had to wait (start > ready)
  Tick total_wait = 0;        ///< sum over bookings of start - ready, in ps
  Tick max_wait = 0;          ///< largest single start - ready, in ps
  Tick busy = 0;              ///< sum of booked durations, in slot-ps (utilisation numerator)
};

/// Busy intervals a timeline keeps per slot when its owner never retires them: enough for
/// every booking a quantum's worth of run-ahead makes, small enough to search quickly.
inline constexpr size_t kDefaultCalendarSpans = 1024;

/// N identical slots (walkers, ports, ...), each with its calendar of busy intervals.
class ResourcePool {
 public:
  /// Throws std::invalid_argument when slots == 0 (a pool that can never serve is a config
  /// error, not a model state).
  explicit ResourcePool(uint32_t slots, size_t max_spans = kDefaultCalendarSpans);

  /// Books one slot for `duration` ps for a request ready at `ready`; returns the start time:
  /// the earliest t >= ready at which some slot is idle for [t, t + duration). Slot choice is
  /// deterministic: among the slots that can start then, the one whose previous use ended last
  /// (keeping long-idle slots for requests booked later but ready earlier); ties go to the
  /// lowest slot number.
  Tick acquire(Tick ready, Tick duration);

  /// The earliest time at or after `ready` at which some slot is idle (for any duration).
  Tick first_free(Tick ready) const;
  /// The earliest time from which some slot stays idle.
  Tick earliest_free() const;
  /// Number of slots idle at time t.
  uint32_t free_at(Tick t) const;
  /// When slot `slot` is idle from then on.
  Tick busy_until(uint32_t slot) const { return slots_.at(slot).last_end(); }
  uint32_t slots() const { return static_cast<uint32_t>(slots_.size()); }
  /// Forgets bookings that end at or before `now` (the kernel's time: nothing is ready before).
  void retire_before(Tick now);

  /// Fraction of the pool's capacity used over [0, elapsed): busy / (slots * elapsed).
  double utilisation(Tick elapsed) const;

  const TimelineStats& stats() const { return stats_; }
  void reset_stats() { stats_ = TimelineStats{}; }
  /// Frees every slot (time 0) and clears the stats.
  void reset();

 private:
  std::vector<BusyCalendar<Tick>> slots_;
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
/// data bus, one direction of a PCIe link). Busy intervals are kept exactly, in units of
/// 1/rate.bytes ps, so a long run of back-to-back transfers ends exactly at floor(total
/// bytes / rate) with no rounding drift; reported times are whole picoseconds (rounded down).
/// A transfer that finds the channel idle at its ready time starts on that picosecond; one
/// that queues starts where the transfer before it ended, fraction included.
class BandwidthTimeline {
 public:
  struct Booking {
    Tick start;  ///< when the first byte moves: max(ready, channel free)
    Tick end;    ///< when the last byte has moved
  };

  /// Throws std::invalid_argument when the rate is zero.
  explicit BandwidthTimeline(TransferRate rate, size_t max_spans = kDefaultCalendarSpans);

  /// Books the channel for `bytes` bytes for a request ready at `ready`: the first idle
  /// stretch at or after `ready` long enough for them.
  Booking transfer(Tick ready, uint64_t bytes);
  /// Forgets bookings that end at or before `now` (the kernel's time: nothing is ready before).
  void retire_before(Tick now);

  /// When the channel is idle from then on (whole picoseconds, rounded down).
  Tick busy_until() const;
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
  using Exact = unsigned __int128;  ///< time in units of 1/rate_.bytes ps
  Tick to_ps(Exact t) const;

  TransferRate rate_;
  BusyCalendar<Exact> calendar_;
  uint64_t bytes_ = 0;
  TimelineStats stats_;
};

}  // namespace isim
