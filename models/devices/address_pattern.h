// Address sequences for traffic generators: pure C++, so each pattern's sequence is unit-tested
// without a simulation kernel.
//
//   sequential  consecutive requests, wrapping at the end of the footprint
//   strided     requests `stride` apart, shifting by one request per pass
//   random      uniform over the footprint's request-sized slots
//   zipf        skewed: slot ranks drawn Zipf(theta), the hot ranks scattered over the
//               footprint by a fixed permutation (a hot set that is not one contiguous run)
//   storage     large sequential blocks (`block` bytes, issued as `size` requests) at random
//               block-aligned places, as a block device's reads and writes
//   gpu         scattered: a random page of the footprint per burst of `burst` consecutive
//               requests inside it
//   nic         a descriptor ring and its packet buffers: per packet, a descriptor read, the
//               packet's data (`size` bytes into or out of the ring slot's buffer) and the
//               descriptor write-back
#pragma once

#include <cstdint>
#include <optional>

#include "base/rng.h"
#include "models/devices/zipf.h"
#include "sim/param_types.h"

namespace isim {

enum class AccessPattern { sequential, strided, random, zipf, storage, gpu, nic };

template <>
struct cfg::EnumNames<AccessPattern> {
  static constexpr std::pair<AccessPattern, std::string_view> table[] = {
      {AccessPattern::sequential, "sequential"},
      {AccessPattern::strided, "strided"},
      {AccessPattern::random, "random"},
      {AccessPattern::zipf, "zipf"},
      {AccessPattern::storage, "storage"},
      {AccessPattern::gpu, "gpu"},
      {AccessPattern::nic, "nic"},
  };
};

/// One request of a pattern.
struct PatternAccess {
  uint64_t addr = 0;
  uint64_t size = 0;
  std::optional<bool> write;  ///< set when the pattern fixes the direction (nic descriptors)
};

/// Generates requests inside [base, base + footprint), each aligned to its size.
class AddressPattern {
 public:
  struct Params {
    AccessPattern pattern = AccessPattern::sequential;
    uint64_t base = 0;
    uint64_t footprint = 0;       ///< bytes; a multiple of size
    uint64_t size = 64;           ///< bytes per request (nic: packet bytes)
    uint64_t stride = 4096;       ///< strided: request distance; nic: buffer distance
    double theta = 0.99;          ///< zipf exponent
    uint64_t block = 128 << 10;   ///< storage: bytes per block (a multiple of size)
    uint64_t burst = 4;           ///< gpu: requests per page visit
    uint64_t page = 4096;         ///< gpu: page size of the scatter
    uint64_t ring_entries = 256;  ///< nic: descriptors in the ring
    uint64_t desc_size = 16;      ///< nic: bytes per descriptor
  };

  AddressPattern(const Params& p, Rng rng);

  /// The next request address (patterns of fixed-size requests).
  uint64_t next() { return next_access().addr; }
  /// The next request.
  PatternAccess next_access();

  /// nic: bytes the ring and its buffers need from the footprint's start.
  static uint64_t nic_span(const Params& p);

 private:
  uint64_t permute(uint64_t rank) const;

  Params p_;
  Rng rng_;
  uint64_t slots_;  // footprint / size
  uint64_t offset_ = 0;
  uint64_t lane_ = 0;  // strided: which offset inside the stride the current pass uses
  std::optional<ZipfSampler> zipf_;
  uint64_t mult_ = 1;      // zipf: rank -> slot permutation (multiplier coprime to slots)
  uint64_t add_ = 0;       // zipf: ... and offset
  uint64_t run_left_ = 0;  // storage/gpu: requests left in the current block/burst
  uint64_t phase_ = 0;     // nic: 0 descriptor read, 1 packet, 2 write-back
  uint64_t packet_ = 0;    // nic: packets so far
};

}  // namespace isim
