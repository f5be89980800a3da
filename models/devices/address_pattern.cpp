#include "models/devices/address_pattern.h"

namespace isim {

AddressPattern::AddressPattern(const Params& p, Rng rng)
    : p_(p), rng_(rng), slots_(p.size ? p.footprint / p.size : 0) {}

uint64_t AddressPattern::next() {
  if (slots_ == 0) return p_.base;
  switch (p_.pattern) {
    case AccessPattern::sequential: {
      const uint64_t a = p_.base + offset_;
      offset_ += p_.size;
      if (offset_ >= slots_ * p_.size) offset_ = 0;
      return a;
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
      return a;
    }
    case AccessPattern::random:
      return p_.base + rng_.below(slots_) * p_.size;
  }
  return p_.base;
}

}  // namespace isim
