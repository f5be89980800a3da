#include "base/units.h"

#include <fmt/format.h>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace isim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Removes `_` digit separators; rejects leading/trailing/doubled separators.
std::optional<std::string> strip_separators(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || s[i + 1] == '_') return std::nullopt;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

/// Splits "19.2GB/s" into the numeric prefix "19.2" and the unit suffix "GB/s".
std::pair<std::string_view, std::string_view> split_number(std::string_view s) {
  s = trim(s);
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() &&
         ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
          ((s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
           ((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == '-' || s[i + 1] == '+')))) {
    if ((s[i] == 'e' || s[i] == 'E') && (s[i + 1] == '-' || s[i + 1] == '+')) ++i;
    ++i;
  }
  return {s.substr(0, i), trim(s.substr(i))};
}

template <size_t N>
std::optional<double> lookup_unit(std::string_view unit,
                                  const std::array<std::pair<std::string_view, double>, N>& tbl) {
  for (const auto& [name, scale] : tbl)
    if (unit == name) return scale;
  return std::nullopt;
}

/// number * scale as an exact non-negative integer, or nullopt if not integral/overflowing.
std::optional<uint64_t> scaled_integer(std::string_view num, double scale) {
  if (auto i = parse_uint(num)) {
    const double prod = static_cast<double>(*i) * scale;
    if (prod >= 18446744073709551615.0) return std::nullopt;
    if (scale >= 1 && std::floor(scale) == scale) {
      const auto s = static_cast<uint64_t>(scale);
      if (s != 0 && *i > std::numeric_limits<uint64_t>::max() / s) return std::nullopt;
      return *i * s;
    }
  }
  auto d = parse_double(num);
  if (!d || *d < 0) return std::nullopt;
  const double v = *d * scale;
  if (!std::isfinite(v) || v >= 18446744073709551615.0) return std::nullopt;
  const double r = std::round(v);
  if (std::fabs(v - r) > 1e-6 * std::max(1.0, r)) return std::nullopt;
  return static_cast<uint64_t>(r);
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  }
  auto digits = strip_separators(s);
  if (!digits || digits->empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits->data(), digits->data() + digits->size(), v, base);
  if (ec != std::errc{} || ptr != digits->data() + digits->size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  auto u = parse_uint(s);
  if (!u) return std::nullopt;
  const uint64_t lim = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (*u > lim) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - *u) : static_cast<int64_t>(*u);
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  auto text = strip_separators(s);
  if (!text || text->empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || ptr != text->data() + text->size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  s = trim(s);
  for (auto t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
    if (s == t) return true;
  for (auto f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
    if (s == f) return false;
  return std::nullopt;
}

std::optional<uint64_t> parse_bytes(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, double>, 11> kUnits{{
      {"B", 1.0},
      {"KiB", 1024.0},
      {"MiB", 1048576.0},
      {"GiB", 1073741824.0},
      {"TiB", 1099511627776.0},
      {"PiB", 1125899906842624.0},
      {"KB", 1e3},
      {"kB", 1e3},
      {"MB", 1e6},
      {"GB", 1e9},
      {"TB", 1e12},
  }};
  auto [num, unit] = split_number(s);
  if (num.empty()) return std::nullopt;
  if (unit.empty()) return parse_uint(trim(s));
  auto scale = lookup_unit(unit, kUnits);
  if (!scale) return std::nullopt;
  return scaled_integer(num, *scale);
}

std::optional<Latency> parse_latency(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, double>, 5> kUnits{{
      {"ps", 1.0},
      {"ns", 1e3},
      {"us", 1e6},
      {"ms", 1e9},
      {"s", 1e12},
  }};
  auto [num, unit] = split_number(s);
  if (num.empty()) return std::nullopt;
  if (unit == "cycles" || unit == "cycle") {
    auto n = parse_uint(num);
    if (!n) return std::nullopt;
    return Latency::in_cycles(*n);
  }
  if (unit.empty()) {
    // Only zero needs no unit; any other bare number is ambiguous.
    auto z = parse_uint(num);
    if (z && *z == 0) return Latency::ps(0);
    return std::nullopt;
  }
  auto scale = lookup_unit(unit, kUnits);
  if (!scale) return std::nullopt;
  auto ps = scaled_integer(num, *scale);
  if (!ps) return std::nullopt;
  return Latency::ps(*ps);
}

std::optional<Tick> parse_time(std::string_view s) {
  auto l = parse_latency(s);
  if (!l || l->cycles) return std::nullopt;
  return l->value;
}

std::optional<double> parse_bandwidth(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, double>, 14> kUnits{{
      {"B/s", 1.0},
      {"KB/s", 1e3},
      {"MB/s", 1e6},
      {"GB/s", 1e9},
      {"TB/s", 1e12},
      {"KiB/s", 1024.0},
      {"MiB/s", 1048576.0},
      {"GiB/s", 1073741824.0},
      {"TiB/s", 1099511627776.0},
      {"b/s", 1.0 / 8},
      {"Kb/s", 1e3 / 8},
      {"Mb/s", 1e6 / 8},
      {"Gb/s", 1e9 / 8},
      {"Tb/s", 1e12 / 8},
  }};
  auto [num, unit] = split_number(s);
  auto v = parse_double(num);
  auto scale = lookup_unit(unit, kUnits);
  if (!v || !scale || *v <= 0) return std::nullopt;
  return *v * *scale;
}

std::optional<double> parse_frequency_mhz(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, double>, 5> kUnits{{
      {"Hz", 1e-6},
      {"KHz", 1e-3},
      {"kHz", 1e-3},
      {"MHz", 1.0},
      {"GHz", 1e3},
  }};
  auto [num, unit] = split_number(s);
  auto v = parse_double(num);
  auto scale = lookup_unit(unit, kUnits);
  if (!v || !scale || *v <= 0) return std::nullopt;
  return *v * *scale;
}

std::optional<double> parse_rate_gts(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, double>, 2> kUnits{{
      {"GT/s", 1.0},
      {"MT/s", 1e-3},
  }};
  auto [num, unit] = split_number(s);
  auto v = parse_double(num);
  auto scale = lookup_unit(unit, kUnits);
  if (!v || !scale || *v <= 0) return std::nullopt;
  return *v * *scale;
}

std::string format_bytes(uint64_t b) {
  static constexpr std::array<std::pair<const char*, unsigned>, 5> kUnits{{
      {"PiB", 50},
      {"TiB", 40},
      {"GiB", 30},
      {"MiB", 20},
      {"KiB", 10},
  }};
  for (const auto& [name, lg2] : kUnits) {
    const uint64_t unit = uint64_t{1} << lg2;
    if (b >= unit && b % unit == 0) return fmt::format("{}{}", b / unit, name);
  }
  return fmt::format("{}B", b);
}

std::string format_time(Tick ps) {
  static constexpr std::array<std::pair<const char*, uint64_t>, 4> kUnits{{
      {"s", 1'000'000'000'000ull},
      {"ms", 1'000'000'000ull},
      {"us", 1'000'000ull},
      {"ns", 1'000ull},
  }};
  for (const auto& [name, scale] : kUnits)
    if (ps >= scale && ps % scale == 0) return fmt::format("{}{}", ps / scale, name);
  if (ps >= 1000) return fmt::format("{}ns", static_cast<double>(ps) / 1000.0);
  return fmt::format("{}ps", ps);
}

std::string format_latency(const Latency& l) {
  return l.cycles ? fmt::format("{}cycles", l.value) : format_time(l.value);
}

std::string format_bandwidth(double bps) {
  if (bps >= 1e9) return fmt::format("{}GB/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{}MB/s", bps / 1e6);
  return fmt::format("{}B/s", bps);
}

std::string format_frequency_mhz(double mhz) {
  if (mhz >= 1000) return fmt::format("{}GHz", mhz / 1000);
  return fmt::format("{}MHz", mhz);
}

}  // namespace isim
