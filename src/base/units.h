// Quantities written with their units in configs and on the command line: durations
// (`90ns`, `20cycles`), sizes (`4KiB`, `64GiB`), bandwidths (`19.2GB/s`), frequencies (`2GHz`),
// transfer rates (`8GT/s`), and plain integers (decimal or 0x-hex, `_` separators allowed).
//
// Parsers return std::nullopt on any malformed text; callers turn that into an error naming the
// file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"

namespace isim {

/// A latency as written in a config: absolute time or a number of cycles of the owning
/// component's clock (DESIGN principle 3: latencies are in cycles of each component's clock).
struct Latency {
  uint64_t value = 0;   ///< picoseconds, or cycles when `cycles` is set
  bool cycles = false;  ///< true when written as `Ncycles`

  static constexpr Latency ps(uint64_t v) { return {v, false}; }
  static constexpr Latency ns(double v) { return {ns_to_ticks(v), false}; }
  static constexpr Latency in_cycles(uint64_t n) { return {n, true}; }

  /// The latency in picoseconds for a component clocked at `mhz`.
  Tick to_ticks(double mhz) const { return cycles ? cycles_to_ticks(value, mhz) : value; }

  bool operator==(const Latency&) const = default;
};

/// Unsigned integer: decimal or 0x/0b prefixed, with optional `_` separators.
std::optional<uint64_t> parse_uint(std::string_view s);
/// Signed integer (decimal or hex), e.g. for return codes.
std::optional<int64_t> parse_int(std::string_view s);
/// Floating-point number (decimal only).
std::optional<double> parse_double(std::string_view s);
/// Boolean: true/false/yes/no/on/off (YAML 1.1 spellings).
std::optional<bool> parse_bool(std::string_view s);

/// Size in bytes: a plain integer, or a number with B, KiB, MiB, GiB, TiB, PiB (binary) or
/// KB, MB, GB, TB (decimal). Fractions are allowed when the result is a whole number of bytes.
std::optional<uint64_t> parse_bytes(std::string_view s);
/// Duration: a number with ps, ns, us, ms or s, or a cycle count `Ncycles`. A bare `0` is 0 ps.
std::optional<Latency> parse_latency(std::string_view s);
/// Absolute time in picoseconds (cycles not allowed).
std::optional<Tick> parse_time(std::string_view s);
/// Bandwidth in bytes per second: B/s, KB/s, MB/s, GB/s, TB/s, KiB/s ... TiB/s, or bits with
/// Gb/s, Mb/s (8 bits per byte).
std::optional<double> parse_bandwidth(std::string_view s);
/// Frequency in MHz: Hz, KHz, MHz, GHz.
std::optional<double> parse_frequency_mhz(std::string_view s);
/// Transfer rate in GT/s (PCIe): `8GT/s`, `2.5GT/s`, `16000MT/s`.
std::optional<double> parse_rate_gts(std::string_view s);

/// Canonical text for values (used by `iommu-sim list` and the resolved-config dump).
std::string format_bytes(uint64_t bytes);
std::string format_latency(const Latency& l);
std::string format_time(Tick ps);
std::string format_bandwidth(double bytes_per_s);
std::string format_frequency_mhz(double mhz);

}  // namespace isim
