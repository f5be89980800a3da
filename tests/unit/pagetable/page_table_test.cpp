// The runtime-selected wrapper: make_page_table over every format, and walks over variants.
#include <gtest/gtest.h>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

class PageTableWrapper : public ::testing::TestWithParam<FmtCase> {};

TEST_P(PageTableWrapper, MapTranslateUnmapAndFree) {
  Env env;
  {
    std::unique_ptr<PageTable> pt =
        make_page_table(GetParam().fmt, env.mem, env.alloc, GetParam().opts);
    ASSERT_NE(pt, nullptr);
    EXPECT_STREQ(format_name(pt->format()), format_name(GetParam().fmt));
    EXPECT_EQ(pt->table_count(), 1u);
    ASSERT_EQ(pt->map(0x3000, 0x7000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
    const WalkResult r = pt->translate(0x3abc, AccessReq::rw(), {});
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    EXPECT_EQ(r.tr.oa, 0x7abcu);
    EXPECT_LE(r.log.reads.size(), top_level(GetParam().fmt) + 1);

    // The free function over the variant agrees with the virtual one.
    WalkStart s;
    s.table = pt->root();
    const WalkResult v = walk(pt->format(), env.mem, s, 0x3abc, AccessReq::rw());
    EXPECT_EQ(v.tr.oa, r.tr.oa);
    EXPECT_EQ(v.log.reads.size(), r.log.reads.size());

    const UnmapResult u = pt->unmap(0x3000, 0x1000);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u.removed.size(), 1u);
    EXPECT_EQ(pt->table_count(), 1u);
    EXPECT_EQ(pt->translate(0x3abc, AccessReq::r(), {}).fault.kind, FaultKind::NotPresent);
    ASSERT_EQ(pt->map(0x5000, 0x7000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  }
  EXPECT_EQ(env.alloc.bytes_in_use(), 0u);  // destroying the PageTable frees its tables
}

TEST_P(PageTableWrapper, TablePointerOutsideMemoryIsBusError) {
  Env env;
  std::unique_ptr<PageTable> pt = make_page_table(GetParam().fmt, env.mem, env.alloc);
  ASSERT_NE(pt, nullptr);
  const unsigned top = top_level(GetParam().fmt);
  if (top == 0) GTEST_SKIP() << "a single-level table has no table pointers";
  ASSERT_EQ(pt->map(0x3000, 0x7000, 0x1000, MapAttrs::rw()), MapStatus::Ok);
  const WalkResult good = pt->translate(0x3000, AccessReq::r(), {});
  ASSERT_TRUE(good.ok());
  // Re-point the root entry at a table beyond the end of simulated memory.
  const uint64_t outside = kMemSize + 0x10000;
  const uint64_t entry = std::visit(
      [&](const auto& f) { return f.encode_table(outside, top, top - 1); }, GetParam().fmt);
  env.mem.write_le64(good.log.reads[0].pa, entry);
  const WalkResult r = pt->translate(0x3000, AccessReq::r(), {});
  ASSERT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, top - 1);
  const uint64_t index =
      std::visit([&](const auto& f) { return table_index(f, 0x3000, top - 1); }, GetParam().fmt);
  EXPECT_EQ(r.fault.entry_pa, outside + index * 8);
  ASSERT_EQ(r.log.reads.size(), 2u);
  EXPECT_FALSE(r.log.reads[1].ok);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, PageTableWrapper, ::testing::ValuesIn(all_format_cases()),
                         case_name);

TEST(PageTable, NullWhenTheRootCannotBeAllocated) {
  Env env;
  PhysAllocator none(kTableBase, kTableBase);
  EXPECT_EQ(make_page_table(X86Format(), env.mem, none), nullptr);
}

}  // namespace
}  // namespace isim::pt::test
