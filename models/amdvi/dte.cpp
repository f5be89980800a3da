#include "models/amdvi/dte.h"

namespace isim::amdvi {

Dte Dte::decode(const Qw4& q) {
  Dte d;
  d.v = bit(q[0], 0);
  d.tv = bit(q[0], 1);
  d.had = static_cast<unsigned>(bits(q[0], 8, 7));
  d.mode = static_cast<unsigned>(bits(q[0], 11, 9));
  d.pt_root = q[0] & mask(51, 12);
  d.ppr = bit(q[0], 52);
  d.gprp = bit(q[0], 53);
  d.giov = bit(q[0], 54);
  d.gv = bit(q[0], 55);
  d.glx = static_cast<unsigned>(bits(q[0], 57, 56));
  d.gcr3_root = gcr3_from(q);
  d.ir = bit(q[0], 61);
  d.iw = bit(q[0], 62);

  d.domain_id = static_cast<uint16_t>(bits(q[1], 15, 0));
  d.i = bit(q[1], 32);
  d.se = bit(q[1], 33);
  d.sa = bit(q[1], 34);
  d.ioctl = static_cast<unsigned>(bits(q[1], 36, 35));
  d.cache = bit(q[1], 37);
  d.sd = bit(q[1], 38);
  d.ex = bit(q[1], 39);
  d.sysmgt = static_cast<unsigned>(bits(q[1], 41, 40));

  d.iv = bit(q[2], 0);
  d.int_tab_len = static_cast<unsigned>(bits(q[2], 4, 1));
  d.ig = bit(q[2], 5);
  d.int_table_root = q[2] & mask(51, 6);
  d.gpm = static_cast<unsigned>(bits(q[2], 55, 54));
  d.init_pass = bit(q[2], 56);
  d.eint_pass = bit(q[2], 57);
  d.nmi_pass = bit(q[2], 58);
  d.int_ctl = static_cast<unsigned>(bits(q[2], 61, 60));
  d.lint0_pass = bit(q[2], 62);
  d.lint1_pass = bit(q[2], 63);

  d.attr_v = bit(q[3], 54);
  d.mode0_fc = bit(q[3], 55);
  d.snoop_attr = static_cast<unsigned>(bits(q[3], 63, 56));
  return d;
}

Qw4 Dte::encode() const {
  Qw4 q{};
  q[0] = set_bit(q[0], 0, v);
  q[0] = set_bit(q[0], 1, tv);
  q[0] = set_bits(q[0], 8, 7, had);
  q[0] = set_bits(q[0], 11, 9, mode);
  q[0] |= pt_root & mask(51, 12);
  q[0] = set_bit(q[0], 52, ppr);
  q[0] = set_bit(q[0], 53, gprp);
  q[0] = set_bit(q[0], 54, giov);
  q[0] = set_bit(q[0], 55, gv);
  q[0] = set_bits(q[0], 57, 56, glx);
  q[0] = set_bits(q[0], 60, 58, bits(gcr3_root, 14, 12));
  q[0] = set_bit(q[0], 61, ir);
  q[0] = set_bit(q[0], 62, iw);

  q[1] = set_bits(q[1], 15, 0, domain_id);
  q[1] = set_bits(q[1], 31, 16, bits(gcr3_root, 30, 15));
  q[1] = set_bit(q[1], 32, i);
  q[1] = set_bit(q[1], 33, se);
  q[1] = set_bit(q[1], 34, sa);
  q[1] = set_bits(q[1], 36, 35, ioctl);
  q[1] = set_bit(q[1], 37, cache);
  q[1] = set_bit(q[1], 38, sd);
  q[1] = set_bit(q[1], 39, ex);
  q[1] = set_bits(q[1], 41, 40, sysmgt);
  q[1] = set_bits(q[1], 63, 43, bits(gcr3_root, 51, 31));

  q[2] = set_bit(q[2], 0, iv);
  q[2] = set_bits(q[2], 4, 1, int_tab_len);
  q[2] = set_bit(q[2], 5, ig);
  q[2] |= int_table_root & mask(51, 6);
  q[2] = set_bits(q[2], 55, 54, gpm);
  q[2] = set_bit(q[2], 56, init_pass);
  q[2] = set_bit(q[2], 57, eint_pass);
  q[2] = set_bit(q[2], 58, nmi_pass);
  q[2] = set_bits(q[2], 61, 60, int_ctl);
  q[2] = set_bit(q[2], 62, lint0_pass);
  q[2] = set_bit(q[2], 63, lint1_pass);

  q[3] = set_bit(q[3], 54, attr_v);
  q[3] = set_bit(q[3], 55, mode0_fc);
  q[3] = set_bits(q[3], 63, 56, snoop_attr);
  return q;
}

Qw4 Dte::reserved(const Features& f) {
  // 2.2.2.1: 6:2 and 63 of QW0, bit 106 (QW1 bit 42), 181:180 (QW2 53:52), 245:192 (QW3 53:0).
  Qw4 r{mask(6, 2) | (uint64_t{1} << 63), uint64_t{1} << 42, mask(53, 52), mask(53, 0)};
  if (!f.gt_sup) {
    // GV, GLX, GCR3 root and GPM belong to guest translation.
    r[0] |= (uint64_t{1} << 55) | mask(60, 56);
    r[1] |= mask(31, 16) | mask(63, 43);
    r[2] |= mask(55, 54);
  }
  if (!f.gio_sup) r[0] |= uint64_t{1} << 54;
  if (!f.ppr_sup) r[0] |= uint64_t{1} << 52;
  if (!f.eph_sup) r[0] |= uint64_t{1} << 53;  // GPRP: enhanced PPR handling
  if (!f.ha_sup && !f.hd_sup) r[0] |= mask(8, 7);
  return r;
}

const char* to_string(DteProblem p) {
  switch (p) {
    case DteProblem::None:
      return "none";
    case DteProblem::ReservedBit:
      return "reserved bit set";
    case DteProblem::ModeReserved:
      return "Mode reserved or beyond EFR.HATS";
    case DteProblem::GlxUnsupported:
      return "GLX beyond EFR.GLXSup";
    case DteProblem::GpmUnsupported:
      return "GPM beyond EFR.GATS";
  }
  return "?";
}

DteProblem check_dte(const Qw4& raw, const Features& f) {
  const Qw4 r = Dte::reserved(f);
  for (unsigned i = 0; i < 4; ++i) {
    if (raw[i] & r[i]) return DteProblem::ReservedBit;
  }
  const Dte d = Dte::decode(raw);
  if (!d.tv) return DteProblem::None;
  // 2.2.2.1 Mode: 7 is reserved; a Mode above the levels EFR.HATS allows is invalid.
  if (d.mode == kModeReserved || d.mode > f.max_host_levels()) return DteProblem::ModeReserved;
  if (d.gv) {
    if (d.glx + 1 > f.max_gcr3_levels()) return DteProblem::GlxUnsupported;
    if (d.gpm + 4 > f.max_guest_levels()) return DteProblem::GpmUnsupported;
  }
  return DteProblem::None;
}

}  // namespace isim::amdvi
