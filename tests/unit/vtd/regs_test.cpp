#include <gtest/gtest.h>

#include "models/vtd/fault_reasons.h"
#include "models/vtd/regs.h"

namespace isim::vtd {
namespace {

// Intel Xeon E5-2630 v4 (Broadwell-EP) DMAR unit, as read from a real machine.
constexpr uint64_t kBdwCap = 0x8d2078c106f0466;
constexpr uint64_t kBdwEcap = 0xf020df;

TEST(VtdCaps, DecodesBroadwellEp) {
  const Capabilities k = Capabilities::decode(kBdwCap, kBdwEcap);
  EXPECT_EQ(k.nd, 6u);
  EXPECT_EQ(k.sagaw, 0b0100u);  // 48-bit, 4-level only
  EXPECT_EQ(k.mgaw, 47u);
  EXPECT_TRUE(k.zlr);
  EXPECT_TRUE(k.plmr);
  EXPECT_TRUE(k.phmr);
  EXPECT_EQ(k.fro, 0x10u);
  EXPECT_EQ(k.sllps, 0b11u);
  EXPECT_TRUE(k.psi);
  EXPECT_EQ(k.nfr, 7u);
  EXPECT_EQ(k.mamv, 18u);
  EXPECT_TRUE(k.pi);
  EXPECT_FALSE(k.fs1gp);
  EXPECT_TRUE(k.c && k.qi && k.dt && k.ir && k.eim && k.pt && k.sc);
  EXPECT_EQ(k.iro, 0x20u);
  EXPECT_EQ(k.mhmv, 15u);
  EXPECT_FALSE(k.smts || k.pasid || k.nest);
  EXPECT_EQ(k.cap(), kBdwCap);
  EXPECT_EQ(k.ecap(), kBdwEcap);
  EXPECT_EQ(k.validate(), "");
}

TEST(VtdCaps, EveryFieldRoundTrips) {
  // Set each field alone to a non-zero value and check it lands on its own bits.
  Capabilities d{};
  const Capabilities back = Capabilities::decode(d.cap(), d.ecap());
  EXPECT_EQ(back.cap(), d.cap());
  EXPECT_EQ(back.ecap(), d.ecap());
  Capabilities z = Capabilities::decode(0, 0);
  z.fs5lp = true;
  EXPECT_EQ(z.cap(), uint64_t{1} << 60);
  z = Capabilities::decode(0, 0);
  z.smts = true;
  EXPECT_EQ(z.ecap(), uint64_t{1} << 43);
  z.pss = 19;
  EXPECT_EQ(z.ecap() >> 35 & 0x1f, 19u);
  EXPECT_EQ(Capabilities::decode(~uint64_t{0}, 0).cap() | mask(58, 57) | mask(15, 13) |
                (1ull << 23) | (1ull << 38),
            ~uint64_t{0});
}

TEST(VtdRegs, BankLayoutMatchesChapter11) {
  Capabilities k;
  RegBank bank(k.mmio_size());
  const RegIds ids = add_registers(bank, k);
  EXPECT_EQ(bank.read(reg::kCap, 8).value, k.cap());
  EXPECT_EQ(bank.read(reg::kEcap, 8).value, k.ecap());
  EXPECT_EQ(bank.read(reg::kEcap + 4, 4).value, k.ecap() >> 32);
  EXPECT_EQ(bank.read(reg::kVer, 4).value, 0x60u);
  // GCMD bits are write-only; GSTS ignores software writes.
  bank.write(reg::kGcmd, 4, 1u << gcmd::kTE);
  EXPECT_EQ(bank.read(reg::kGcmd, 4).value, 0u);
  bank.write(reg::kGsts, 4, ~0u);
  EXPECT_EQ(bank.read(reg::kGsts, 4).value, 0u);
  // FECTL resets with IM set.
  EXPECT_EQ(bank.read(reg::kFectl, 4).value, 1u << ectl::kIM);
  // IVA/IOTLB at IRO, fault records at FRO.
  EXPECT_EQ(bank.info(ids.iotlb).offset, k.iro * 16 + 8u);
  EXPECT_EQ(ids.num_frcd, k.nfr + 1);
  EXPECT_EQ(bank.info(ids.frcd_first + 2).offset, k.fro * 16 + 16u);
  // F is RW1C: the model sets it, software clears it.
  const RegBank::RegId hi0 = ids.frcd_first + 1;
  bank.set(hi0, (uint64_t{1} << frcd::kF) | 0x1234);
  bank.write(reg::frcd_hi(k.fro, 0), 8, uint64_t{1} << frcd::kF);
  EXPECT_EQ(bank.get(hi0), 0x1234u);
  // RTADDR keeps TTM and the address, drops reserved bits 9:0.
  bank.write(reg::kRtaddr, 8, rtaddr::make(0x12345000, Ttm::Scalable) | 0x3ff);
  EXPECT_EQ(bank.read(reg::kRtaddr, 8).value, rtaddr::make(0x12345000, Ttm::Scalable));
  // IQH is read-only to software, IQT writable.
  bank.write(reg::kIqh, 8, 0x40);
  EXPECT_EQ(bank.read(reg::kIqh, 8).value, 0u);
  bank.write(reg::kIqt, 8, 0x40);
  EXPECT_EQ(bank.read(reg::kIqt, 8).value, 0x40u);
}

TEST(VtdRegs, ValidateRejectsOverlaps) {
  Capabilities k;
  k.fro = k.iro;
  EXPECT_NE(k.validate(), "");
  k = Capabilities{};
  k.iro = 0x4;
  EXPECT_NE(k.validate(), "");
}

TEST(VtdFaultReasons, SpecNames) {
  EXPECT_STREQ(spec_name(FaultReason::LCT_2), "LCT.2");
  EXPECT_EQ(static_cast<int>(FaultReason::SPT_4), 0x5B);
  EXPECT_STREQ(spec_name(FaultReason::SGN_4), "SGN.4");
  EXPECT_STREQ(spec_name(static_cast<FaultReason>(0x6f)), "?");
}

}  // namespace
}  // namespace isim::vtd
