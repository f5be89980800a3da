#include "models/smmuv3/ste.h"

namespace isim::smmuv3 {

namespace {
template <class T>
T u(const SteWords& w, WordField f) {
  return static_cast<T>(get(w, f));
}
}  // namespace

Ste decode_ste(const SteWords& w) {
  Ste s;
  s.v = get_bit(w, ste::V);
  s.config = u<uint8_t>(w, ste::CONFIG);
  s.s1fmt = u<uint8_t>(w, ste::S1FMT);
  s.s1_context_ptr = get_addr(w, ste::S1CTXPTR);
  s.s1cdmax = u<uint8_t>(w, ste::S1CDMAX);
  s.s1dss = u<uint8_t>(w, ste::S1DSS);
  s.s1cir = u<uint8_t>(w, ste::S1CIR);
  s.s1cor = u<uint8_t>(w, ste::S1COR);
  s.s1csh = u<uint8_t>(w, ste::S1CSH);
  s.dre = get_bit(w, ste::DRE);
  s.cont = u<uint8_t>(w, ste::CONT);
  s.dcp = get_bit(w, ste::DCP);
  s.ppar = get_bit(w, ste::PPAR);
  s.mev = get_bit(w, ste::MEV);
  s.s2fwb = get_bit(w, ste::S2FWB);
  s.s1stalld = get_bit(w, ste::S1STALLD);
  s.eats = u<uint8_t>(w, ste::EATS);
  s.strw = u<uint8_t>(w, ste::STRW);
  s.memattr = u<uint8_t>(w, ste::MEMATTR);
  s.mtcfg = get_bit(w, ste::MTCFG);
  s.alloccfg = u<uint8_t>(w, ste::ALLOCCFG);
  s.shcfg = u<uint8_t>(w, ste::SHCFG);
  s.nscfg = u<uint8_t>(w, ste::NSCFG);
  s.privcfg = u<uint8_t>(w, ste::PRIVCFG);
  s.instcfg = u<uint8_t>(w, ste::INSTCFG);
  s.s2vmid = u<uint16_t>(w, ste::S2VMID);
  s.s2t0sz = u<uint8_t>(w, ste::S2T0SZ);
  s.s2sl0 = u<uint8_t>(w, ste::S2SL0);
  s.s2ir0 = u<uint8_t>(w, ste::S2IR0);
  s.s2or0 = u<uint8_t>(w, ste::S2OR0);
  s.s2sh0 = u<uint8_t>(w, ste::S2SH0);
  s.s2tg = u<uint8_t>(w, ste::S2TG);
  s.s2ps = u<uint8_t>(w, ste::S2PS);
  s.s2aa64 = get_bit(w, ste::S2AA64);
  s.s2endi = get_bit(w, ste::S2ENDI);
  s.s2affd = get_bit(w, ste::S2AFFD);
  s.s2ptw = get_bit(w, ste::S2PTW);
  s.s2hd = get_bit(w, ste::S2HD);
  s.s2ha = get_bit(w, ste::S2HA);
  s.s2s = get_bit(w, ste::S2S);
  s.s2r = get_bit(w, ste::S2R);
  s.s2ttb = get_addr(w, ste::S2TTB);
  return s;
}

SteWords encode_ste(const Ste& s) {
  SteWords w{};
  put(w, ste::V, s.v);
  put(w, ste::CONFIG, s.config);
  put(w, ste::S1FMT, s.s1fmt);
  put_addr(w, ste::S1CTXPTR, s.s1_context_ptr);
  put(w, ste::S1CDMAX, s.s1cdmax);
  put(w, ste::S1DSS, s.s1dss);
  put(w, ste::S1CIR, s.s1cir);
  put(w, ste::S1COR, s.s1cor);
  put(w, ste::S1CSH, s.s1csh);
  put(w, ste::DRE, s.dre);
  put(w, ste::CONT, s.cont);
  put(w, ste::DCP, s.dcp);
  put(w, ste::PPAR, s.ppar);
  put(w, ste::MEV, s.mev);
  put(w, ste::S2FWB, s.s2fwb);
  put(w, ste::S1STALLD, s.s1stalld);
  put(w, ste::EATS, s.eats);
  put(w, ste::STRW, s.strw);
  put(w, ste::MEMATTR, s.memattr);
  put(w, ste::MTCFG, s.mtcfg);
  put(w, ste::ALLOCCFG, s.alloccfg);
  put(w, ste::SHCFG, s.shcfg);
  put(w, ste::NSCFG, s.nscfg);
  put(w, ste::PRIVCFG, s.privcfg);
  put(w, ste::INSTCFG, s.instcfg);
  put(w, ste::S2VMID, s.s2vmid);
  put(w, ste::S2T0SZ, s.s2t0sz);
  put(w, ste::S2SL0, s.s2sl0);
  put(w, ste::S2IR0, s.s2ir0);
  put(w, ste::S2OR0, s.s2or0);
  put(w, ste::S2SH0, s.s2sh0);
  put(w, ste::S2TG, s.s2tg);
  put(w, ste::S2PS, s.s2ps);
  put(w, ste::S2AA64, s.s2aa64);
  put(w, ste::S2ENDI, s.s2endi);
  put(w, ste::S2AFFD, s.s2affd);
  put(w, ste::S2PTW, s.s2ptw);
  put(w, ste::S2HD, s.s2hd);
  put(w, ste::S2HA, s.s2ha);
  put(w, ste::S2S, s.s2s);
  put(w, ste::S2R, s.s2r);
  put_addr(w, ste::S2TTB, s.s2ttb);
  return w;
}

const char* to_string(SteError e) {
  switch (e) {
    case SteError::kNone:
      return "none";
    case SteError::kNotValid:
      return "V == 0";
    case SteError::kS1NotSupported:
      return "stage 1 not implemented";
    case SteError::kS2NotSupported:
      return "stage 2 not implemented";
    case SteError::kEatsSplit:
      return "EATS split-stage not allowed";
    case SteError::kEatsStall:
      return "EATS full ATS with S2S";
    case SteError::kStrw:
      return "reserved STRW";
    case SteError::kS1Stalld:
      return "S1STALLD with STALL_MODEL != 00";
    case SteError::kS1CdMax:
      return "S1CDMax > SSIDSIZE";
    case SteError::kS1Fmt:
      return "2-level CD table without CD2L";
    case SteError::kS1ContextPtr:
      return "S1ContextPtr out of range";
    case SteError::kS2Stall:
      return "S2S inconsistent with STALL_MODEL";
    case SteError::kS2AArch32:
      return "VMSAv8-32 stage 2 not implemented";
    case SteError::kS2Httu:
      return "S2HA/S2HD not supported";
    case SteError::kS2Granule:
      return "S2TG not supported";
    case SteError::kS2Ttb:
      return "S2TTB out of range";
    case SteError::kS2T0sz:
      return "S2T0SZ out of range";
    case SteError::kS2Sl0:
      return "S2SL0 inconsistent";
    case SteError::kS2Endian:
      return "S2ENDI big-endian not supported";
    case SteError::kS2Vmid:
      return "16-bit S2VMID without VMID16";
  }
  return "?";
}

unsigned ste_s2_ps_bits(const Ste& s, const IdParams& caps) {
  const unsigned ps = oas_decode(s.s2ps).value_or(caps.oas_bits);
  return ps < caps.oas_bits ? ps : caps.oas_bits;
}

std::optional<pt::ArmLpaeFormat> ste_s2_format(const Ste& s, const IdParams& caps,
                                               std::string* why) {
  pt::ArmLpaeConfig c;
  c.stage = pt::ArmStage::kStage2;
  c.granule_lg2 = tg0_granule_lg2(s.s2tg);
  c.tsz = s.s2t0sz;
  c.sl0 = s.s2sl0;
  c.oas_bits = ste_s2_ps_bits(s, caps);
  c.pa_max_bits = caps.oas_bits;
  c.ttst = caps.stt;
  c.affd = s.s2affd;
  c.hw_af = s.s2ha && caps.httu >= 1;
  return pt::ArmLpaeFormat::create(c, why);
}

SteError check_ste(const Ste& s, const IdParams& caps) {
  // IHI 0070 5.2.2 SteIllegal, Non-secure stream, VMSAv8-64 only (IDR0.TTF = 10), SMMUv3.1+
  // rules (an out-of-range S2T0SZ and EATS=01 with S2S are always ILLEGAL).
  if (!s.v) return SteError::kNotValid;
  if (s.abort()) return SteError::kNone;
  if (s.s1_enabled() && !caps.s1p) return SteError::kS1NotSupported;
  if (s.s2_enabled() && !caps.s2p) return SteError::kS2NotSupported;
  if (caps.ats && !s.bypass()) {
    if (s.eats == static_cast<uint8_t>(Eats::kSplit) &&
        (s.cfg() != SteConfig::kNested || s.s2s || caps.ns1ats)) {
      return SteError::kEatsSplit;
    }
    if (s.eats == static_cast<uint8_t>(Eats::kTrans) && s.s2s && s.s2_enabled()) {
      return SteError::kEatsStall;
    }
  }
  // IgnoreSTESTRW: STRW is used only with stage 1 alone, an implemented EL2 and no bypass.
  const bool strw_used = caps.s1p && caps.hyp && !s.s2_enabled() && !s.bypass();
  if (strw_used && (s.strw & 1)) return SteError::kStrw;
  if (s.s1_enabled()) {
    if (s.s1stalld && caps.stall_model != 0) return SteError::kS1Stalld;
    if (caps.ssid_bits != 0 && s.s1cdmax > caps.ssid_bits) return SteError::kS1CdMax;
    if (caps.ssid_bits != 0 && s.s1cdmax != 0 && !caps.cd2l &&
        (s.fmt() == S1Fmt::k2Level4K || s.fmt() == S1Fmt::k2Level64K)) {
      return SteError::kS1Fmt;
    }
    // STES1ContextPtrOutOfRange: an IPA beyond IAS with stage 2, else a PA beyond OAS.
    const unsigned range = s.s2_enabled() ? caps.ias_bits() : caps.oas_bits;
    if (s.s1_context_ptr >> range) return SteError::kS1ContextPtr;
  }
  if (s.s2_enabled()) {
    if (s.s2s && caps.stall_model == 1) return SteError::kS2Stall;
    if (!s.s2s && caps.stall_model == 2) return SteError::kS2Stall;
    if (!s.s2aa64) return SteError::kS2AArch32;
    if ((s.s2ha || s.s2hd) && caps.httu == 0) return SteError::kS2Httu;
    if (s.s2hd && caps.httu == 1) return SteError::kS2Httu;
    const unsigned g = tg0_granule_lg2(s.s2tg);
    if (g == 0 || !caps.granule_ok(g)) return SteError::kS2Granule;
    if (s.s2ttb >> ste_s2_ps_bits(s, caps)) return SteError::kS2Ttb;
    // STES2T0SZInvalid (v3.1+, 48-bit IAS at most): [max(16, 64 - IAS), 39 or 48/47 with STT].
    const unsigned ias = caps.ias_bits();
    const unsigned tsz_min = 64 - ias > 16 ? 64 - ias : 16;
    const unsigned tsz_max = !caps.stt ? 39 : (g == 16 ? 47 : 48);
    if (s.s2t0sz < tsz_min || s.s2t0sz > tsz_max) return SteError::kS2T0sz;
    // STEWalkConfigInconsistentAA64: the Arm ARM's S2InvalidSL / S2InconsistentSL.
    const std::optional<int> sl = pt::arm_s2_sl0_level(g, s.s2sl0, caps.stt, caps.oas_bits);
    if (!sl || !pt::arm_s2_sl_consistent(g, *sl, 64u - s.s2t0sz)) return SteError::kS2Sl0;
    if (s.s2endi) return SteError::kS2Endian;
  }
  // IgnoreSTES2VMID: S2VMID tags every translating EL1 stream (stage-1-only ones too) when
  // stage 2 is implemented.
  const bool vmid_used = !s.bypass() && caps.s2p && !(strw_used && s.strw != 0);
  if (vmid_used && !caps.vmid16 && (s.s2vmid >> 8) != 0) return SteError::kS2Vmid;
  return SteError::kNone;
}

}  // namespace isim::smmuv3
