// Address sequences for traffic generators: pure C++, so each pattern's sequence is unit-tested
// without a simulation kernel.
#pragma once

#include <cstdint>

#include "base/rng.h"
#include "sim/param_types.h"

namespace isim {

enum class AccessPattern { sequential, strided, random };

template <>
struct cfg::EnumNames<AccessPattern> {
  static constexpr std::pair<AccessPattern, std::string_view> table[] = {
      {AccessPattern::sequential, "sequential"},
      {AccessPattern::strided, "strided"},
      {AccessPattern::random, "random"},
  };
};

/// Generates request addresses inside [base, base + footprint), each aligned to `size`.
class AddressPattern {
 public:
  struct Params {
    AccessPattern pattern = AccessPattern::sequential;
    uint64_t base = 0;
    uint64_t footprint = 0;  ///< bytes; a multiple of size
    uint64_t size = 64;      ///< bytes per request
    uint64_t stride = 4096;  ///< distance between consecutive strided requests
  };

  AddressPattern(const Params& p, Rng rng);

  /// The next request address.
  uint64_t next();

 private:
  Params p_;
  Rng rng_;
  uint64_t slots_;  // footprint / size
  uint64_t offset_ = 0;
  uint64_t lane_ = 0;  // strided: which offset inside the stride the current pass uses
};

}  // namespace isim
