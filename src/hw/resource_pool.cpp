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

ResourcePool::ResourcePool(uint32_t slots) : busy_until_(slots, 0) {
  if (slots == 0) throw std::invalid_argument("resource pool: needs at least one slot");
}

Tick ResourcePool::acquire(Tick ready, Tick duration) {
  // Best fit among the slots free at `ready` (latest busy-until <= ready); failing that, the
  // slot that frees up first. Strict comparisons keep ties on the lowest slot number.
  size_t fit = busy_until_.size();
  size_t first = 0;
  for (size_t i = 0; i < busy_until_.size(); ++i) {
    const Tick t = busy_until_[i];
    if (t <= ready && (fit == busy_until_.size() || t > busy_until_[fit])) fit = i;
    if (t < busy_until_[first]) first = i;
  }
  const size_t slot = fit != busy_until_.size() ? fit : first;
  const Tick start = std::max(ready, busy_until_[slot]);
  busy_until_[slot] = start + duration;
  record(stats_, ready, start, duration);
  return start;
}

Tick ResourcePool::earliest_free() const {
  return *std::min_element(busy_until_.begin(), busy_until_.end());
}

uint32_t ResourcePool::free_at(Tick t) const {
  return static_cast<uint32_t>(
      std::count_if(busy_until_.begin(), busy_until_.end(), [t](Tick b) { return b <= t; }));
}

double ResourcePool::utilisation(Tick elapsed) const {
  return ratio_of(stats_.busy, static_cast<double>(elapsed) * static_cast<double>(slots()));
}

void ResourcePool::reset() {
  std::fill(busy_until_.begin(), busy_until_.end(), 0);
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

BandwidthTimeline::BandwidthTimeline(TransferRate rate) : rate_(rate) {
  if (rate_.bytes == 0 || rate_.ticks == 0)
    throw std::invalid_argument("bandwidth timeline: zero transfer rate");
}

BandwidthTimeline::Booking BandwidthTimeline::transfer(Tick ready, uint64_t bytes) {
  // The exact free time is busy_until_ + frac_/rate_.bytes with frac_ < rate_.bytes, so a
  // request ready at or before busy_until_ queues behind it and inherits the fraction, while
  // one ready strictly later finds the channel idle and starts on a whole picosecond.
  const bool idle = ready > busy_until_;
  const Tick start = idle ? ready : busy_until_;
  const unsigned __int128 num =
      static_cast<unsigned __int128>(bytes) * rate_.ticks + (idle ? 0 : frac_);
  Tick end;
  if (num >> 64 == 0) {
    // The usual case (a DMA-sized transfer): 64-bit division, much cheaper than 128-bit.
    const auto n = static_cast<uint64_t>(num);
    end = start + n / rate_.bytes;
    frac_ = n % rate_.bytes;
  } else {
    end = start + static_cast<Tick>(num / rate_.bytes);
    frac_ = static_cast<uint64_t>(num % rate_.bytes);
  }
  busy_until_ = end;
  bytes_ += bytes;
  record(stats_, ready, start, end - start);
  return {start, end};
}

double BandwidthTimeline::utilisation(Tick elapsed) const {
  return ratio_of(stats_.busy, static_cast<double>(elapsed));
}

void BandwidthTimeline::reset() {
  busy_until_ = 0;
  frac_ = 0;
  bytes_ = 0;
  stats_ = TimelineStats{};
}

}  // namespace isim
