#include "models/smmuv3/cd.h"

namespace isim::smmuv3 {

namespace {
template <class T>
T u(const CdWords& w, WordField f) {
  return static_cast<T>(get(w, f));
}

// CDTxSZInvalid with IDR5.VAX = 00 (48-bit VAs): [16, 39], or 48/47 with IDR3.STT.
bool txsz_invalid(unsigned tsz, unsigned granule_lg2, const IdParams& caps) {
  const unsigned max = !caps.stt ? 39 : (granule_lg2 == 16 ? 47 : 48);
  return tsz < 16 || tsz > max;
}
}  // namespace

Cd decode_cd(const CdWords& w) {
  Cd c;
  c.t0sz = u<uint8_t>(w, cd::T0SZ);
  c.tg0 = u<uint8_t>(w, cd::TG0);
  c.ir0 = u<uint8_t>(w, cd::IR0);
  c.or0 = u<uint8_t>(w, cd::OR0);
  c.sh0 = u<uint8_t>(w, cd::SH0);
  c.epd0 = get_bit(w, cd::EPD0);
  c.endi = get_bit(w, cd::ENDI);
  c.t1sz = u<uint8_t>(w, cd::T1SZ);
  c.tg1 = u<uint8_t>(w, cd::TG1);
  c.ir1 = u<uint8_t>(w, cd::IR1);
  c.or1 = u<uint8_t>(w, cd::OR1);
  c.sh1 = u<uint8_t>(w, cd::SH1);
  c.epd1 = get_bit(w, cd::EPD1);
  c.v = get_bit(w, cd::V);
  c.ips = u<uint8_t>(w, cd::IPS);
  c.affd = get_bit(w, cd::AFFD);
  c.wxn = get_bit(w, cd::WXN);
  c.uwxn = get_bit(w, cd::UWXN);
  c.tbi0 = get_bit(w, cd::TBI0);
  c.tbi1 = get_bit(w, cd::TBI1);
  c.pan = get_bit(w, cd::PAN);
  c.aa64 = get_bit(w, cd::AA64);
  c.hd = get_bit(w, cd::HD);
  c.ha = get_bit(w, cd::HA);
  c.s = get_bit(w, cd::S);
  c.r = get_bit(w, cd::R);
  c.a = get_bit(w, cd::A);
  c.aset = get_bit(w, cd::ASET);
  c.asid = u<uint16_t>(w, cd::ASID);
  c.nscfg0 = get_bit(w, cd::NSCFG0);
  c.had0 = get_bit(w, cd::HAD0);
  c.ttb0 = get_addr(w, cd::TTB0);
  c.nscfg1 = get_bit(w, cd::NSCFG1);
  c.had1 = get_bit(w, cd::HAD1);
  c.ttb1 = get_addr(w, cd::TTB1);
  c.mair = get(w, cd::MAIR);
  c.amair = get(w, cd::AMAIR);
  return c;
}

CdWords encode_cd(const Cd& c) {
  CdWords w{};
  put(w, cd::T0SZ, c.t0sz);
  put(w, cd::TG0, c.tg0);
  put(w, cd::IR0, c.ir0);
  put(w, cd::OR0, c.or0);
  put(w, cd::SH0, c.sh0);
  put(w, cd::EPD0, c.epd0);
  put(w, cd::ENDI, c.endi);
  put(w, cd::T1SZ, c.t1sz);
  put(w, cd::TG1, c.tg1);
  put(w, cd::IR1, c.ir1);
  put(w, cd::OR1, c.or1);
  put(w, cd::SH1, c.sh1);
  put(w, cd::EPD1, c.epd1);
  put(w, cd::V, c.v);
  put(w, cd::IPS, c.ips);
  put(w, cd::AFFD, c.affd);
  put(w, cd::WXN, c.wxn);
  put(w, cd::UWXN, c.uwxn);
  put(w, cd::TBI0, c.tbi0);
  put(w, cd::TBI1, c.tbi1);
  put(w, cd::PAN, c.pan);
  put(w, cd::AA64, c.aa64);
  put(w, cd::HD, c.hd);
  put(w, cd::HA, c.ha);
  put(w, cd::S, c.s);
  put(w, cd::R, c.r);
  put(w, cd::A, c.a);
  put(w, cd::ASET, c.aset);
  put(w, cd::ASID, c.asid);
  put(w, cd::NSCFG0, c.nscfg0);
  put(w, cd::HAD0, c.had0);
  put_addr(w, cd::TTB0, c.ttb0);
  put(w, cd::NSCFG1, c.nscfg1);
  put(w, cd::HAD1, c.had1);
  put_addr(w, cd::TTB1, c.ttb1);
  put(w, cd::MAIR, c.mair);
  put(w, cd::AMAIR, c.amair);
  return w;
}

const char* to_string(CdError e) {
  switch (e) {
    case CdError::kNone:
      return "none";
    case CdError::kNotValid:
      return "V == 0";
    case CdError::kStallD:
      return "CD.S with STE.S1STALLD";
    case CdError::kTermModel:
      return "CD.A == 0 with TERM_MODEL";
    case CdError::kStall:
      return "CD.S inconsistent with STALL_MODEL";
    case CdError::kEndian:
      return "big-endian tables not supported";
    case CdError::kAArch32:
      return "VMSAv8-32 tables not supported";
    case CdError::kHttu:
      return "HA/HD not supported";
    case CdError::kAsid:
      return "16-bit ASID without ASID16";
    case CdError::kTxSz:
      return "TxSZ out of range";
    case CdError::kGranule:
      return "TGx not supported";
    case CdError::kTtb:
      return "TTBx out of range";
  }
  return "?";
}

unsigned cd_ips_bits(const Cd& c, const IdParams& caps) {
  const unsigned ips = oas_decode(c.ips).value_or(caps.oas_bits);
  return ips < caps.oas_bits ? ips : caps.oas_bits;
}

CdError check_cd(const Cd& c, const Ste& s, const IdParams& caps) {
  // IHI 0070 5.4.2 CdIllegal for a Non-secure EL1 StreamWorld, SMMUv3.1+ (out-of-range TxSZ
  // always ILLEGAL).
  if (!c.v) return CdError::kNotValid;
  if (s.s1stalld && c.s) return CdError::kStallD;
  if (caps.term_model && !c.a) return CdError::kTermModel;
  if (caps.stall_model == 1 && c.s) return CdError::kStall;
  if (caps.stall_model == 2 && !c.s) return CdError::kStall;
  if ((!c.epd0 || !c.epd1) && c.endi) return CdError::kEndian;  // IDR0.TTENDIAN = LE only
  if (!c.aa64) return CdError::kAArch32;
  if (((c.ha || c.hd) && caps.httu == 0) || (c.hd && caps.httu == 1)) return CdError::kHttu;
  if (!caps.asid16 && (c.asid >> 8) != 0) return CdError::kAsid;
  const unsigned ips = cd_ips_bits(c, caps);
  for (unsigned r = 0; r < 2; ++r) {
    const bool disabled = r == 0 ? c.epd0 : c.epd1;
    if (disabled) continue;  // 5.4.1: EPDx = 1 makes TxSZ/TGx/TTBx IGNORED
    const unsigned g = r == 0 ? tg0_granule_lg2(c.tg0) : tg1_granule_lg2(c.tg1);
    if (txsz_invalid(r == 0 ? c.t0sz : c.t1sz, g == 0 ? 12 : g, caps)) return CdError::kTxSz;
    if (g == 0 || !caps.granule_ok(g)) return CdError::kGranule;
    if ((r == 0 ? c.ttb0 : c.ttb1) >> ips) return CdError::kTtb;
  }
  return CdError::kNone;
}

std::optional<pt::ArmLpaeFormat> cd_s1_format(const Cd& c, unsigned ttb, const IdParams& caps,
                                              std::string* why) {
  pt::ArmLpaeConfig f;
  f.stage = pt::ArmStage::kStage1;
  f.granule_lg2 = ttb == 0 ? tg0_granule_lg2(c.tg0) : tg1_granule_lg2(c.tg1);
  f.tsz = ttb == 0 ? c.t0sz : c.t1sz;
  f.oas_bits = cd_ips_bits(c, caps);
  f.pa_max_bits = caps.oas_bits;
  f.ttst = caps.stt;
  // TTB1 walks are made with the VA's low bits (the translator checks the upper bits), so the
  // format's top-byte check is only meaningful for TTB0.
  f.tbi = ttb == 0 ? c.tbi0 : false;
  f.hpd = caps.had && (ttb == 0 ? c.had0 : c.had1);
  f.affd = c.affd;
  f.hw_af = c.ha && caps.httu >= 1;
  f.wxn = c.wxn;
  f.pan = c.pan;
  return pt::ArmLpaeFormat::create(f, why);
}

}  // namespace isim::smmuv3
