// The functional translator against tables written by hand (no hypervisor): window selection by
// address bit 59, every blocked reason, multi-level tables, EEH freeze, PE grouping, and the
// one-snapshot rule for reconfiguration.
#include <gtest/gtest.h>

#include "models/tce/tce_entry.h"
#include "tce_test_env.h"

namespace isim::tce::test {
namespace {

constexpr uint64_t kTable0 = 0x100000;  // hand-placed tables below the hypervisor pool
constexpr uint64_t kTable1 = 0x200000;
constexpr uint64_t kLower = 0x300000;
constexpr uint64_t kBit59 = uint64_t{1} << 59;

/// PE `pe` with a 1 GiB 4 KiB default window at kTable0 and a two-level 64 KiB-page DDW of
/// 16 GiB (2^18 TCEs) at kTable1, 9 index bits per level.
void hand_tables(Phb& p, uint32_t pe) {
  PeWindows w = p.pes.boot_windows(pe);
  w.slot[0].table_pa = kTable0;
  w.slot[0].table_present = true;
  pt::TceConfig c;
  c.page_lg2 = 16;
  c.levels = 2;
  c.window_lg2 = 16 + 18;
  TceWindow& d = w.slot[1];
  d.enabled = true;
  d.fmt = pt::TceFormat(c);
  d.table_pa = kTable1;
  d.table_present = true;
  p.pes.commit(pe, w);
}

TEST(Translator, DefaultWindowReadWriteAndPermissions) {
  Phb p;
  hand_tables(p, 0x100);
  ASSERT_TRUE(p.mem.write_be64(kTable0 + 3 * 8, 0xabc000 | kTceRead));
  ASSERT_TRUE(p.mem.write_be64(kTable0 + 4 * 8, 0xdef000 | kTceWrite));
  TceResult r = p.xl.translate({0x0100, 0x3010, false});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, 0xabc010u);
  EXPECT_EQ(r.slot, 0u);
  EXPECT_EQ(r.reads, 1u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x3010, true}).reason, BlockReason::permission);
  EXPECT_EQ(p.xl.translate({0x0100, 0x4ff8, true}).out, 0xdefff8u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x4ff8, false}).reason, BlockReason::permission);
  EXPECT_EQ(p.xl.translate({0x0100, 0x5000, false}).reason, BlockReason::invalid_tce);
  EXPECT_EQ(p.xl.translate({0x0100, uint64_t{1} << 30, false}).reason,
            BlockReason::outside_windows);
}

TEST(Translator, Bit59SelectsTheSecondWindowWithItsOwnTable) {
  Phb p;
  hand_tables(p, 0x100);
  // Offset 0x1_2345 in the DDW: TCE index 1 (64 KiB pages) = level-1 index 0, level-0 index 1.
  ASSERT_TRUE(p.mem.write_be64(kTable1, kLower | kTceRead | kTceWrite));
  ASSERT_TRUE(p.mem.write_be64(kLower + 1 * 8, 0x7770000 | kTceRead | kTceWrite));
  TceResult r = p.xl.translate({0x0100, kBit59 + 0x12345, true});
  ASSERT_TRUE(r.ok()) << to_string(r.reason);
  EXPECT_EQ(r.slot, 1u);
  EXPECT_EQ(r.out, 0x7772345u);
  EXPECT_EQ(r.reads, 2u);
  // The same offset without bit 59 is the default window's (empty) TCE.
  EXPECT_EQ(p.xl.translate({0x0100, 0x12345, true}).reason, BlockReason::invalid_tce);
  // Past the DDW's 16 GiB, and addresses with bits above 59 set.
  EXPECT_EQ(p.xl.translate({0x0100, kBit59 + (uint64_t{1} << 34), true}).reason,
            BlockReason::outside_windows);
  EXPECT_EQ(p.xl.translate({0x0100, uint64_t{1} << 60, true}).reason, BlockReason::outside_windows);
  // A missing lower table (indirect TCE with R = W = 0) is an invalid TCE.
  EXPECT_EQ(p.xl.translate({0x0100, kBit59 + (uint64_t{1} << 25), false}).reason,
            BlockReason::invalid_tce);
}

TEST(Translator, TableOutsideMemoryIsATableError) {
  Phb p;
  PeWindows w = p.pes.boot_windows(0x100);
  w.slot[0].table_pa = kMemSize;  // past the end of memory
  w.slot[0].table_present = true;
  p.pes.commit(0x100, w);
  EXPECT_EQ(p.xl.translate({0x0100, 0x0, false}).reason, BlockReason::table_error);
}

TEST(Translator, UntouchedPeHasTheEmptyDefaultWindow) {
  Phb p;
  const TceResult r = p.xl.translate({0x0777, 0x1000, false});
  EXPECT_EQ(r.reason, BlockReason::invalid_tce);
  EXPECT_EQ(r.reads, 0u);
  EXPECT_EQ(p.xl.translate({0x0777, kBit59, false}).reason, BlockReason::outside_windows);
}

TEST(Translator, FunctionsOfOnePeShareItsWindows) {
  Phb p(/*rid_shift=*/3);
  hand_tables(p, 0x20);  // RIDs 0x0100..0x0107
  ASSERT_TRUE(p.mem.write_be64(kTable0, 0x5000 | kTceRead));
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, false}).out, 0x5008u);
  EXPECT_EQ(p.xl.translate({0x0107, 0x8, false}).out, 0x5008u);
  EXPECT_EQ(p.xl.translate({0x0108, 0x8, false}).reason, BlockReason::invalid_tce);
}

TEST(Translator, FreezeOnErrorBlocksThePeUntilThawed) {
  Phb p(0, /*freeze=*/true);
  hand_tables(p, 0x100);
  hand_tables(p, 0x200);
  ASSERT_TRUE(p.mem.write_be64(kTable0, 0x5000 | kTceRead));
  EXPECT_TRUE(p.xl.translate({0x0100, 0x8, false}).ok());
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, true}).reason, BlockReason::permission);
  EXPECT_TRUE(p.xl.frozen(0x100));
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, false}).reason, BlockReason::frozen);
  EXPECT_TRUE(p.xl.translate({0x0200, 0x8, false}).ok());  // shares the table, not the freeze
  p.xl.thaw(0x100);
  EXPECT_TRUE(p.xl.translate({0x0100, 0x8, false}).ok());
}

TEST(Translator, WithoutFreezeErrorsDoNotStick) {
  Phb p;
  hand_tables(p, 0x100);
  ASSERT_TRUE(p.mem.write_be64(kTable0, 0x5000 | kTceRead));
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, true}).reason, BlockReason::permission);
  EXPECT_FALSE(p.xl.frozen(0x100));
  EXPECT_TRUE(p.xl.translate({0x0100, 0x8, false}).ok());
}

TEST(Translator, ASelectedWindowIsASnapshot) {
  Phb p;
  hand_tables(p, 0x100);
  ASSERT_TRUE(p.mem.write_be64(kTable0, 0x5000 | kTceRead));
  BlockReason why = BlockReason::none;
  auto hit = p.xl.select({0x0100, 0x8, false}, &why);
  ASSERT_TRUE(hit);
  // Reconfigure the whole PE in between: the in-flight DMA keeps the window set it selected.
  PeWindows w = p.pes.boot_windows(0x100);
  w.slot[0].enabled = false;
  p.pes.commit(0x100, w);
  const TceFetch f = p.xl.fetch(*hit);
  ASSERT_EQ(f.fault.kind, pt::FaultKind::None);
  EXPECT_EQ(TceTranslator::check(*hit, f.tce, {0x0100, 0x8, false}).out, 0x5008u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, false}).reason, BlockReason::outside_windows);
}

}  // namespace
}  // namespace isim::tce::test
