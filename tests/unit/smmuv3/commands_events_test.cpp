// Command decode with its CERROR_ILL rules (IHI 0070 4, 7.1) and event record encoding (7.3).
#include <gtest/gtest.h>

#include "models/smmuv3/commands.h"
#include "models/smmuv3/events.h"

namespace isim::smmuv3 {
namespace {

TEST(SmmuCommands, TlbiNhVaFields) {
  // Built by hand from the 4.4.2 layout, not with encode_command.
  CmdWords w{};
  w[0] = 0x12 | (uint64_t{3} << 12) | (uint64_t{2} << 20) | (uint64_t{0x55} << 32) |
         (uint64_t{0x1234} << 48);
  w[1] = 1 | (uint64_t{3} << 8) | (uint64_t{1} << 10) | 0x0000'7fff'ffff'f000ull;
  const CmdDecode d = decode_command(w, IdParams{});
  ASSERT_EQ(d.error, CmdError::kNone);
  EXPECT_EQ(d.cmd.op(), Opcode::kTlbiNhVa);
  EXPECT_EQ(d.cmd.num, 3);
  EXPECT_EQ(d.cmd.scale, 2);
  EXPECT_EQ(d.cmd.vmid, 0x55);
  EXPECT_EQ(d.cmd.asid, 0x1234);
  EXPECT_TRUE(d.cmd.leaf);
  EXPECT_EQ(d.cmd.ttl, 3);
  EXPECT_EQ(d.cmd.addr, 0x0000'7fff'ffff'f000ull);
  EXPECT_EQ(d.cmd.range_bytes(), uint64_t{4} << (2 + 12));
  EXPECT_EQ(encode_command(d.cmd), w);
}

TEST(SmmuCommands, SyncAndCfgi) {
  Command c;
  c.opcode = static_cast<uint8_t>(Opcode::kSync);
  c.cs = 1;
  c.msi_data = 0xdeadbeef;
  c.msi_addr = 0x1000'0004;
  CmdWords w = encode_command(c);
  EXPECT_EQ((w[0] >> 12) & 3, 1u);
  EXPECT_EQ(w[0] >> 32, 0xdeadbeefu);
  EXPECT_EQ(w[1], 0x1000'0004u);
  CmdDecode d = decode_command(w, IdParams{});
  EXPECT_EQ(d.error, CmdError::kNone);
  EXPECT_EQ(d.cmd.msi_addr, 0x1000'0004u);
  Command r;
  r.opcode = static_cast<uint8_t>(Opcode::kCfgiSteRange);
  r.sid = 0x100;
  r.range = 31;
  d = decode_command(encode_command(r), IdParams{});
  EXPECT_TRUE(d.cmd.is_cfgi_all());
  EXPECT_EQ(d.cmd.sid, 0x100u);
}

TEST(SmmuCommands, IllegalCommands) {
  IdParams caps;
  auto ill = [&](CmdWords w) { return decode_command(w, caps).error == CmdError::kIll; };
  EXPECT_TRUE(ill({0x00, 0}));  // reserved opcode
  EXPECT_TRUE(ill({0x0f, 0}));
  EXPECT_TRUE(ill({0x18, 0}));                  // EL3 on the Non-secure queue
  EXPECT_TRUE(ill({0x03 | (1u << 10), 0}));     // SSec = 1
  EXPECT_TRUE(ill({0x46 | (3u << 12), 0}));     // CMD_SYNC CS = 11
  EXPECT_TRUE(ill({0x41, uint64_t{3} << 12}));  // PRI_RESP Resp = 11
  EXPECT_TRUE(ill({0x12, uint64_t{1} << 10}));  // TG != 0, NUM = SCALE = TTL = 0
  EXPECT_TRUE(ill({0x20, 0}));                  // EL2 without IDR0.Hyp
  EXPECT_FALSE(ill({0x46, 0}));
  EXPECT_FALSE(ill({0x44, 0}));
  caps.stall_model = 1;
  EXPECT_TRUE(ill({0x44, 0}));  // RESUME without stalls
  caps.s1p = false;
  EXPECT_TRUE(ill({0x05, 0}));  // CFGI_CD without stage 1
  caps.ril = false;
  EXPECT_TRUE(ill({0x2A, (uint64_t{1} << 10) | (1u << 8)}));  // range without RIL
}

TEST(SmmuEventRecords, LayoutOfTranslationFault) {
  EventRecord e;
  e.type = EventType::kF_PERMISSION;
  e.sid = 0x1234;
  e.ssv = true;
  e.ssid = 0x5;
  e.pnu = true;
  e.rnw = true;
  e.ind = true;
  e.s2 = true;
  e.cls = EventClass::kTt;
  e.ttrnw = true;
  e.input_addr = 0xffff'0000'1234'5678ull;
  e.ipa = 0x0000'0012'3456'7000ull;
  const EventWords w = encode_event(e);
  EXPECT_EQ(w[0], 0x13u | (1u << 11) | (0x5u << 12) | (uint64_t{0x1234} << 32));
  EXPECT_EQ(w[1], (uint64_t{1} << 33) | (uint64_t{1} << 34) | (uint64_t{1} << 35) |
                      (uint64_t{1} << 39) | (uint64_t{1} << 40) | (uint64_t{1} << 44));
  EXPECT_EQ(w[2], e.input_addr);
  EXPECT_EQ(w[3], e.ipa);
  EXPECT_EQ(decode_event(w), e);
}

TEST(SmmuEventRecords, TypesKeepOnlyTheirFields) {
  EventRecord e;
  e.type = EventType::kC_BAD_SUBSTREAMID;
  e.sid = 9;
  e.ssv = true;
  e.ssid = 77;
  e.input_addr = 0x1000;
  e.s2 = true;
  const EventWords w = encode_event(e);
  EXPECT_EQ(w[0], 0x08u | (77u << 12) | (uint64_t{9} << 32));  // no SSV bit
  EXPECT_EQ(w[1], 0u);
  EXPECT_EQ(w[2], 0u);
  e.type = EventType::kF_STE_FETCH;
  e.fetch_addr = 0x0000'00ab'cdef'0128ull;
  const EventWords f = encode_event(e);
  EXPECT_EQ(f[3], e.fetch_addr);
  EXPECT_EQ(f[2], 0u);
  EXPECT_EQ(static_cast<unsigned>(EventType::kF_WALK_EABT), 0x0Bu);
  EXPECT_EQ(static_cast<unsigned>(EventType::kF_TRANSLATION), 0x10u);
}

}  // namespace
}  // namespace isim::smmuv3
