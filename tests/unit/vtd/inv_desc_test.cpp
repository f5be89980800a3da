// Invalidation descriptor decoding (VT-d 6.5.2): fields land where the spec puts them, reserved
// bits and unknown types are queue errors with the architected IQEI.
#include <gtest/gtest.h>

#include <array>

#include "models/vtd/inv_desc.h"

namespace isim::vtd {
namespace {

InvDecode decode(std::array<uint64_t, 4> q, const Capabilities& k = {}) {
  return decode_inv_descriptor(q, k);
}

TEST(VtdInvDesc, ContextCacheDeviceSelective) {
  // G=3 (device), DID 0x12, SID 0x0108, FM 2.
  const InvDecode r =
      decode({0x1 | (3u << 4) | (0x12ull << 16) | (0x0108ull << 32) | (2ull << 48), 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::ContextCache);
  EXPECT_EQ(r.d.gran, 3u);
  EXPECT_EQ(r.d.did, 0x12);
  EXPECT_EQ(r.d.sid, 0x0108);
  EXPECT_EQ(r.d.fm, 2u);
}

TEST(VtdInvDesc, IotlbPageSelective) {
  const InvDecode r = decode(
      {0x2 | (3u << 4) | (1u << 6) | (1u << 7) | (0x7ull << 16), 0x12345000 | (1u << 6) | 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::Iotlb);
  EXPECT_EQ(r.d.gran, 3u);
  EXPECT_TRUE(r.d.dw && r.d.dr && r.d.ih);
  EXPECT_EQ(r.d.did, 7);
  EXPECT_EQ(r.d.addr, 0x12345000u);
  EXPECT_EQ(r.d.am, 3u);
}

TEST(VtdInvDesc, WaitWithStatusWrite) {
  const InvDecode r = decode({0x5 | (1u << 4) | (1u << 5) | (0xabcdull << 32), 0x7000 | 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::Wait);
  EXPECT_TRUE(r.d.if_ && r.d.sw);
  EXPECT_FALSE(r.d.fn || r.d.pd);
  EXPECT_EQ(r.d.stdata, 0xabcdu);
  EXPECT_EQ(r.d.addr, 0x7000u);
}

TEST(VtdInvDesc, PasidBasedTypes) {
  InvDecode r = decode({0x6 | (3u << 4) | (0x9ull << 16) | (0x12345ull << 32), 0x40000000 | 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::PasidIotlb);
  EXPECT_EQ(r.d.pasid, 0x12345u);
  EXPECT_EQ(r.d.am, 1u);
  r = decode({0x7 | (1u << 4) | (0x9ull << 16) | (0x5ull << 32), 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::PasidCache);
  EXPECT_EQ(r.d.gran, 1u);
  // PASID-based device-TLB: MIP 8:4, PFSID split 15:12 / 63:52, SID 31:16, G in QW1 bit 0.
  r = decode({0x8 | (0x1full << 4) | (0x3ull << 12) | (0x0200ull << 16) | (0x7ull << 32) |
                  (0xabcull << 52),
              0x1000 | 1 | (1u << 11)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.mip, 0x1fu);
  EXPECT_EQ(r.d.pfsid, 0xabc3);
  EXPECT_EQ(r.d.sid, 0x0200);
  EXPECT_TRUE(r.d.global && r.d.size);
  // Page group response with private data in QW2/QW3.
  r = decode({0x9 | (1u << 4) | (1u << 5) | (0xfull << 12) | (0x0300ull << 16) | (0x4ull << 32),
              (1u << 2) | (0x1ffull << 3), 0x1111, 0x2222});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.d.type, InvType::PageGroupResponse);
  EXPECT_TRUE(r.d.pp && r.d.pdp && r.d.lpig);
  EXPECT_EQ(r.d.resp_code, 0xfu);
  EXPECT_EQ(r.d.sid, 0x0300);
  EXPECT_EQ(r.d.prgi, 0x1ffu);
}

TEST(VtdInvDesc, UnknownTypesAreInvalidType) {
  EXPECT_EQ(decode({0x0, 0}).error, Iqei::InvalidType);
  EXPECT_EQ(decode({0xa, 0}).error, Iqei::InvalidType);
  EXPECT_EQ(decode({0xf, 0}).error, Iqei::InvalidType);
  // type[6:4] in bits 11:9 makes an otherwise valid low nibble a different (unknown) type.
  EXPECT_EQ(decode({0x5 | (1u << 9), 0}).error, Iqei::InvalidType);
  // Types the unit has no feature for.
  Capabilities k;
  k.smts = false;
  k.prs = false;
  EXPECT_EQ(decode({0x6 | (2u << 4), 0}, k).error, Iqei::InvalidType);
  EXPECT_EQ(decode({0x9, 0}, k).error, Iqei::InvalidType);
}

TEST(VtdInvDesc, ReservedFieldsAreReservedViolations) {
  // IOTLB QW0 bits 63:32 are reserved.
  EXPECT_EQ(decode({0x2 | (1u << 4) | (1ull << 40), 0}).error, Iqei::Reserved);
  // IOTLB QW1 bits 11:7.
  EXPECT_EQ(decode({0x2 | (1u << 4), 1u << 8}).error, Iqei::Reserved);
  // Context-cache QW1 is reserved; G=00b is reserved.
  EXPECT_EQ(decode({0x1 | (1u << 4), 1}).error, Iqei::Reserved);
  EXPECT_EQ(decode({0x1, 0}).error, Iqei::Reserved);
  // Wait: STADDR bits 1:0; PD without ECAP.PDS.
  EXPECT_EQ(decode({0x5 | (1u << 5), 0x7002}).error, Iqei::Reserved);
  EXPECT_EQ(decode({0x5 | (1u << 7), 0}).error, Iqei::Reserved);
  // 256-bit descriptors: the upper half is reserved for everything but private data.
  EXPECT_EQ(decode({0x5, 0, 1, 0}).error, Iqei::Reserved);
  EXPECT_EQ(decode({0x9 | (1u << 4), 0, 0, 1}).error, Iqei::Reserved);
  // PASID-cache G=2 and PASID-IOTLB G<2 are reserved granularities.
  EXPECT_EQ(decode({0x7 | (2u << 4), 0}).error, Iqei::Reserved);
  EXPECT_EQ(decode({0x6 | (1u << 4), 0}).error, Iqei::Reserved);
}

TEST(VtdInvDesc, AtsInvalidationRange) {
  EXPECT_EQ(ats_inv_range(0x12345678, false).base, 0x12345000u);
  EXPECT_EQ(ats_inv_range(0x12345678, false).lg2, 12u);
  // S=1, bit 12 clear: 8 KiB.
  AtsRange r = ats_inv_range(0x12344000, true);
  EXPECT_EQ(r.lg2, 13u);
  EXPECT_EQ(r.base, 0x12344000u);
  // S=1, bits 12..14 set, bit 15 clear: 64 KiB at the aligned base.
  r = ats_inv_range(0x12347000, true);
  EXPECT_EQ(r.lg2, 16u);
  EXPECT_EQ(r.base, 0x12340000u);
  // S=1 with ADDR[62:12] all ones and bit 63 clear: the whole 2^64 space.
  r = ats_inv_range(0x7ffffffffffff000ull, true);
  EXPECT_EQ(r.lg2, 64u);
}

}  // namespace
}  // namespace isim::vtd
