#include "trace/text_format.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace isim::trace {
namespace {

std::vector<std::string_view> split_blank(std::string_view line) {
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t s = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > s) f.push_back(line.substr(s, i - s));
  }
  return f;
}

/// Decimal, or hexadecimal with 0x.
bool parse_u64(std::string_view s, uint64_t& v) {
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string text_header() {
  return fmt::format("{}{}", kTextMagic, kTextVersion);
}

std::string check_text_header(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (!line.starts_with(kTextMagic))
    return fmt::format("not an iommu-sim trace: the first line must be '{}'", text_header());
  uint64_t v = 0;
  if (!parse_u64(line.substr(kTextMagic.size()), v)) return "malformed trace header version";
  if (v != kTextVersion)
    return fmt::format("trace format version {} is not supported (this program reads v{})", v,
                       kTextVersion);
  return {};
}

std::string format_event(const Event& e) {
  std::string s = fmt::format("{} {} {} {} {:#x} {} {}", e.time_ps, kind_name(e.kind),
                              format_rid(e.rid), e.pasid ? fmt::format("{}", *e.pasid) : "-",
                              e.addr, e.size, access_name(e.access));
  if (e.at != At::untranslated) s += fmt::format(" at={}", at_name(e.at));
  if (e.out) s += fmt::format(" out={:#x}", *e.out);
  if (e.domain) s += fmt::format(" domain={}", *e.domain);
  return s;
}

LineResult parse_event_line(std::string_view line, Event& e, std::string& err) {
  const auto f = split_blank(line);
  if (f.empty() || f[0].starts_with('#')) return LineResult::blank;
  if (f.size() < 7) {
    err = fmt::format("expected at least 7 fields (TIME KIND RID PASID ADDR SIZE ACCESS), got {}",
                      f.size());
    return LineResult::error;
  }
  e = Event{};
  if (!parse_u64(f[0], e.time_ps)) {
    err = fmt::format("bad time '{}' (picoseconds)", f[0]);
    return LineResult::error;
  }
  const auto kind = parse_kind(f[1]);
  if (!kind) {
    err = fmt::format("unknown event kind '{}'", f[1]);
    return LineResult::error;
  }
  e.kind = *kind;
  const auto rid = parse_rid(f[2]);
  if (!rid) {
    err = fmt::format("bad requester ID '{}' (bb:dd.f or a number)", f[2]);
    return LineResult::error;
  }
  e.rid = *rid;
  if (f[3] != "-") {
    uint64_t p = 0;
    if (!parse_u64(f[3], p) || p >= (uint64_t{1} << 20)) {
      err = fmt::format("bad PASID '{}' (20 bits, or '-')", f[3]);
      return LineResult::error;
    }
    e.pasid = static_cast<uint32_t>(p);
  }
  if (!parse_u64(f[4], e.addr)) {
    err = fmt::format("bad address '{}'", f[4]);
    return LineResult::error;
  }
  if (!parse_u64(f[5], e.size)) {
    err = fmt::format("bad size '{}'", f[5]);
    return LineResult::error;
  }
  if (e.kind == Kind::dma && e.size == 0) {
    err = "a DMA needs a size of at least 1 byte";
    return LineResult::error;
  }
  const auto acc = parse_access(f[6]);
  if (!acc) {
    err = fmt::format("bad access '{}' (r, w, rw or -)", f[6]);
    return LineResult::error;
  }
  e.access = *acc;
  if (e.kind == Kind::dma && (e.access == Access::none || e.access == Access::read_write)) {
    err = "a DMA is either a read (r) or a write (w)";
    return LineResult::error;
  }
  for (size_t i = 7; i < f.size(); ++i) {
    if (f[i].starts_with('#')) break;
    const auto eq = f[i].find('=');
    const auto key = f[i].substr(0, eq);
    const auto val = eq == std::string_view::npos ? std::string_view{} : f[i].substr(eq + 1);
    uint64_t v = 0;
    if (key == "at" && parse_at(val)) {
      e.at = *parse_at(val);
    } else if (key == "out" && parse_u64(val, v)) {
      e.out = v;
    } else if (key == "domain" && parse_u64(val, v) && v <= UINT32_MAX) {
      e.domain = static_cast<uint32_t>(v);
    } else {
      err = fmt::format("bad optional field '{}' (at=u|tr|t, out=ADDR, domain=N)", f[i]);
      return LineResult::error;
    }
  }
  return LineResult::event;
}

}  // namespace isim::trace
