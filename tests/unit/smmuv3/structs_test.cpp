// STE and CD encode/decode and validity (IHI 0070 5.2, 5.2.2, 5.4, 5.4.2).
#include <gtest/gtest.h>

#include "models/smmuv3/cd.h"
#include "models/smmuv3/ste.h"

namespace isim::smmuv3 {
namespace {

TEST(SmmuSte, FieldPositionsAndRoundTrip) {
  Ste s;
  s.v = true;
  s.config = 0b111;
  s.s1fmt = 1;
  s.s1_context_ptr = 0x0012'3456'7800ull & mask(55, 6);
  s.s1cdmax = 20;
  s.s1dss = 2;
  s.eats = 1;
  s.strw = 2;
  s.s2vmid = 0xbeef;
  s.s2t0sz = 25;
  s.s2sl0 = 1;
  s.s2tg = 2;
  s.s2ps = 5;
  s.s2aa64 = true;
  s.s2affd = true;
  s.s2ptw = true;
  s.s2ha = true;
  s.s2s = true;
  s.s2r = true;
  s.s2ttb = 0x00ff'1234'5670ull;
  s.privcfg = 3;
  s.instcfg = 2;
  s.mev = true;
  const SteWords w = encode_ste(s);
  EXPECT_EQ(w[0] & 0xf, 0xfu);           // V, Config 111
  EXPECT_EQ(w[0] >> 59, 20u);            // S1CDMax
  EXPECT_EQ(w[1] & 3, 2u);               // S1DSS
  EXPECT_EQ((w[1] >> 28) & 3, 1u);       // EATS
  EXPECT_EQ(w[2] & 0xffff, 0xbeefu);     // S2VMID
  EXPECT_EQ((w[2] >> 32) & 0x3f, 25u);   // S2T0SZ
  EXPECT_EQ((w[2] >> 57) & 3, 3u);       // S2S bit 185, S2R bit 186
  EXPECT_EQ((w[2] >> 54) & 1, 1u);       // S2PTW
  EXPECT_EQ(w[3], 0x00ff'1234'5670ull);  // S2TTB
  EXPECT_EQ(decode_ste(w), s);
}

TEST(SmmuSte, ValidityRules) {
  IdParams caps;
  Ste s;
  EXPECT_EQ(check_ste(s, caps), SteError::kNotValid);
  s.v = true;
  EXPECT_EQ(check_ste(s, caps), SteError::kNone);  // abort config
  s.config = 0b110;
  s.s2aa64 = true;
  s.s2t0sz = 16;
  s.s2sl0 = 2;
  EXPECT_EQ(check_ste(s, caps), SteError::kNone);
  Ste t = s;
  t.s2sl0 = 0;  // level 2 start cannot resolve 48 bits
  EXPECT_EQ(check_ste(t, caps), SteError::kS2Sl0);
  t = s;
  t.s2tg = 3;
  EXPECT_EQ(check_ste(t, caps), SteError::kS2Granule);
  t = s;
  t.s2ps = 0;
  t.s2ttb = uint64_t{1} << 33;
  EXPECT_EQ(check_ste(t, caps), SteError::kS2Ttb);
  t = s;
  t.s2t0sz = 40;
  EXPECT_EQ(check_ste(t, caps), SteError::kS2T0sz);
  t = s;
  t.s2aa64 = false;
  EXPECT_EQ(check_ste(t, caps), SteError::kS2AArch32);
  caps.s2p = false;
  EXPECT_EQ(check_ste(s, caps), SteError::kS2NotSupported);
  caps = IdParams{};
  caps.vmid16 = false;
  t = s;
  t.s2vmid = 0x100;
  EXPECT_EQ(check_ste(t, caps), SteError::kS2Vmid);
  caps = IdParams{};
  t = s;
  t.config = 0b101;
  t.s1cdmax = 21;
  EXPECT_EQ(check_ste(t, caps), SteError::kS1CdMax);
  caps.cd2l = false;
  t.s1cdmax = 4;
  t.s1fmt = 2;
  EXPECT_EQ(check_ste(t, caps), SteError::kS1Fmt);
  t.s1fmt = 0;
  t.eats = 2;  // split-stage needs Config 111
  EXPECT_EQ(check_ste(t, caps), SteError::kEatsSplit);
}

TEST(SmmuCd, FieldPositionsAndRoundTrip) {
  Cd c;
  c.v = true;
  c.t0sz = 25;
  c.tg0 = 2;
  c.epd1 = true;
  c.ips = 4;
  c.aa64 = true;
  c.a = true;
  c.r = true;
  c.aset = true;
  c.asid = 0xabcd;
  c.had0 = true;
  c.ttb0 = 0x0000'1234'5678'9ab0ull;
  c.mair = 0x0011'2233'4455'6677ull;
  const CdWords w = encode_cd(c);
  EXPECT_EQ(w[0] & 0x3f, 25u);
  EXPECT_EQ((w[0] >> 6) & 3, 2u);
  EXPECT_EQ((w[0] >> 31) & 1, 1u);  // V
  EXPECT_EQ((w[0] >> 32) & 7, 4u);  // IPS
  EXPECT_EQ(w[0] >> 48, 0xabcdu);   // ASID
  EXPECT_EQ((w[1] >> 1) & 1, 1u);   // HAD0
  EXPECT_EQ(w[1] & mask(55, 4), c.ttb0);
  EXPECT_EQ(w[3], c.mair);
  EXPECT_EQ(decode_cd(w), c);
}

TEST(SmmuCd, ValidityRules) {
  IdParams caps;
  Ste s;
  Cd c;
  EXPECT_EQ(check_cd(c, s, caps), CdError::kNotValid);
  c.v = true;
  c.aa64 = true;
  c.t0sz = 16;
  c.epd1 = true;
  c.ips = 5;
  EXPECT_EQ(check_cd(c, s, caps), CdError::kNone);
  Cd d = c;
  d.t0sz = 40;
  EXPECT_EQ(check_cd(d, s, caps), CdError::kTxSz);
  d = c;
  d.epd1 = false;  // TTB1 now checked: TG1 = 00 is reserved
  EXPECT_EQ(check_cd(d, s, caps), CdError::kTxSz);
  d.t1sz = 16;
  EXPECT_EQ(check_cd(d, s, caps), CdError::kGranule);
  d = c;
  d.ips = 0;
  d.ttb0 = uint64_t{1} << 32;
  EXPECT_EQ(check_cd(d, s, caps), CdError::kTtb);
  d = c;
  d.aa64 = false;
  EXPECT_EQ(check_cd(d, s, caps), CdError::kAArch32);
  caps.term_model = true;
  EXPECT_EQ(check_cd(c, s, caps), CdError::kTermModel);
  caps = IdParams{};
  caps.asid16 = false;
  d = c;
  d.asid = 0x100;
  EXPECT_EQ(check_cd(d, s, caps), CdError::kAsid);
  // TG1 uses its own encoding.
  EXPECT_EQ(tg1_granule_lg2(2), 12u);
  EXPECT_EQ(tg0_granule_lg2(1), 16u);
}

}  // namespace
}  // namespace isim::smmuv3
