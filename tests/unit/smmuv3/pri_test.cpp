// PRI queue record layout (IHI 0070 8) and CMD_PRI_RESP response codes (8.3).
#include <gtest/gtest.h>

#include "models/smmuv3/pri.h"

namespace isim::smmuv3 {
namespace {

TEST(SmmuPri, RecordFieldsAtTheirBits) {
  PriRecord r;
  r.sid = 0x1234;
  r.ssv = true;
  r.ssid = 0xabcde;
  r.priv = true;
  r.write = true;
  r.last = true;
  r.prg_index = 0x1a5;
  r.addr = 0x7f0012345000;
  const PriWords w = encode_pri(r);
  EXPECT_EQ(w[0], 0x1234u | uint64_t{0xabcde} << 32 | uint64_t{1} << 58 | uint64_t{1} << 61 |
                      uint64_t{1} << 62 | uint64_t{1} << 63);
  EXPECT_EQ(w[1], 0x7f0012345000u | 0x1a5);
  EXPECT_EQ(decode_pri(w), r);
}

TEST(SmmuPri, NoPasidMeansNoPrivOrExec) {
  PriRecord r;
  r.sid = 7;
  r.priv = r.exec = r.read = true;
  r.ssid = 5;
  const PriWords w = encode_pri(r);
  EXPECT_EQ(w[0], 7u | uint64_t{1} << 60);
}

TEST(SmmuPri, ResponseCodes) {
  EXPECT_EQ(prg_response_code(0b10), kPrgSuccess);
  EXPECT_EQ(prg_response_code(0b01), kPrgInvalid);
  EXPECT_EQ(prg_response_code(0b00), kPrgFailure);
}

}  // namespace
}  // namespace isim::smmuv3
