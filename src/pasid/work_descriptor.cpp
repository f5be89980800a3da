#include "pasid/work_descriptor.h"

#include <cstring>

namespace isim::pasid {

namespace {
constexpr uint32_t kPasidMask = (1u << 20) - 1;
constexpr uint32_t kFlagsMask = (1u << 24) - 1;
constexpr unsigned kPrivBit = 31;
constexpr unsigned kOpcodeShift = 24;

template <class T, size_t N>
T get(const std::array<uint8_t, N>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);  // little-endian host and device
  return v;
}
template <class T, size_t N>
void put(std::array<uint8_t, N>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}
}  // namespace

WorkDescriptor WorkDescriptor::decode(const DescriptorBytes& b) {
  WorkDescriptor d;
  const uint32_t w0 = get<uint32_t>(b, 0), w1 = get<uint32_t>(b, 4);
  d.pasid = w0 & kPasidMask;
  d.priv = (w0 >> kPrivBit) & 1;
  d.flags = w1 & kFlagsMask;
  d.opcode = static_cast<uint8_t>(w1 >> kOpcodeShift);
  d.completion_addr = get<uint64_t>(b, 8);
  d.src = get<uint64_t>(b, 16);
  d.dst = get<uint64_t>(b, 24);
  d.xfer_size = get<uint32_t>(b, 32);
  d.int_handle = get<uint16_t>(b, 36);
  return d;
}

DescriptorBytes WorkDescriptor::encode() const {
  DescriptorBytes b{};
  put<uint32_t>(b, 0, (pasid & kPasidMask) | (priv ? 1u << kPrivBit : 0u));
  put<uint32_t>(b, 4, (flags & kFlagsMask) | (uint32_t{opcode} << kOpcodeShift));
  put<uint64_t>(b, 8, completion_addr);
  put<uint64_t>(b, 16, src);
  put<uint64_t>(b, 24, dst);
  put<uint32_t>(b, 32, xfer_size);
  put<uint16_t>(b, 36, int_handle);
  return b;
}

CompletionRecord CompletionRecord::decode(const CompletionBytes& b) {
  CompletionRecord c;
  c.status = static_cast<CompletionStatus>(b[0]);
  c.result = b[1];
  c.bytes_completed = get<uint32_t>(b, 4);
  c.fault_addr = get<uint64_t>(b, 8);
  return c;
}

CompletionBytes CompletionRecord::encode() const {
  CompletionBytes b{};
  b[0] = static_cast<uint8_t>(status);
  b[1] = result;
  put<uint32_t>(b, 4, bytes_completed);
  put<uint64_t>(b, 8, fault_addr);
  return b;
}

std::optional<DescriptorBytes> enqcmd_form(const DescriptorBytes& src, const Ia32Pasid& msr) {
  if (!msr.valid || get<uint32_t>(src, 0) != 0) return std::nullopt;
  DescriptorBytes out = src;
  put<uint32_t>(out, 0, msr.pasid & kPasidMask);  // bits 31:20 cleared, Priv = 0
  return out;
}

DescriptorBytes st64bv0_form(const DescriptorBytes& src, uint64_t accdata_el1) {
  DescriptorBytes out = src;
  put<uint32_t>(out, 0, static_cast<uint32_t>(accdata_el1));
  return out;
}

}  // namespace isim::pasid
