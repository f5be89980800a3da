// How each kind of parameter value is parsed from config text, printed back, and described.
//
// A params struct field's C++ type picks its codec: integers, bool, double, strings, enums
// (through EnumNames), Latency, and the unit-carrying wrappers below. Integer fields may carry a
// Unit (count, bytes, address) that changes which spellings are accepted.
#pragma once

#include <fmt/format.h>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/units.h"

namespace isim::cfg {

/// What an integer field counts; changes accepted spellings and how `list` prints it.
enum class Unit { count, bytes, address, hex };

/// Bandwidth in bytes per second (`19.2GB/s`, `8Gb/s`).
struct Bandwidth {
  double bytes_per_s = 0;
  bool operator==(const Bandwidth&) const = default;
};
/// Clock frequency (`2GHz`, `800MHz`).
struct Frequency {
  double mhz = 0;
  bool operator==(const Frequency&) const = default;
};
/// Absolute simulated time (`200us`); unlike Latency, cycles are not allowed.
struct TimeValue {
  Tick ps = 0;
  bool operator==(const TimeValue&) const = default;
};

/// Specialise for each enum used as a parameter: a table of (value, spelling) pairs.
template <class E>
struct EnumNames;  // static constexpr std::pair<E, std::string_view> table[] = {...};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires {
  EnumNames<E>::table;
};

template <NamedEnum E>
std::optional<E> enum_from_string(std::string_view s) {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (name == s) return v;
  return std::nullopt;
}
template <NamedEnum E>
std::string_view enum_to_string(E e) {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (v == e) return name;
  return "?";
}
template <NamedEnum E>
std::string enum_choices() {
  std::string s;
  for (const auto& [v, name] : EnumNames<E>::table) {
    if (!s.empty()) s += " | ";
    s += name;
  }
  return s;
}

/// Parse/format/describe for one value type.
template <class T>
struct Codec;

template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct Codec<T> {
  static std::optional<T> parse(std::string_view s, Unit u) {
    if constexpr (std::is_signed_v<T>) {
      auto v = parse_int(s);
      if (!v || *v < std::numeric_limits<T>::min() || *v > std::numeric_limits<T>::max())
        return std::nullopt;
      return static_cast<T>(*v);
    } else {
      auto v = u == Unit::bytes ? parse_bytes(s) : parse_uint(s);
      if (!v || *v > std::numeric_limits<T>::max()) return std::nullopt;
      return static_cast<T>(*v);
    }
  }
  static std::string format(T v, Unit u) {
    if (u == Unit::bytes) return format_bytes(static_cast<uint64_t>(v));
    if (u == Unit::address || u == Unit::hex) return fmt_hex(static_cast<uint64_t>(v));
    return std::to_string(v);
  }
  static nlohmann::json to_json(T v, Unit u) {
    if (u == Unit::count) return v;
    return format(v, u);
  }
  static std::string expected(Unit u) {
    switch (u) {
      case Unit::bytes:
        return "a size (e.g. 4096, 4KiB, 2MiB, 64GiB)";
      case Unit::address:
        return "an address (e.g. 0xfed90000)";
      case Unit::hex:
        return "a number, written in hex (e.g. 0x107)";
      default:
        return std::is_signed_v<T> ? "an integer" : "a non-negative integer";
    }
  }
  static std::string fmt_hex(uint64_t v);
};

template <class T>
requires(std::is_integral_v<T> &&
         !std::is_same_v<T, bool>) std::string Codec<T>::fmt_hex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

template <>
struct Codec<bool> {
  static std::optional<bool> parse(std::string_view s, Unit) { return parse_bool(s); }
  static std::string format(bool v, Unit) { return v ? "true" : "false"; }
  static nlohmann::json to_json(bool v, Unit) { return v; }
  static std::string expected(Unit) { return "true or false"; }
};

template <>
struct Codec<double> {
  static std::optional<double> parse(std::string_view s, Unit) { return parse_double(s); }
  static std::string format(double v, Unit) { return fmt::format("{}", v); }
  static nlohmann::json to_json(double v, Unit) { return v; }
  static std::string expected(Unit) { return "a number"; }
};

template <>
struct Codec<std::string> {
  static std::optional<std::string> parse(std::string_view s, Unit) { return std::string(s); }
  static std::string format(const std::string& v, Unit) { return v.empty() ? "\"\"" : v; }
  static nlohmann::json to_json(const std::string& v, Unit) { return v; }
  static std::string expected(Unit) { return "a string"; }
};

template <>
struct Codec<Latency> {
  static std::optional<Latency> parse(std::string_view s, Unit) { return parse_latency(s); }
  static std::string format(const Latency& v, Unit) { return format_latency(v); }
  static nlohmann::json to_json(const Latency& v, Unit) { return format_latency(v); }
  static std::string expected(Unit) { return "a duration (e.g. 90ns, 1.5us) or cycles (20cycles)"; }
};

template <>
struct Codec<TimeValue> {
  static std::optional<TimeValue> parse(std::string_view s, Unit) {
    auto t = parse_time(s);
    if (!t) return std::nullopt;
    return TimeValue{*t};
  }
  static std::string format(const TimeValue& v, Unit) { return format_time(v.ps); }
  static nlohmann::json to_json(const TimeValue& v, Unit) { return format_time(v.ps); }
  static std::string expected(Unit) { return "a time (e.g. 200us, 1ms)"; }
};

template <>
struct Codec<Bandwidth> {
  static std::optional<Bandwidth> parse(std::string_view s, Unit) {
    auto b = parse_bandwidth(s);
    if (!b) return std::nullopt;
    return Bandwidth{*b};
  }
  static std::string format(const Bandwidth& v, Unit) { return format_bandwidth(v.bytes_per_s); }
  static nlohmann::json to_json(const Bandwidth& v, Unit) { return format(v, Unit::count); }
  static std::string expected(Unit) { return "a bandwidth (e.g. 19.2GB/s, 8Gb/s)"; }
};

template <>
struct Codec<Frequency> {
  static std::optional<Frequency> parse(std::string_view s, Unit) {
    auto f = parse_frequency_mhz(s);
    if (!f) return std::nullopt;
    return Frequency{*f};
  }
  static std::string format(const Frequency& v, Unit) { return format_frequency_mhz(v.mhz); }
  static nlohmann::json to_json(const Frequency& v, Unit) { return format(v, Unit::count); }
  static std::string expected(Unit) { return "a frequency (e.g. 1GHz, 800MHz)"; }
};

template <NamedEnum E>
struct Codec<E> {
  static std::optional<E> parse(std::string_view s, Unit) { return enum_from_string<E>(s); }
  static std::string format(E v, Unit) { return std::string(enum_to_string(v)); }
  static nlohmann::json to_json(E v, Unit) { return format(v, Unit::count); }
  static std::string expected(Unit) { return "one of: " + enum_choices<E>(); }
};

/// Inclusive bounds checked after parsing (for Latency/TimeValue: in picoseconds or cycles).
template <class T>
struct Range {
  T min;
  T max;
};

}  // namespace isim::cfg
