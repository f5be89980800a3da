#include <gtest/gtest.h>

#include "models/amdvi/regs.h"

namespace isim::amdvi {
namespace {

TEST(AmdviFeatures, FieldsLandOnTheirEfrBits) {
  Features z = Features::decode(0);
  EXPECT_EQ(z.efr(), 0u);
  z.ppr_sup = true;
  EXPECT_EQ(z.efr(), uint64_t{1} << 1);
  z = Features::decode(0);
  z.gt_sup = true;
  EXPECT_EQ(z.efr(), uint64_t{1} << 4);
  z = Features::decode(0);
  z.hats = 2;
  z.gats = 1;
  z.glx_sup = 1;
  EXPECT_EQ(z.efr(), (uint64_t{2} << 10) | (uint64_t{1} << 12) | (uint64_t{1} << 14));
  z = Features::decode(0);
  z.pas_max = 0x13;
  EXPECT_EQ(z.efr(), uint64_t{0x13} << 32);
  z = Features::decode(0);
  z.gio_sup = true;
  z.snp_sup = true;
  EXPECT_EQ(z.efr(), (uint64_t{1} << 48) | (uint64_t{1} << 63));
}

TEST(AmdviFeatures, RoundTripsEveryDefinedBit) {
  // Every bit the EFR defines survives decode -> encode; the undefined ones (27:26, 30, 47, 53,
  // 62) are dropped.
  const uint64_t undefined = mask(27, 26) | (uint64_t{1} << 30) | (uint64_t{1} << 47) |
                             (uint64_t{1} << 53) | (uint64_t{1} << 62);
  EXPECT_EQ(Features::decode(~uint64_t{0}).efr(), ~undefined);
  const Features d;
  EXPECT_EQ(Features::decode(d.efr()).efr(), d.efr());
  EXPECT_EQ(d.validate(), "");
  EXPECT_EQ(d.max_host_levels(), 6u);
  EXPECT_EQ(d.max_gcr3_levels(), 2u);
  EXPECT_EQ(d.pasid_bits(), 16u);
}

TEST(AmdviFeatures, ValidateRejectsReservedEncodings) {
  Features k;
  k.hats = 3;
  EXPECT_NE(k.validate(), "");
  k = Features{};
  k.gats = 2;
  EXPECT_NE(k.validate(), "");
  k = Features{};
  k.pas_max = 32;  // does not fit 5 bits
  EXPECT_NE(k.validate(), "");
}

TEST(AmdviRegs, BaseRegisterEncodings) {
  const uint64_t dtb = devtab::make(0x1234'5000, 0x1ff);
  EXPECT_EQ(dtb, 0x1234'51ffu);
  EXPECT_EQ(devtab::entries(dtb), 65536u);
  EXPECT_EQ(devtab::entries(devtab::make(0, 0)), 128u);
  const uint64_t cb = ring_base::make(0xabc000, 9);
  EXPECT_EQ(cb, (uint64_t{9} << 56) | 0xabc000);
  EXPECT_EQ(ring_base::len(cb), 9u);
  EXPECT_EQ(ring_base::base(cb), 0xabc000u);
  EXPECT_EQ(excl::limit(0x5000), 0x5fffu);
}

TEST(AmdviRegs, BankLayoutMatchesSection34) {
  const Features k;
  RegBank bank(reg::kMmioBytes);
  const RegIds ids = add_registers(bank, k);
  EXPECT_EQ(bank.read(reg::kEfr, 8).value, k.efr());
  bank.write(reg::kEfr, 8, 0);
  EXPECT_EQ(bank.read(reg::kEfr, 8).value, k.efr());  // read-only
  EXPECT_EQ(bank.read(reg::kEfr + 4, 4).value, k.efr() >> 32);
  // Device table base keeps Size and the address, drops 11:9 and 63:52.
  bank.write(reg::kDevTabBase, 8, ~uint64_t{0});
  EXPECT_EQ(bank.read(reg::kDevTabBase, 8).value, mask(51, 12) | mask(8, 0));
  // Control enables are writable.
  bank.write(reg::kControl, 8, (1u << control::kIommuEn) | (1u << control::kCmdBufEn));
  EXPECT_EQ(bank.get(ids.control), (1u << control::kIommuEn) | (1u << control::kCmdBufEn));
  // Exclusion limit reads back ones in 11:0.
  bank.write(reg::kExclLimit, 8, 0x7000);
  EXPECT_EQ(bank.read(reg::kExclLimit, 8).value, 0x7fffu);
  // Status: run bits are RO, interrupt/overflow bits RW1C.
  bank.set(ids.status, status::kRo | status::kW1c);
  bank.write(reg::kStatus, 8, (1u << status::kComWaitInt) | (1u << status::kCmdBufRun));
  EXPECT_EQ(bank.get(ids.status), (status::kRo | status::kW1c) & ~(1u << status::kComWaitInt));
  // Head/tail pointers keep only 18:4.
  bank.write(reg::kCmdTail, 8, 0xfffff);
  EXPECT_EQ(bank.read(reg::kCmdTail, 8).value, 0x7fff0u);
  EXPECT_NE(ids.ppr_log_base, RegIds::kNone);
  EXPECT_EQ(bank.info(ids.event_tail).offset, 0x2018u);
  // Without PPRSup the PPR registers are absent.
  Features np;
  np.ppr_sup = false;
  RegBank b2(reg::kMmioBytes);
  const RegIds i2 = add_registers(b2, np);
  EXPECT_EQ(i2.ppr_log_base, RegIds::kNone);
  EXPECT_EQ(b2.read(reg::kPprLogBase, 8).status, RegAccessStatus::unmapped);
}

}  // namespace
}  // namespace isim::amdvi
