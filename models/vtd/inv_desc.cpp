#include "models/vtd/inv_desc.h"

#include "base/bits.h"

namespace isim::vtd {

namespace {

/// Reserved bits of QW0 / QW1 per descriptor type (6.5.2.x), excluding the type fields.
struct Rsvd {
  uint64_t qw0;
  uint64_t qw1;
};

constexpr Rsvd reserved_for(InvType t) {
  switch (t) {
    case InvType::ContextCache:
      return {mask(63, 50) | mask(15, 12) | mask(8, 6), ~uint64_t{0}};
    case InvType::Iotlb:
      return {mask(63, 32) | mask(15, 12) | mask(8, 8), mask(11, 7)};
    case InvType::DeviceTlb:
      return {mask(51, 48) | mask(31, 21) | mask(8, 4), mask(11, 1)};
    case InvType::InterruptEntry:
      return {mask(63, 48) | mask(26, 12) | mask(8, 5), ~uint64_t{0}};
    case InvType::Wait:
      return {mask(31, 12) | mask(8, 8), mask(1, 0)};
    case InvType::PasidIotlb:
      return {mask(63, 52) | mask(15, 12) | mask(8, 6), mask(11, 7)};
    case InvType::PasidCache:
      return {mask(63, 52) | mask(15, 12) | mask(8, 6), ~uint64_t{0}};
    case InvType::PasidDeviceTlb:
      return {0, mask(10, 1)};
    case InvType::PageGroupResponse:
      return {mask(63, 52) | mask(8, 6), mask(63, 12) | mask(1, 0)};
  }
  return {~uint64_t{0}, ~uint64_t{0}};
}

/// Whether the unit has the feature a descriptor type belongs to.
bool type_supported(InvType t, const Capabilities& k) {
  switch (t) {
    case InvType::ContextCache:
    case InvType::Iotlb:
    case InvType::Wait:
      return true;
    case InvType::DeviceTlb:
      return k.dt;
    case InvType::InterruptEntry:
      return true;  // accepted and ignored: the unit has no interrupt remapping (ECAP.IR = 0)
    case InvType::PasidIotlb:
    case InvType::PasidCache:
      return k.smts;
    case InvType::PasidDeviceTlb:
      return k.smts && k.dt;
    case InvType::PageGroupResponse:
      return k.prs;
  }
  return false;
}

}  // namespace

InvDecode decode_inv_descriptor(std::span<const uint64_t> qw, const Capabilities& caps) {
  InvDecode r;
  InvDescriptor& d = r.d;
  for (size_t i = 0; i < qw.size() && i < 4; ++i) d.qw[i] = qw[i];
  const uint64_t q0 = d.qw[0], q1 = d.qw[1];
  const unsigned type = static_cast<unsigned>(bits(q0, 3, 0) | (bits(q0, 11, 9) << 4));
  if (type < 1 || type > 9 || !type_supported(static_cast<InvType>(type), caps)) {
    r.error = Iqei::InvalidType;
    return r;
  }
  d.type = static_cast<InvType>(type);
  const Rsvd rs = reserved_for(d.type);
  bool rsvd = (q0 & rs.qw0) || (q1 & rs.qw1);

  d.gran = static_cast<unsigned>(bits(q0, 5, 4));
  switch (d.type) {
    case InvType::ContextCache:
      d.did = static_cast<uint16_t>(bits(q0, 31, 16));
      d.sid = static_cast<uint16_t>(bits(q0, 47, 32));
      d.fm = static_cast<unsigned>(bits(q0, 49, 48));
      rsvd = rsvd || d.gran == 0;  // G=00b is reserved
      break;
    case InvType::Iotlb:
      d.dw = bit(q0, 6);
      d.dr = bit(q0, 7);
      d.did = static_cast<uint16_t>(bits(q0, 31, 16));
      d.am = static_cast<unsigned>(bits(q1, 5, 0));
      d.ih = bit(q1, 6);
      d.addr = q1 & mask(63, 12);
      rsvd = rsvd || d.gran == 0;
      break;
    case InvType::DeviceTlb:
      d.pfsid = static_cast<uint16_t>(bits(q0, 15, 12) | (bits(q0, 63, 52) << 4));
      d.mip = static_cast<unsigned>(bits(q0, 20, 16));
      d.sid = static_cast<uint16_t>(bits(q0, 47, 32));
      d.size = bit(q1, 0);
      d.addr = q1 & mask(63, 12);
      d.gran = 0;
      break;
    case InvType::InterruptEntry:
      d.iec_index = bit(q0, 4);
      d.im = static_cast<unsigned>(bits(q0, 31, 27));
      d.iidx = static_cast<uint16_t>(bits(q0, 47, 32));
      d.gran = 0;
      break;
    case InvType::Wait:
      d.if_ = bit(q0, 4);
      d.sw = bit(q0, 5);
      d.fn = bit(q0, 6);
      d.pd = bit(q0, 7);
      d.stdata = static_cast<uint32_t>(bits(q0, 63, 32));
      d.addr = q1 & mask(63, 2);
      d.gran = 0;
      // PD (page-request drain) needs ECAP.PDS.
      rsvd = rsvd || (d.pd && !caps.pds);
      break;
    case InvType::PasidIotlb:
      d.did = static_cast<uint16_t>(bits(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      d.am = static_cast<unsigned>(bits(q1, 5, 0));
      d.ih = bit(q1, 6);
      d.addr = q1 & mask(63, 12);
      rsvd = rsvd || d.gran < static_cast<unsigned>(PiotlbGran::Pasid);
      break;
    case InvType::PasidCache:
      d.did = static_cast<uint16_t>(bits(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      rsvd = rsvd || d.gran == 2;
      break;
    case InvType::PasidDeviceTlb:
      d.mip = static_cast<unsigned>(bits(q0, 8, 4));
      d.pfsid = static_cast<uint16_t>(bits(q0, 15, 12) | (bits(q0, 63, 52) << 4));
      d.sid = static_cast<uint16_t>(bits(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      d.global = bit(q1, 0);
      d.size = bit(q1, 11);
      d.addr = q1 & mask(63, 12);
      d.gran = 0;
      break;
    case InvType::PageGroupResponse:
      d.pp = bit(q0, 4);
      d.pdp = bit(q0, 5);
      d.resp_code = static_cast<unsigned>(bits(q0, 15, 12));
      d.sid = static_cast<uint16_t>(bits(q0, 31, 16));
      d.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      d.lpig = bit(q1, 2);
      d.prgi = static_cast<unsigned>(bits(q1, 11, 3));
      d.gran = 0;
      break;
  }
  // 256-bit descriptors: the upper half is reserved except for page-group-response private
  // data.
  const bool private_data = d.type == InvType::PageGroupResponse && d.pdp;
  if (!private_data && (d.qw[2] || d.qw[3])) rsvd = true;
  if (rsvd) r.error = Iqei::Reserved;
  return r;
}

AtsRange ats_inv_range(uint64_t addr, bool s) {
  const uint64_t page = addr & mask(63, 12);
  if (!s) return {page, 12};
  // The lowest clear bit at or above bit 12 sets the size.
  const uint64_t ones = ~page & mask(63, 12);
  if (ones == 0) return {0, 64};
  const unsigned n = static_cast<unsigned>(__builtin_ctzll(ones));
  const unsigned lg2 = n + 1;
  return {lg2 >= 64 ? 0 : page & ~(lg2_size(lg2) - 1), lg2};
}

}  // namespace isim::vtd
