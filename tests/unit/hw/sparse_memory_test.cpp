// SparseMemory: zero-fill semantics, page-crossing accesses, range checks, and host cost that
// follows what is touched rather than the simulated size; PhysAllocator reuse and alignment.
#include "hw/sparse_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "base/rng.h"
#include "hw/phys_allocator.h"

namespace isim {
namespace {

TEST(SparseMemory, UntouchedMemoryReadsZeroAndCostsNothing) {
  SparseMemory m(uint64_t{1} << 40);  // 1 TiB
  uint64_t v = 0xdead;
  ASSERT_TRUE(m.read((uint64_t{1} << 40) - 8, &v, 8));
  EXPECT_EQ(v, 0u);
  std::vector<uint8_t> buf(10000, 0xaa);
  ASSERT_TRUE(m.read(12345, buf.data(), buf.size()));
  for (uint8_t b : buf) ASSERT_EQ(b, 0);
  EXPECT_EQ(m.touched_pages(), 0u);
  EXPECT_EQ(m.page_for_read(0x1000), nullptr);
}

TEST(SparseMemory, WritesAllocateOnlyTheirPages) {
  SparseMemory m(uint64_t{1} << 40);
  ASSERT_TRUE(m.write_le64(0x10, 1));
  ASSERT_TRUE(m.write_le64((uint64_t{1} << 40) - 8, 2));  // the last word of 1 TiB
  ASSERT_TRUE(m.write_le64(uint64_t{5} << 30, 3));
  EXPECT_EQ(m.touched_pages(), 3u);
  EXPECT_EQ(m.read_le64(0x10), 1u);
  EXPECT_EQ(m.read_le64((uint64_t{1} << 40) - 8), 2u);
  EXPECT_EQ(m.read_le64(uint64_t{5} << 30), 3u);
  EXPECT_EQ(m.read_le64(0x18), 0u);  // same page, untouched word
}

TEST(SparseMemory, AccessesCrossPageBoundaries) {
  SparseMemory m(1 << 20);
  std::vector<uint8_t> in(9000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_TRUE(m.write(4090, in.data(), in.size()));  // spans pages 0..3
  EXPECT_EQ(m.touched_pages(), 4u);
  std::vector<uint8_t> out(in.size());
  ASSERT_TRUE(m.read(4090, out.data(), out.size()));
  EXPECT_EQ(out, in);
  // An 8-byte read straddling a page boundary takes the general path and is still exact.
  uint64_t v = 0, want = 0;
  std::memcpy(&want, in.data() + 2, 8);
  ASSERT_TRUE(m.read(4092, &v, 8));
  EXPECT_EQ(v, want);
}

TEST(SparseMemory, OutOfRangeAccessesFailAndChangeNothing) {
  SparseMemory m(1 << 20);
  uint64_t v = 7;
  EXPECT_FALSE(m.read((1 << 20) - 4, &v, 8));  // straddles the end
  EXPECT_EQ(v, 7u);
  EXPECT_FALSE(m.write((1 << 20) - 4, &v, 8));
  EXPECT_FALSE(m.write(~uint64_t{0} - 2, &v, 8));  // would wrap around
  EXPECT_FALSE(m.read_le64(uint64_t{1} << 40));
  EXPECT_EQ(m.touched_pages(), 0u);
  EXPECT_EQ(m.page_for_write(1 << 20), nullptr);
}

TEST(SparseMemory, HugeAddressSpacesUseTheSparseDirectory) {
  // 2^52 bytes: too large for a flat top-level directory; must still work and stay cheap.
  SparseMemory m(uint64_t{1} << 52);
  const uint64_t far = (uint64_t{1} << 52) - 4096;
  ASSERT_TRUE(m.write_be64(far, 0x0102030405060708ull));
  EXPECT_EQ(m.read_be64(far), 0x0102030405060708ull);
  EXPECT_EQ(m.read_le64(far), 0x0807060504030201ull);  // big-endian helpers byte-swap
  EXPECT_EQ(m.read_le64(far + 8), 0u);
  EXPECT_EQ(m.touched_pages(), 1u);
}

TEST(SparseMemory, RandomAccessesMatchAReferenceModel) {
  SparseMemory m(uint64_t{64} << 30);
  std::map<uint64_t, uint8_t> ref;  // byte address -> value
  Rng rng(3);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t a = rng.below((uint64_t{64} << 30) - 64);
    const size_t len = 1 + rng.below(24);
    std::vector<uint8_t> data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng.next());
    ASSERT_TRUE(m.write(a, data.data(), len));
    for (size_t k = 0; k < len; ++k) ref[a + k] = data[k];
  }
  for (const auto& [a, b] : ref) {
    uint8_t got = 0;
    ASSERT_TRUE(m.read(a, &got, 1));
    ASSERT_EQ(got, b) << a;
  }
  // Page pointers are stable and see the same bytes.
  const uint64_t a = ref.begin()->first;
  const uint8_t* p = m.page_for_read(a);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[a & 4095], ref.begin()->second);
  EXPECT_EQ(m.page_for_write(a), p);
}

TEST(PhysAllocator, AlignsReusesAndRunsOut) {
  PhysAllocator alloc(0x1000, 0x10000);
  const auto a = alloc.alloc(0x1000, 0x1000);
  const auto b = alloc.alloc(0x40, 0x40);
  const auto c = alloc.alloc(0x2000, 0x2000);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, 0x1000u);
  EXPECT_EQ(*b, 0x2000u);
  EXPECT_EQ(*c % 0x2000, 0u);
  EXPECT_GE(*c, *b + 0x40);
  EXPECT_EQ(alloc.bytes_in_use(), 0x1000u + 0x40 + 0x2000);
  alloc.free(*a, 0x1000);
  EXPECT_EQ(alloc.alloc(0x1000, 0x1000), a);   // a freed block of the same size is reused
  EXPECT_FALSE(alloc.alloc(0x10000, 0x1000));  // larger than what is left
  EXPECT_FALSE(alloc.alloc(0x1000, 3));        // alignment must be a power of two
  EXPECT_FALSE(alloc.alloc(0, 8));
}

}  // namespace
}  // namespace isim
