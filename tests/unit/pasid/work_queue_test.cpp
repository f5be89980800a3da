#include "pasid/work_queue.h"

#include <gtest/gtest.h>

#include <cstring>

#include "pasid/work_descriptor.h"

namespace isim::pasid {
namespace {

WorkDescriptor copy_desc(uint32_t pasid) {
  WorkDescriptor d;
  d.pasid = pasid;
  d.opcode = static_cast<uint8_t>(Opcode::memmove);
  d.flags = desc_flag::kCompletionAddrValid | desc_flag::kRequestCompletion;
  d.completion_addr = 0x1000;
  d.src = 0x7000'0000;
  d.dst = 0x7100'0000;
  d.xfer_size = 4096;
  return d;
}

TEST(WorkDescriptor, FieldsSitWhereTheDsaLayoutPutsThem) {
  WorkDescriptor d = copy_desc(0xabcde);
  d.priv = true;
  d.int_handle = 0x1234;
  const DescriptorBytes b = d.encode();
  uint32_t w0, w1, size;
  uint64_t cr, src, dst;
  std::memcpy(&w0, &b[0], 4);
  std::memcpy(&w1, &b[4], 4);
  std::memcpy(&cr, &b[8], 8);
  std::memcpy(&src, &b[16], 8);
  std::memcpy(&dst, &b[24], 8);
  std::memcpy(&size, &b[32], 4);
  EXPECT_EQ(w0, 0x800abcdeu);  // PASID 19:0, Priv 31
  EXPECT_EQ(w1 >> 24, 0x03u);  // Opcode 31:24: memory move
  EXPECT_EQ(w1 & 0xffffffu, 0x0cu);
  EXPECT_EQ(cr, 0x1000u);
  EXPECT_EQ(src, 0x7000'0000u);
  EXPECT_EQ(dst, 0x7100'0000u);
  EXPECT_EQ(size, 4096u);
  EXPECT_EQ(b[36] | (b[37] << 8), 0x1234);
  const WorkDescriptor r = WorkDescriptor::decode(b);
  EXPECT_EQ(r.pasid, d.pasid);
  EXPECT_TRUE(r.priv);
  EXPECT_EQ(r.flags, d.flags);
  EXPECT_EQ(r.opcode, d.opcode);
  EXPECT_EQ(r.int_handle, 0x1234);
}

TEST(WorkDescriptor, CompletionRecordLayout) {
  CompletionRecord c;
  c.status = CompletionStatus::page_fault_nobof;
  c.bytes_completed = 0x800;
  c.fault_addr = 0xdead'b000;
  const CompletionBytes b = c.encode();
  EXPECT_EQ(b[0], 0x03);
  uint32_t done;
  uint64_t fa;
  std::memcpy(&done, &b[4], 4);
  std::memcpy(&fa, &b[8], 8);
  EXPECT_EQ(done, 0x800u);
  EXPECT_EQ(fa, 0xdead'b000u);
  const CompletionRecord r = CompletionRecord::decode(b);
  EXPECT_EQ(r.status, CompletionStatus::page_fault_nobof);
  EXPECT_EQ(r.bytes_completed, 0x800u);
}

TEST(Enqcmd, PutsThePasidFromTheMsrIntoTheCommand) {
  const WorkDescriptor d = copy_desc(0);  // software leaves the first dword zero
  const auto out = enqcmd_form(d.encode(), Ia32Pasid{0x12345, true});
  ASSERT_TRUE(out);
  const WorkDescriptor r = WorkDescriptor::decode(*out);
  EXPECT_EQ(r.pasid, 0x12345u);
  EXPECT_FALSE(r.priv);
  uint32_t w0;
  std::memcpy(&w0, out->data(), 4);
  EXPECT_EQ(w0, 0x12345u);  // bits 31:20 zero
  EXPECT_EQ(r.src, d.src);
  EXPECT_EQ(r.opcode, d.opcode);
}

TEST(Enqcmd, NonZeroSourceBits31To0AreAFault) {
  EXPECT_FALSE(enqcmd_form(copy_desc(0x77).encode(), Ia32Pasid{5, true}));
  WorkDescriptor d = copy_desc(0);
  d.priv = true;
  EXPECT_FALSE(enqcmd_form(d.encode(), Ia32Pasid{5, true}));
}

TEST(Enqcmd, InvalidMsrIsAFault) {
  EXPECT_FALSE(enqcmd_form(copy_desc(0).encode(), Ia32Pasid{5, false}));
  EXPECT_EQ(Ia32Pasid({5, true}).encode(), (uint64_t{1} << 31) | 5);
}

TEST(St64bv0, ReplacesTheFirstWordWithAccdataWhateverTheSourceHeld) {
  // The same command ENQCMD forms, from a source whose first word software did not clear.
  const DescriptorBytes out = st64bv0_form(copy_desc(0x77).encode(), 0xdead'0000'0001'2345ull);
  const WorkDescriptor r = WorkDescriptor::decode(out);
  EXPECT_EQ(r.pasid, 0x12345u);
  EXPECT_FALSE(r.priv);
  EXPECT_EQ(out, *enqcmd_form(copy_desc(0).encode(), Ia32Pasid{0x12345, true}));
  // ACCDATA_EL1[31] reaches the device too: a kernel that set it would claim privilege.
  EXPECT_TRUE(WorkDescriptor::decode(st64bv0_form(copy_desc(0).encode(), 0x8000'0005)).priv);
}

TEST(WorkQueue, SharedQueueAcceptsUntilFullThenAsksForRetry) {
  WorkQueue q(WqMode::shared, 3);
  for (uint32_t p = 1; p <= 3; ++p)
    EXPECT_EQ(q.enqcmd(copy_desc(p).encode()), SubmitStatus::accepted);
  EXPECT_EQ(q.enqcmd(copy_desc(4).encode()), SubmitStatus::retry);
  EXPECT_EQ(q.occupancy(), 3u);
  // FIFO, and each descriptor keeps its submitter's PASID.
  EXPECT_EQ(q.pop().pasid, 1u);
  EXPECT_EQ(q.enqcmd(copy_desc(4).encode()), SubmitStatus::accepted);
  EXPECT_EQ(q.pop().pasid, 2u);
  EXPECT_EQ(q.pop().pasid, 3u);
  EXPECT_EQ(q.pop().pasid, 4u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.counts().accepted, 4u);
  EXPECT_EQ(q.counts().retries, 1u);
  EXPECT_EQ(q.movdir64b(copy_desc(1).encode()), SubmitStatus::refused);
}

TEST(WorkQueue, DedicatedQueueUsesItsConfiguredPasidAndDropsWhenFull) {
  WorkQueue q(WqMode::dedicated, 2, 0x42);
  EXPECT_EQ(q.movdir64b(copy_desc(9).encode()), SubmitStatus::accepted);
  EXPECT_EQ(q.movdir64b(copy_desc(9).encode()), SubmitStatus::accepted);
  EXPECT_EQ(q.movdir64b(copy_desc(9).encode()), SubmitStatus::dropped);
  EXPECT_EQ(q.enqcmd(copy_desc(9).encode()), SubmitStatus::refused);
  EXPECT_EQ(q.pop().pasid, 0x42u);
  EXPECT_EQ(q.counts().dropped, 1u);
  EXPECT_EQ(q.counts().refused, 1u);
}

}  // namespace
}  // namespace isim::pasid
