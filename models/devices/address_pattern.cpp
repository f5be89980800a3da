#include "models/devices/address_pattern.h"

#include <algorithm>

namespace isim {

namespace {

uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

// nic buffers start on a page of their own after the ring.
constexpr uint64_t kRingAlign = 4096;

}  // namespace

AddressPattern::AddressPattern(const Params& p, Rng rng)
    : p_(p), rng_(rng), slots_(p.size ? p.footprint / p.size : 0) {
  if (p_.pattern == AccessPattern::zipf && slots_ > 0) {
    zipf_.emplace(slots_, p_.theta);
    // slot = (rank * mult + add) mod slots is a bijection when gcd(mult, slots) = 1: the hot
    // ranks land far apart, always on the same slots for one seed.
    mult_ = slots_ > 1 ? rng_.below(slots_ - 1) + 1 : 1;
    while (gcd(mult_, slots_) != 1) mult_ = mult_ % (slots_ - 1) + 1;
    add_ = rng_.below(slots_);
  }
}

uint64_t AddressPattern::nic_span(const Params& p) {
  return align_up(p.ring_entries * p.desc_size, kRingAlign) + p.ring_entries * p.stride;
}

uint64_t AddressPattern::permute(uint64_t rank) const {
  const unsigned __int128 x = static_cast<unsigned __int128>(rank) * mult_ + add_;
  return static_cast<uint64_t>(x % slots_);
}

PatternAccess AddressPattern::next_access() {
  if (slots_ == 0) return {p_.base, p_.size, std::nullopt};
  switch (p_.pattern) {
    case AccessPattern::sequential: {
      const uint64_t a = p_.base + offset_;
      offset_ += p_.size;
      if (offset_ >= slots_ * p_.size) offset_ = 0;
      return {a, p_.size, std::nullopt};
    }
    case AccessPattern::strided: {
      // One pass touches offsets lane, lane+stride, ...; the next pass shifts by one request,
      // so every request-sized slot of the footprint is visited once per stride/size passes.
      const uint64_t a = p_.base + offset_ + lane_;
      offset_ += p_.stride;
      if (offset_ + lane_ + p_.size > p_.footprint) {
        offset_ = 0;
        lane_ += p_.size;
        if (lane_ >= p_.stride || lane_ + p_.size > p_.footprint) lane_ = 0;
      }
      return {a, p_.size, std::nullopt};
    }
    case AccessPattern::random:
      return {p_.base + rng_.below(slots_) * p_.size, p_.size, std::nullopt};
    case AccessPattern::zipf:
      return {p_.base + permute(zipf_->sample(rng_) - 1) * p_.size, p_.size, std::nullopt};
    case AccessPattern::storage:
    case AccessPattern::gpu: {
      // A run of consecutive requests from a random aligned start: a block, or a burst within
      // a page.
      const bool storage = p_.pattern == AccessPattern::storage;
      const uint64_t span = storage ? p_.block : p_.page;
      if (run_left_ == 0) {
        const uint64_t spans = std::max<uint64_t>(p_.footprint / span, 1);
        const uint64_t start = rng_.below(spans) * span;
        // gpu: the burst starts at a random request slot of the page that leaves room for it.
        const uint64_t per_span = std::max<uint64_t>(span / p_.size, 1);
        const uint64_t run = storage ? per_span : std::min(p_.burst, per_span);
        offset_ = start + (storage ? 0 : rng_.below(per_span - run + 1) * p_.size);
        run_left_ = run;
      }
      const uint64_t a = p_.base + offset_;
      offset_ += p_.size;
      --run_left_;
      return {a, p_.size, std::nullopt};
    }
    case AccessPattern::nic: {
      const uint64_t slot = packet_ % p_.ring_entries;
      const uint64_t desc = p_.base + slot * p_.desc_size;
      const uint64_t buffers = p_.base + align_up(p_.ring_entries * p_.desc_size, kRingAlign);
      PatternAccess acc;
      switch (phase_) {
        case 0:
          acc = {desc, p_.desc_size, false};  // fetch the descriptor
          break;
        case 1:
          acc = {buffers + slot * p_.stride, p_.size, std::nullopt};  // the packet
          break;
        default:
          acc = {desc, p_.desc_size, true};  // write the descriptor back
          ++packet_;
          break;
      }
      phase_ = (phase_ + 1) % 3;
      return acc;
    }
  }
  return {p_.base, p_.size, std::nullopt};
}

}  // namespace isim
