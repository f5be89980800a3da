#include "trace/trace_event.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace isim::trace {
namespace {

constexpr std::array<std::string_view, kKinds> kKindNames = {"dma",        "map",   "unmap",
                                                             "invalidate", "fault", "attach"};
constexpr std::array<std::string_view, 4> kAccessNames = {"-", "r", "w", "rw"};
constexpr std::array<std::string_view, 3> kAtNames = {"u", "tr", "t"};

template <class E, size_t N>
std::optional<E> find_name(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

std::optional<unsigned> parse_hex(std::string_view s, unsigned max) {
  unsigned v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::string_view kind_name(Kind k) {
  return kKindNames[static_cast<size_t>(k)];
}
std::optional<Kind> parse_kind(std::string_view s) {
  return find_name<Kind>(kKindNames, s);
}
std::string_view access_name(Access a) {
  return kAccessNames[static_cast<size_t>(a)];
}
std::optional<Access> parse_access(std::string_view s) {
  return find_name<Access>(kAccessNames, s);
}
std::string_view at_name(At a) {
  return kAtNames[static_cast<size_t>(a)];
}
std::optional<At> parse_at(std::string_view s) {
  return find_name<At>(kAtNames, s);
}

std::string format_rid(uint16_t rid) {
  return fmt::format("{:02x}:{:02x}.{:x}", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

std::optional<uint16_t> parse_rid(std::string_view s) {
  // PCIe: bus[15:8] device[7:3] function[2:0].
  const auto colon = s.find(':');
  const auto dot = s.find('.');
  if (colon != std::string_view::npos && dot != std::string_view::npos && dot > colon) {
    const auto bus = parse_hex(s.substr(0, colon), 0xff);
    const auto dev = parse_hex(s.substr(colon + 1, dot - colon - 1), 0x1f);
    const auto fn = parse_hex(s.substr(dot + 1), 7);
    if (!bus || !dev || !fn) return std::nullopt;
    return static_cast<uint16_t>(*bus << 8 | *dev << 3 | *fn);
  }
  unsigned v = 0;
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace isim::trace
