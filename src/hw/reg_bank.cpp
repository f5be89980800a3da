#include "hw/reg_bank.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "base/bits.h"

namespace isim {

namespace {

constexpr uint32_t kMaxWindowBytes = uint32_t{16} << 20;
constexpr unsigned kWordBytes = 4;  // decode granule: the smallest legal access

[[noreturn]] void bad_spec(std::string_view name, const std::string& why) {
  throw std::invalid_argument(fmt::format("register '{}': {}", name, why));
}

}  // namespace

std::string_view to_string(RegAccessStatus s) {
  switch (s) {
    case RegAccessStatus::ok:
      return "ok";
    case RegAccessStatus::unmapped:
      return "unmapped";
    case RegAccessStatus::misaligned:
      return "misaligned";
    case RegAccessStatus::bad_size:
      return "bad_size";
  }
  return "?";
}

RegBank::RegBank(uint32_t window_bytes) : window_bytes_(window_bytes) {
  if (window_bytes == 0 || window_bytes % kWordBytes || window_bytes > kMaxWindowBytes)
    throw std::invalid_argument(
        fmt::format("register bank: window of {} bytes is not a multiple of 4 in (0, {}]",
                    window_bytes, kMaxWindowBytes));
  decode_.assign(window_bytes / kWordBytes, kNoReg);
}

RegBank::RegId RegBank::add(const RegSpec& s) {
  if (s.name.empty()) bad_spec("", fmt::format("at offset {:#x} has no name", s.offset));
  if (find(s.name)) bad_spec(s.name, "name already used");
  if (s.width != 4 && s.width != 8)
    bad_spec(s.name, fmt::format("width {} is not 4 or 8", s.width));
  if (s.offset % s.width)
    bad_spec(s.name, fmt::format("offset {:#x} is not a multiple of its width", s.offset));
  if (uint64_t{s.offset} + s.width > window_bytes_)
    bad_spec(s.name, fmt::format("offset {:#x} lies outside the {:#x}-byte window", s.offset,
                                 window_bytes_));
  const size_t first = s.offset / kWordBytes;
  const size_t words = s.width / kWordBytes;
  for (size_t w = first; w < first + words; ++w)
    if (decode_[w] != kNoReg)
      bad_spec(s.name, fmt::format("overlaps register '{}'", info_[decode_[w]].name));
  if (info_.size() >= kNoReg) bad_spec(s.name, "too many registers in one bank");

  const uint64_t width_mask = s.width == 8 ? ~uint64_t{0} : 0xffff'ffffull;
  const uint64_t masks[] = {s.rw, s.ro, s.w1c, s.wo};
  uint64_t seen = 0;
  for (uint64_t m : masks) {
    if (m & seen) bad_spec(s.name, fmt::format("access masks overlap in bits {:#x}", m & seen));
    seen |= m;
  }
  if (seen & ~width_mask) bad_spec(s.name, "access masks wider than the register");
  if (s.reset & ~width_mask) bad_spec(s.name, "reset value wider than the register");

  RegInfo r{std::string(s.name), s.offset, s.width, s.reset, s.rw, s.ro, s.w1c, s.wo, {}};
  for (const RegField& f : s.fields) {
    if (f.hi < f.lo || f.hi >= s.width * 8u)
      bad_spec(s.name, fmt::format("field '{}' {}:{} does not fit", f.name, f.hi, f.lo));
    r.fields.push_back({std::string(f.name), f.hi, f.lo});
  }

  const auto id = static_cast<RegId>(info_.size());
  for (size_t w = first; w < first + words; ++w) decode_[w] = static_cast<uint16_t>(id);
  info_.push_back(std::move(r));
  value_.push_back(s.reset);
  post_write_.emplace_back();
  pre_read_.emplace_back();
  return id;
}

RegBank::RegId RegBank::add_all(std::span<const RegSpec> specs) {
  const auto first = static_cast<RegId>(info_.size());
  for (const RegSpec& s : specs) add(s);
  return first;
}

void RegBank::on_write(RegId id, PostWrite hook) {
  post_write_.at(id) = std::move(hook);
}
void RegBank::on_read(RegId id, PreRead hook) {
  pre_read_.at(id) = std::move(hook);
}

RegBank::Decoded RegBank::decode(uint64_t offset, unsigned size) const {
  Decoded d{RegAccessStatus::ok, 0, 0, 0};
  if (size != 4 && size != 8) {
    d.status = RegAccessStatus::bad_size;
  } else if (offset % size) {
    d.status = RegAccessStatus::misaligned;
  } else if (offset >= window_bytes_ || decode_[offset / kWordBytes] == kNoReg) {
    d.status = RegAccessStatus::unmapped;
  } else {
    d.id = decode_[offset / kWordBytes];
    const RegInfo& r = info_[d.id];
    if (size > r.width) {
      d.status = RegAccessStatus::bad_size;
    } else {
      // Natural alignment makes the access either the whole register or one 32-bit half.
      d.shift = static_cast<unsigned>(offset - r.offset) * 8;
      d.lanes = size == 8 ? ~uint64_t{0} : (uint64_t{0xffff'ffff} << d.shift);
    }
  }
  return d;
}

void RegBank::count_error(RegAccessStatus s) {
  switch (s) {
    case RegAccessStatus::ok:
      break;
    case RegAccessStatus::unmapped:
      ++stats_.unmapped;
      break;
    case RegAccessStatus::misaligned:
      ++stats_.misaligned;
      break;
    case RegAccessStatus::bad_size:
      ++stats_.bad_size;
      break;
  }
}

RegBank::ReadResult RegBank::read(uint64_t offset, unsigned size) {
  const Decoded d = decode(offset, size);
  if (d.status != RegAccessStatus::ok) {
    count_error(d.status);
    return {0, d.status};
  }
  ++stats_.reads;
  if (pre_read_[d.id]) pre_read_[d.id]();
  return {(visible(d.id) & d.lanes) >> d.shift, RegAccessStatus::ok};
}

RegAccessStatus RegBank::write(uint64_t offset, unsigned size, uint64_t value) {
  const Decoded d = decode(offset, size);
  if (d.status != RegAccessStatus::ok) {
    count_error(d.status);
    return d.status;
  }
  ++stats_.writes;
  const RegInfo& r = info_[d.id];
  const uint64_t wo = r.wo;
  const uint64_t data = (value << d.shift) & d.lanes;
  const uint64_t old_value = value_[d.id];
  uint64_t v = old_value;
  v = (v & ~(r.rw & d.lanes)) | (data & r.rw);
  v &= ~(data & r.w1c);
  v = (v & ~wo) | (data & wo);  // wo bits are never stored between writes
  value_[d.id] = v;
  if (post_write_[d.id]) post_write_[d.id](RegWrite{old_value, v, data, d.lanes});
  value_[d.id] &= ~wo;
  return RegAccessStatus::ok;
}

void RegBank::reset() {
  for (size_t i = 0; i < info_.size(); ++i) value_[i] = info_[i].reset;
}

std::optional<RegBank::RegId> RegBank::find(std::string_view name) const {
  for (size_t i = 0; i < info_.size(); ++i)
    if (info_[i].name == name) return static_cast<RegId>(i);
  return std::nullopt;
}

std::optional<RegBank::RegId> RegBank::at(uint64_t offset) const {
  if (offset >= window_bytes_) return std::nullopt;
  const uint16_t id = decode_[offset / kWordBytes];
  if (id == kNoReg) return std::nullopt;
  return id;
}

std::string RegBank::format(RegId id) const {
  const RegInfo& r = info_.at(id);
  const uint64_t v = value_[id];
  std::string s = fmt::format("{} @{:#06x} = {:#0{}x}", r.name, r.offset, v, 2 + 2 * r.width);
  if (!r.fields.empty()) {
    s += " {";
    for (size_t i = 0; i < r.fields.size(); ++i) {
      const auto& f = r.fields[i];
      s += fmt::format("{}{}={:#x}", i ? " " : "", f.name, bits(v, f.hi, f.lo));
    }
    s += "}";
  }
  return s;
}

std::string RegBank::dump() const {
  std::vector<RegId> order(info_.size());
  std::iota(order.begin(), order.end(), RegId{0});
  std::sort(order.begin(), order.end(),
            [&](RegId a, RegId b) { return info_[a].offset < info_[b].offset; });
  std::string s;
  for (RegId id : order) {
    s += format(id);
    s += '\n';
  }
  return s;
}

}  // namespace isim
