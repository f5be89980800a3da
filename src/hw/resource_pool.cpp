#include "hw/resource_pool.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace isim {

namespace {

constexpr Tick kPsPerSecond = 1'000'000'000'000;

void record(TimelineStats& s, Tick ready, Tick start, Tick busy) {
  const Tick wait = start - ready;
  ++s.acquisitions;
  if (wait) ++s.delayed;
  s.total_wait += wait;
  s.max_wait = std::max(s.max_wait, wait);
  s.busy += busy;
}

double ratio_of(Tick busy, double capacity) {
  return capacity > 0 ? static_cast<double>(busy) / capacity : 0.0;
}

}  // namespace

ResourcePool::ResourcePool(uint32_t slots, size_t max_spans) {
  if (slots == 0) throw std::invalid_argument("resource pool: needs at least one slot");
  slots_.assign(slots, BusyCalendar<Tick>(max_spans));
}

Tick ResourcePool::acquire(Tick ready, Tick duration) {
  // The earliest start over all slots; among equal starts, the slot idle for the shortest time
  // before it (best fit); strict comparisons keep ties on the lowest slot number.
  size_t best = 0;
  Tick best_start = 0, best_idle_since = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Tick start = slots_[i].earliest_fit(ready, duration);
    const Tick idle_since = slots_[i].idle_since(start);
    if (i == 0 || start < best_start || (start == best_start && idle_since > best_idle_since)) {
      best = i;
      best_start = start;
      best_idle_since = idle_since;
    }
  }
  slots_[best].book(best_start, duration);
  record(stats_, ready, best_start, duration);
  return best_start;
}

Tick ResourcePool::first_free(Tick ready) const {
  Tick t = slots_[0].earliest_fit(ready, 1);
  for (size_t i = 1; i < slots_.size(); ++i) t = std::min(t, slots_[i].earliest_fit(ready, 1));
  return t;
}

Tick ResourcePool::earliest_free() const {
  Tick t = slots_[0].last_end();
  for (size_t i = 1; i < slots_.size(); ++i) t = std::min(t, slots_[i].last_end());
  return t;
}

uint32_t ResourcePool::free_at(Tick t) const {
  return static_cast<uint32_t>(std::count_if(
      slots_.begin(), slots_.end(), [t](const BusyCalendar<Tick>& c) { return !c.busy_at(t); }));
}

void ResourcePool::retire_before(Tick now) {
  for (BusyCalendar<Tick>& c : slots_) c.retire_before(now);
}

double ResourcePool::utilisation(Tick elapsed) const {
  return ratio_of(stats_.busy, static_cast<double>(elapsed) * static_cast<double>(slots()));
}

void ResourcePool::reset() {
  for (BusyCalendar<Tick>& c : slots_) c.clear();
  stats_ = TimelineStats{};
}

TransferRate TransferRate::per_second(double bytes_per_s) {
  if (!(bytes_per_s >= 0) || bytes_per_s > 1e18)
    throw std::invalid_argument("transfer rate: bytes per second out of range");
  return ratio(static_cast<uint64_t>(std::llround(bytes_per_s)), kPsPerSecond);
}

TransferRate TransferRate::ratio(uint64_t bytes, Tick ticks) {
  if (bytes == 0 || ticks == 0) return TransferRate{bytes, ticks};
  const uint64_t g = std::gcd(bytes, ticks);
  return TransferRate{bytes / g, ticks / g};
}

double TransferRate::bytes_per_second() const {
  return ticks ? static_cast<double>(bytes) * static_cast<double>(kPsPerSecond) /
                     static_cast<double>(ticks)
               : 0.0;
}

Tick transfer_ticks(uint64_t bytes, TransferRate rate) {
  if (rate.bytes == 0) throw std::invalid_argument("transfer_ticks: zero transfer rate");
  const unsigned __int128 n = static_cast<unsigned __int128>(bytes) * rate.ticks;
  return static_cast<Tick>((n + rate.bytes - 1) / rate.bytes);
}

BandwidthTimeline::BandwidthTimeline(TransferRate rate, size_t max_spans)
    : rate_(rate), calendar_(max_spans) {
  if (rate_.bytes == 0 || rate_.ticks == 0)
    throw std::invalid_argument("bandwidth timeline: zero transfer rate");
}

Tick BandwidthTimeline::to_ps(Exact t) const {
  // The usual case fits 64 bits, where division is much cheaper than 128-bit division.
  if (t >> 64 == 0) return static_cast<uint64_t>(t) / rate_.bytes;
  return static_cast<Tick>(t / rate_.bytes);
}

BandwidthTimeline::Booking BandwidthTimeline::transfer(Tick ready, uint64_t bytes) {
  // In exact units a picosecond is rate_.bytes long and a byte rate_.ticks, so a transfer
  // that queues behind another inherits its fractional end while one that finds the channel
  // idle starts on its own (whole) ready picosecond.
  const Exact at = static_cast<Exact>(ready) * rate_.bytes;
  const Exact len = static_cast<Exact>(bytes) * rate_.ticks;
  const Exact from = calendar_.earliest_fit(at, len);
  calendar_.book(from, len);
  // Starting at the ready time (an idle channel) is whole picoseconds already: one division
  // fewer on the common path.
  const Booking b{from == at ? ready : to_ps(from), to_ps(from + len)};
  bytes_ += bytes;
  record(stats_, ready, b.start, b.end - b.start);
  return b;
}

void BandwidthTimeline::retire_before(Tick now) {
  calendar_.retire_before(static_cast<Exact>(now) * rate_.bytes);
}

Tick BandwidthTimeline::busy_until() const {
  return to_ps(calendar_.last_end());
}

double BandwidthTimeline::utilisation(Tick elapsed) const {
  return ratio_of(stats_.busy, static_cast<double>(elapsed));
}

void BandwidthTimeline::reset() {
  calendar_.clear();
  bytes_ = 0;
  stats_ = TimelineStats{};
}

}  // namespace isim
