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
    std::unique_ptr<PageTable> pt = make_page_table(GetParam().fmt, env.mem, env.alloc,
                                                    GetParam().opts);
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

INSTANTIATE_TEST_SUITE_P(AllFormats, PageTableWrapper, ::testing::ValuesIn(all_format_cases()),
                         case_name);

TEST(PageTable, NullWhenTheRootCannotBeAllocated) {
  Env env;
  PhysAllocator none(kTableBase, kTableBase);
  EXPECT_EQ(make_page_table(X86Format(), env.mem, none), nullptr);
}

}  // namespace
}  // namespace isim::pt::test
