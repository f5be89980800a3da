// ID registers from params and back, and the register table in a RegBank (IHI 0070 6.2-6.3).
#include <gtest/gtest.h>

#include "hw/reg_bank.h"
#include "models/smmuv3/regs.h"

namespace isim::smmuv3 {
namespace {

TEST(SmmuRegs, IdRoundTripDefaultsAndVariants) {
  IdParams p;
  EXPECT_TRUE(p.problems().empty());
  EXPECT_EQ(decode_id_regs(encode_id_regs(p)), p);
  IdParams q;
  q.two_level_strtab = false;
  q.cd2l = false;
  q.s1p = false;
  q.vmid16 = false;
  q.stall_model = 2;
  q.term_model = true;
  q.sid_bits = 32;
  q.ssid_bits = 0;
  q.cmdq_lg2 = 19;
  q.evtq_lg2 = 5;
  q.priq_lg2 = 3;
  q.oas_bits = 40;
  q.gran4k = false;
  q.stt = true;
  q.stall_max = 0xffff;
  q.product_id = 0x483;
  q.variant = 2;
  q.revision = 1;
  q.arch_minor = 4;
  EXPECT_TRUE(q.problems().empty());
  EXPECT_EQ(decode_id_regs(encode_id_regs(q)), q);
  EXPECT_NE(encode_id_regs(p), encode_id_regs(q));
}

TEST(SmmuRegs, IdFieldPositions) {
  IdParams p;
  p.sid_bits = 0x11;
  p.ssid_bits = 0x0a;
  p.oas_bits = 44;
  const IdRegs r = encode_id_regs(p);
  EXPECT_EQ(r.idr1 & 0x3f, 0x11u);         // SIDSIZE 5:0
  EXPECT_EQ((r.idr1 >> 6) & 0x1f, 0x0au);  // SSIDSIZE 10:6
  EXPECT_EQ(r.idr5 & 7, 4u);               // OAS 100 = 44 bits
  EXPECT_EQ((r.idr0 >> 2) & 3, 2u);        // TTF = AArch64
  EXPECT_EQ((r.idr0 >> 27) & 3, 1u);       // ST_LEVEL = 2-level
  EXPECT_EQ(r.idr0 & 3, 3u);               // S1P, S2P
}

TEST(SmmuRegs, ProblemsNameTheKey) {
  IdParams p;
  p.oas_bits = 47;
  p.cmdq_lg2 = 20;
  const auto pr = p.problems();
  ASSERT_EQ(pr.size(), 2u);
  EXPECT_EQ(pr[0].first, "cmdq_lg2");
  EXPECT_EQ(pr[1].first, "oas_bits");
}

TEST(SmmuRegs, RangeInvalidationNeedsSmmuV32) {
  IdParams p;
  p.arch_minor = 1;  // SMMUv3.1 with the default RIL = 1
  const auto pr = p.problems();
  ASSERT_EQ(pr.size(), 1u);
  EXPECT_EQ(pr[0].first, "ril");
  p.ril = false;
  EXPECT_TRUE(p.problems().empty());
  p.arch_minor = 2;
  p.ril = true;
  EXPECT_TRUE(p.problems().empty());
}

struct KeyCollector {
  std::vector<std::string> keys;
  template <class T>
  void param(std::string_view k, T&, std::string_view doc) {
    EXPECT_FALSE(doc.empty());
    keys.emplace_back(k);
  }
};

TEST(SmmuRegs, ParamsVisitListsEveryField) {
  IdParams p;
  KeyCollector c;
  p.visit(c);
  EXPECT_EQ(c.keys.size(), 35u);
  EXPECT_NE(std::find(c.keys.begin(), c.keys.end(), "ssid_bits"), c.keys.end());
}

TEST(SmmuRegs, RegisterBankLayout) {
  const IdRegs ids = encode_id_regs(IdParams{});
  RegBank bank(kMmioBytes);
  bank.add_all(register_specs(ids));
  EXPECT_EQ(bank.read(reg::IDR0, 4).value, ids.idr0);
  EXPECT_EQ(bank.read(reg::IDR5, 4).value, ids.idr5);
  bank.write(reg::IDR0, 4, 0);  // RO
  EXPECT_EQ(bank.read(reg::IDR0, 4).value, ids.idr0);
  bank.write(reg::STRTAB_BASE, 8, ~uint64_t{0});
  EXPECT_EQ(bank.read(reg::STRTAB_BASE, 8).value, (uint64_t{1} << 62) | mask(55, 6));
  bank.write(reg::CMDQ_CONS, 4, 0xffffffff);  // ERR is written by the SMMU only
  EXPECT_EQ(bank.read(reg::CMDQ_CONS, 4).value, mask(19, 0));
  EXPECT_EQ(bank.read(reg::GBPA, 4).value, uint64_t{1} << 12);  // SHCFG = incoming
  EXPECT_EQ(bank.at(reg::EVENTQ_PROD), bank.find("EVENTQ_PROD"));
  EXPECT_EQ(reg::EVENTQ_PROD, 0x100A8u);
  EXPECT_EQ(bank.write(0x8000, 4, 1), RegAccessStatus::unmapped);  // Secure page: RAZ/WI
}

}  // namespace
}  // namespace isim::smmuv3
