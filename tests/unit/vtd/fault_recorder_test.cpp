// Primary fault logging (VT-d 7.2.1, 11.4.9): record contents, PPF/FRI, round-robin index,
// PFO overflow and the events each outcome calls for.
#include <gtest/gtest.h>

#include "models/vtd/fault_recorder.h"

namespace isim::vtd {
namespace {

struct Unit {
  Capabilities caps = [] {
    Capabilities c;
    c.nfr = 1;  // two records
    return c;
  }();
  RegBank bank{caps.mmio_size()};
  RegIds ids = add_registers(bank, caps);
  FaultRecorder rec{bank, ids};

  uint64_t read(uint32_t off) { return bank.read(off, 8).value; }
  uint32_t fsts() { return static_cast<uint32_t>(bank.read(reg::kFsts, 4).value); }
};

Fault write_fault(uint16_t sid, uint64_t addr, FaultReason r) {
  Fault f;
  f.reason = r;
  f.sid = sid;
  f.addr = addr;
  f.read = false;
  f.write = true;
  return f;
}

TEST(VtdFaultRecord, EncodesEveryField) {
  Fault f;
  f.reason = FaultReason::SSL_2;
  f.sid = 0x0310;
  f.addr = 0x1234567891;
  f.read = true;
  f.pasid_present = true;
  f.pasid = 0xabcde;
  f.priv = true;
  f.exe = true;
  f.at = AtsType::TranslationRequest;
  const Qw2 q = encode_frcd(f);
  EXPECT_EQ(q[0], 0x1234567000u);
  EXPECT_EQ(bits(q[1], 15, 0), 0x0310u);
  EXPECT_FALSE(bit(q[1], 28));  // T2: not an AtomicOp
  EXPECT_TRUE(bit(q[1], 29));   // PRIV
  EXPECT_TRUE(bit(q[1], 30));   // EXE
  EXPECT_TRUE(bit(q[1], 31));   // PP
  EXPECT_EQ(bits(q[1], 39, 32), 0x79u);
  EXPECT_EQ(bits(q[1], 59, 40), 0xabcdeu);
  EXPECT_EQ(bits(q[1], 61, 60), 1u);  // AT = translation request
  EXPECT_TRUE(bit(q[1], 62));         // T1: read
  EXPECT_TRUE(bit(q[1], 63));         // F
  // A write: T1 = T2 = 0; no PASID: PV = 0 whatever the field said.
  Fault w = write_fault(0x0100, 0x2000, FaultReason::LGN_2);
  w.pasid = 0x55;
  const Qw2 qw = encode_frcd(w);
  EXPECT_EQ(qw[1], 0x8000000500000100u);
}

TEST(VtdFaultRecord, FirstFaultSetsPpfAndFriThenRoundRobin) {
  Unit u;
  EXPECT_EQ(u.rec.record(write_fault(0x0100, 0x2000, FaultReason::LGN_2)),
            FaultRecorder::Outcome::RecordedEvent);
  EXPECT_EQ(u.fsts(), 0x2u);  // PPF, FRI 0
  EXPECT_EQ(u.read(reg::frcd_lo(u.caps.fro, 0)), 0x2000u);
  EXPECT_EQ(u.read(reg::frcd_hi(u.caps.fro, 0)), 0x8000000500000100u);
  // Second fault: record 1, no new event while PPF is set.
  EXPECT_EQ(u.rec.record(write_fault(0x0101, 0x3000, FaultReason::LGN_2)),
            FaultRecorder::Outcome::Recorded);
  EXPECT_EQ(bits(u.read(reg::frcd_hi(u.caps.fro, 1)), 15, 0), 0x0101u);
  EXPECT_EQ(u.fsts(), 0x2u);
  // Third: record 0 still holds F -> PFO, nothing written.
  EXPECT_EQ(u.rec.record(write_fault(0x0102, 0x4000, FaultReason::LGN_2)),
            FaultRecorder::Outcome::Overflow);
  EXPECT_EQ(u.fsts(), 0x3u);
  EXPECT_EQ(u.read(reg::frcd_lo(u.caps.fro, 0)), 0x2000u);
  // While PFO is set everything is dropped, even with free records.
  u.bank.write(reg::frcd_hi(u.caps.fro, 0) + 4, 4, 0x80000000u);  // clear F of record 0
  u.rec.refresh_ppf();
  EXPECT_EQ(u.rec.record(write_fault(0x0103, 0x5000, FaultReason::LGN_2)),
            FaultRecorder::Outcome::Dropped);
  // Software clears PFO and record 1: the next fault lands at the index (0) with FRI 0.
  u.bank.write(reg::kFsts, 4, 0x1);
  u.bank.write(reg::frcd_hi(u.caps.fro, 1) + 4, 4, 0x80000000u);
  u.rec.refresh_ppf();
  EXPECT_EQ(u.fsts(), 0x0u);
  EXPECT_EQ(u.rec.record(write_fault(0x0104, 0x6000, FaultReason::LGN_3)),
            FaultRecorder::Outcome::RecordedEvent);
  EXPECT_EQ(u.fsts(), 0x2u);
  EXPECT_EQ(u.read(reg::frcd_lo(u.caps.fro, 0)), 0x6000u);
  EXPECT_EQ(u.rec.index(), 1u);
}

TEST(VtdFaultRecord, FriPointsAtTheFirstPendingRecord) {
  Unit u;
  u.rec.record(write_fault(1, 0x1000, FaultReason::LGN_2));
  u.bank.write(reg::frcd_hi(u.caps.fro, 0) + 4, 4, 0x80000000u);
  u.rec.refresh_ppf();
  // Index is now 1: the next fault goes to record 1 and FRI says so.
  EXPECT_EQ(u.rec.record(write_fault(2, 0x2000, FaultReason::LGN_2)),
            FaultRecorder::Outcome::RecordedEvent);
  EXPECT_EQ(u.fsts(), 0x102u);
}

}  // namespace
}  // namespace isim::vtd
