#include "trace/binary_format.h"

#include <fmt/format.h>

#include <cstring>

#include "trace/trace_error.h"

namespace isim::trace {
namespace {

// Record tag: kind in bits [2:0], then which optional fields follow. 0xff ends the trace.
constexpr uint8_t kKindMask = 0x7;
constexpr uint8_t kHasPasid = 1 << 3;
constexpr uint8_t kHasOut = 1 << 4;
constexpr uint8_t kHasDomain = 1 << 5;
constexpr uint8_t kEndTag = 0xff;
// Second byte: access in bits [1:0], ATS type in bits [3:2].
constexpr unsigned kAtShift = 2;

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

BinaryEncoder::BinaryEncoder(std::ostream& os) : os_(os) {
  os_.write(kBinaryMagic, sizeof kBinaryMagic);
  os_.put(static_cast<char>(kBinaryVersion));
}

void BinaryEncoder::varint(uint64_t v) {
  while (v >= 0x80) {
    os_.put(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  os_.put(static_cast<char>(v));
}

void BinaryEncoder::svarint(int64_t v) {
  varint(zigzag(v));
}

void BinaryEncoder::write(const Event& e) {
  uint8_t tag = static_cast<uint8_t>(e.kind);
  if (e.pasid) tag |= kHasPasid;
  if (e.out) tag |= kHasOut;
  if (e.domain) tag |= kHasDomain;
  os_.put(static_cast<char>(tag));
  os_.put(
      static_cast<char>(static_cast<uint8_t>(e.access) | static_cast<uint8_t>(e.at) << kAtShift));
  // Traces from several devices need not be time-ordered: signed deltas.
  svarint(static_cast<int64_t>(e.time_ps - prev_time_));
  varint(e.rid);
  if (e.pasid) varint(*e.pasid);
  svarint(static_cast<int64_t>(e.addr - prev_addr_));
  varint(e.size);
  if (e.out) svarint(static_cast<int64_t>(*e.out - e.addr));
  if (e.domain) varint(*e.domain);
  prev_time_ = e.time_ps;
  prev_addr_ = e.addr;
  ++count_;
}

void BinaryEncoder::finish() {
  os_.put(static_cast<char>(kEndTag));
  varint(count_);
  os_.flush();
}

BinaryDecoder::BinaryDecoder(std::istream& is, std::string name) : is_(is), name_(std::move(name)) {
  char magic[sizeof kBinaryMagic];
  is_.read(magic, sizeof magic);
  if (is_.gcount() != sizeof magic || std::memcmp(magic, kBinaryMagic, sizeof magic) != 0)
    throw TraceError(fmt::format("{}: not a binary iommu-sim trace (bad magic)", name_));
  offset_ = sizeof magic;
  const uint8_t v = byte();
  if (v != kBinaryVersion)
    fail(fmt::format("binary trace version {} is not supported (this program reads v{})", v,
                     kBinaryVersion));
}

void BinaryDecoder::fail(const std::string& what) const {
  throw TraceError(fmt::format("{}: byte {}: {}", name_, offset_, what));
}

uint8_t BinaryDecoder::byte() {
  const int c = is_.get();
  if (c == std::char_traits<char>::eof())
    fail(
        fmt::format("truncated binary trace: it ends inside a record or before its end record "
                    "({} events read)",
                    count_));
  ++offset_;
  return static_cast<uint8_t>(c);
}

uint64_t BinaryDecoder::varint() {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (shift > 63) fail("corrupt binary trace: varint longer than 64 bits");
    const uint8_t b = byte();
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return v;
  }
}

int64_t BinaryDecoder::svarint() {
  return unzigzag(varint());
}

bool BinaryDecoder::next(Event& e) {
  if (done_) return false;
  const uint8_t tag = byte();
  if (tag == kEndTag) {
    const uint64_t n = varint();
    if (n != count_)
      fail(fmt::format("corrupt binary trace: end record says {} events, read {}", n, count_));
    if (is_.peek() != std::char_traits<char>::eof()) fail("trailing bytes after the end record");
    done_ = true;
    return false;
  }
  const uint8_t kind = tag & kKindMask;
  if (kind >= kKinds || (tag & 0xc0)) fail(fmt::format("corrupt binary trace: bad tag {:#x}", tag));
  const uint8_t flags = byte();
  const uint8_t access = flags & 3;
  const uint8_t at = flags >> kAtShift;
  if (at > static_cast<uint8_t>(At::translated))
    fail(fmt::format("corrupt binary trace: bad flags {:#x}", flags));
  e = Event{};
  e.kind = static_cast<Kind>(kind);
  e.access = static_cast<Access>(access);
  e.at = static_cast<At>(at);
  e.time_ps = prev_time_ + static_cast<uint64_t>(svarint());
  const uint64_t rid = varint();
  if (rid > 0xffff) fail("corrupt binary trace: requester ID beyond 16 bits");
  e.rid = static_cast<uint16_t>(rid);
  if (tag & kHasPasid) {
    const uint64_t p = varint();
    if (p >= (uint64_t{1} << 20)) fail("corrupt binary trace: PASID beyond 20 bits");
    e.pasid = static_cast<uint32_t>(p);
  }
  e.addr = prev_addr_ + static_cast<uint64_t>(svarint());
  e.size = varint();
  if (tag & kHasOut) e.out = e.addr + static_cast<uint64_t>(svarint());
  if (tag & kHasDomain) {
    const uint64_t d = varint();
    if (d > UINT32_MAX) fail("corrupt binary trace: domain beyond 32 bits");
    e.domain = static_cast<uint32_t>(d);
  }
  prev_time_ = e.time_ps;
  prev_addr_ = e.addr;
  ++count_;
  return true;
}

}  // namespace isim::trace
