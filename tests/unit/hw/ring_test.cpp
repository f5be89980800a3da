// Rings in simulated memory: SMMU-style wrap-bit pointers and VT-d/AMD-style byte offsets.
#include "hw/ring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <deque>
#include <stdexcept>

#include "base/rng.h"
#include "hw/sparse_memory.h"

namespace isim {
namespace {

using Entry = std::array<uint64_t, 2>;

TEST(RingGeometry, RejectsBadGeometry) {
  EXPECT_THROW(RingGeometry(0, 4, 0), std::invalid_argument);
  EXPECT_THROW(RingGeometry(0, RingGeometry::kMaxLog2Entries + 1, 16), std::invalid_argument);
  RingGeometry g(0x1000, 3, 16);
  EXPECT_EQ(g.entries(), 8u);
  EXPECT_EQ(g.size_bytes(), 128u);
  EXPECT_EQ(g.slot_addr(0), 0x1000u);
  EXPECT_EQ(g.slot_addr(7), 0x1070u);
  EXPECT_EQ(g.slot_addr(8), 0x1000u);
}

TEST(RingGeometry, EntrySizeMustMatchBuffer) {
  SparseMemory mem(1 << 20);
  RingGeometry g(0, 2, 16);
  std::array<uint64_t, 4> big{};
  EXPECT_THROW(g.read_slot(mem, 0, std::span<uint64_t>(big)), std::invalid_argument);
  std::array<std::byte, 8> small{};
  EXPECT_THROW(g.write_slot(mem, 0, std::span<const std::byte>(small)), std::invalid_argument);
}

// ---------------------------------------------------------------- SMMU style

TEST(WrapIndexRing, PointerArithmetic) {
  WrapIndexRing q(0x8000, 2, 16);  // 4 entries: index bits 1:0, wrap bit 2
  EXPECT_EQ(q.index_mask(), 0x3u);
  EXPECT_EQ(q.wrap_flag(), 0x4u);
  EXPECT_TRUE(q.empty(0, 0));
  EXPECT_FALSE(q.full(0, 0));
  EXPECT_EQ(q.next(3), 4u);  // index wraps to 0, wrap flag toggles on
  EXPECT_EQ(q.next(7), 0u);  // and toggles off again
  EXPECT_EQ(q.index(6), 2u);
  EXPECT_TRUE(q.wrap(6));
  EXPECT_TRUE(q.full(4, 0));
  EXPECT_TRUE(q.full(1, 5));
  EXPECT_FALSE(q.empty(4, 0));
  EXPECT_EQ(q.used(4, 0), 4u);
  EXPECT_EQ(q.used(1, 6), 3u);  // cons at index 2 (wrap 1), prod at index 1 (wrap 0)
  EXPECT_EQ(q.space(1, 6), 1u);
  EXPECT_EQ(q.advance(3, 6), 1u);
  EXPECT_EQ(q.entry_addr(6), 0x8000u + 2 * 16);
}

TEST(WrapIndexRing, BitsAboveTheWrapFlagAreIgnored) {
  WrapIndexRing q(0, 2, 16);
  const uint32_t written = 0x000F'FFF5;  // software set RES0 bits 19:3
  EXPECT_TRUE(q.has_extra_bits(written));
  EXPECT_EQ(q.canonical(written), 0x5u);
  EXPECT_FALSE(q.has_extra_bits(0x7));
  EXPECT_TRUE(q.empty(written, 0x5));  // comparisons ignore them too
  EXPECT_TRUE(q.full(written, 0x1));
}

TEST(WrapIndexRing, SingleEntryQueue) {
  WrapIndexRing q(0, 0, 16);  // QS = 0: no index bits, wrap flag is bit 0
  EXPECT_EQ(q.next(0), 1u);
  EXPECT_EQ(q.next(1), 0u);
  EXPECT_TRUE(q.full(1, 0));
  EXPECT_TRUE(q.empty(1, 1));
  EXPECT_EQ(q.entry_addr(1), 0u);
}

// Random producer/consumer traffic against a deque; entries carry a sequence number so the
// consumer checks order and content through memory.
TEST(WrapIndexRing, ProducerConsumerMatchesDeque) {
  for (unsigned lg2 : {0u, 1u, 3u, 5u}) {
    SparseMemory mem(1 << 20);
    WrapIndexRing q(0x4000, lg2, 16);
    std::deque<uint64_t> ref;
    uint32_t prod = 0, cons = 0;
    uint64_t seq = 0;
    Rng rng(lg2 + 1);
    for (int step = 0; step < 4000; ++step) {
      ASSERT_EQ(q.empty(prod, cons), ref.empty());
      ASSERT_EQ(q.full(prod, cons), ref.size() == q.entries());
      ASSERT_EQ(q.used(prod, cons), ref.size());
      if (rng.below(2) && !q.full(prod, cons)) {
        const Entry e{seq, ~seq};
        ASSERT_TRUE(q.write_entry(mem, prod, std::span<const uint64_t>(e)));
        ref.push_back(seq++);
        prod = q.next(prod);
      } else if (!q.empty(prod, cons)) {
        Entry e{};
        ASSERT_TRUE(q.read_entry(mem, cons, std::span<uint64_t>(e)));
        ASSERT_EQ(e[0], ref.front());
        ASSERT_EQ(e[1], ~ref.front());
        ref.pop_front();
        cons = q.next(cons);
      }
    }
    EXPECT_GT(seq, q.entries() * 2) << "the ring must have wrapped";
  }
}

TEST(WrapIndexRing, EntriesLandAtTheirAddress) {
  SparseMemory mem(1 << 20);
  WrapIndexRing q(0x2000, 3, 32);  // SMMU event queue: 32-byte records
  std::array<uint64_t, 4> rec{1, 2, 3, 4};
  ASSERT_TRUE(q.write_entry(mem, 0xD, std::span<const uint64_t>(rec)));  // index 5, wrap 1
  EXPECT_EQ(mem.read_le64(0x2000 + 5 * 32), 1u);
  EXPECT_EQ(mem.read_le64(0x2000 + 5 * 32 + 24), 4u);
  std::array<std::byte, 32> raw{};
  ASSERT_TRUE(q.read_entry(mem, 5, std::span<std::byte>(raw)));
  uint64_t w2;
  std::memcpy(&w2, raw.data() + 16, 8);
  EXPECT_EQ(w2, 3u);
}

TEST(WrapIndexRing, BusErrorIsReported) {
  SparseMemory mem(0x10000);
  WrapIndexRing q(0x10000 - 32, 2, 16);  // last two entries lie beyond memory
  Entry e{5, 6};
  EXPECT_TRUE(q.write_entry(mem, 1, std::span<const uint64_t>(e)));
  EXPECT_FALSE(q.write_entry(mem, 2, std::span<const uint64_t>(e)));
  Entry out{};
  EXPECT_TRUE(q.read_entry(mem, 1, std::span<uint64_t>(out)));
  EXPECT_EQ(out, e);
  EXPECT_FALSE(q.read_entry(mem, 3, std::span<uint64_t>(out)));
}

// ---------------------------------------------------------------- byte offsets

TEST(ByteOffsetRing, VtdLegacyDescriptorOffsets) {
  // IQA.QS = 0: one 4 KiB page of 16-byte descriptors (VT-d 6.5.2).
  ByteOffsetRing iq(0x10000, 8, 16);
  EXPECT_EQ(iq.size_bytes(), 4096u);
  EXPECT_EQ(iq.check(0), RingOffsetError::none);
  EXPECT_EQ(iq.check(0xFF0), RingOffsetError::none);
  EXPECT_EQ(iq.check(0x1000), RingOffsetError::out_of_range);
  EXPECT_EQ(iq.check(0x18), RingOffsetError::misaligned);
  EXPECT_EQ(iq.next(0xFF0), 0u);
  EXPECT_EQ(iq.entry_addr(0x30), 0x10030u);
}

TEST(ByteOffsetRing, VtdWideDescriptorsRejectBit4) {
  // 256-bit descriptors: the same 4 KiB holds 128 of them, and an offset with bit 4 set is
  // misaligned (VT-d IQEI 6).
  ByteOffsetRing iq(0x10000, 7, 32);
  EXPECT_EQ(iq.check(0x10), RingOffsetError::misaligned);
  EXPECT_EQ(iq.check(0x20), RingOffsetError::none);
  EXPECT_EQ(iq.next(0xFE0), 0u);
  EXPECT_EQ(iq.entry_addr(0x40), 0x10040u);
}

TEST(ByteOffsetRing, AmdCommandBufferFullAndEmpty) {
  // ComLen = 8: 256 commands of 16 bytes (AMD 48882 3.3); full leaves one entry free.
  ByteOffsetRing cb(0x20000, 8, 16);
  EXPECT_TRUE(cb.empty(0x100, 0x100));
  EXPECT_TRUE(cb.full(0, 0xFF0));
  EXPECT_TRUE(cb.full(0x100, 0xF0));
  EXPECT_FALSE(cb.full(0x100, 0x100));
  EXPECT_EQ(cb.used(0, 0xFF0), 255u);
  EXPECT_EQ(cb.used(0xFF0, 0x10), 2u);  // tail wrapped past the end
  EXPECT_EQ(cb.space(0xFF0, 0x10), 253u);
}

TEST(ByteOffsetRing, ProducerConsumerMatchesDeque) {
  for (unsigned lg2 : {1u, 2u, 4u, 8u}) {
    SparseMemory mem(1 << 20);
    ByteOffsetRing r(0x8000, lg2, 16);
    std::deque<uint64_t> ref;
    uint64_t head = 0, tail = 0, seq = 0;
    Rng rng(lg2 + 100);
    for (int step = 0; step < 4000; ++step) {
      ASSERT_TRUE(r.valid(head));
      ASSERT_TRUE(r.valid(tail));
      ASSERT_EQ(r.empty(head, tail), ref.empty());
      ASSERT_EQ(r.full(head, tail), ref.size() == r.entries() - 1);
      ASSERT_EQ(r.used(head, tail), ref.size());
      if (rng.below(2) && !r.full(head, tail)) {
        const Entry e{seq, seq * 3};
        ASSERT_TRUE(r.write_entry(mem, tail, std::span<const uint64_t>(e)));
        ref.push_back(seq++);
        tail = r.next(tail);
      } else if (!r.empty(head, tail)) {
        Entry e{};
        ASSERT_TRUE(r.read_entry(mem, head, std::span<uint64_t>(e)));
        ASSERT_EQ(e[0], ref.front());
        ASSERT_EQ(e[1], ref.front() * 3);
        ref.pop_front();
        head = r.next(head);
      }
    }
    EXPECT_GT(seq, r.entries() * 2) << "the ring must have wrapped";
  }
}

}  // namespace
}  // namespace isim
