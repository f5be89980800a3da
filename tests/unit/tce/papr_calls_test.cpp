// The PAPR TCE hypercalls and DDW RTAS calls: argument lists, outputs, every error status, the
// table contents they leave (read back by hand and through the hardware walk) and the kills.
#include <gtest/gtest.h>

#include <array>

#include "models/tce/tce_entry.h"
#include "tce_test_env.h"

namespace isim::tce::test {
namespace {

constexpr uint32_t kPe = 0x100;     // RID 0x0100
constexpr uint64_t kCfg = 0x10000;  // its RTAS config address
const uint32_t kL0 = kLiobnBase + 2 * kPe;

TEST(PaprCalls, PutThenGetAndTheHardwareSeesIt) {
  Phb p;
  auto o = p.hv.put_tce(kL0, 0x5000, 0x12003);
  EXPECT_EQ(o.status(), 0);
  EXPECT_EQ(o.tces_written, 1u);
  ASSERT_EQ(p.kills.size(), 1u);
  EXPECT_EQ(p.kills[0].scope, TceKill::Scope::pages);
  EXPECT_EQ(p.kills[0].pe, kPe);
  EXPECT_EQ(p.kills[0].offset, 0x5000u);
  EXPECT_EQ(p.kills[0].npages, 1u);
  auto g = p.hv.get_tce(kL0, 0x5000);
  ASSERT_EQ(g.rets.size(), 2u);
  EXPECT_EQ(g.rets[0], 0u);
  EXPECT_EQ(g.rets[1], 0x12003u);
  // The hardware table entry, big-endian at root + 5 * 8.
  const PeWindows w = p.pes.snapshot(kPe);
  ASSERT_TRUE(w.slot[0].table_present);
  EXPECT_EQ(*p.mem.read_be64(w.slot[0].table_pa + 5 * 8), 0x12003u);
  const TceResult r = p.xl.translate({0x0100, 0x5123, true});
  ASSERT_TRUE(r.ok()) << to_string(r.reason);
  EXPECT_EQ(r.out, 0x12123u);
}

TEST(PaprCalls, PutTceParameterErrors) {
  Phb p;
  struct Case {
    const char* what;
    uint64_t liobn, ioba, tce;
  };
  const Case cases[] = {
      {"unknown liobn", 0x1234, 0, 0x1003},
      {"liobn above 32 bits", uint64_t{1} << 32 | kL0, 0, 0x1003},
      {"window 1 not created", kL0 + 1, uint64_t{1} << 59, 0x1003},
      {"misaligned ioba", kL0, 0x800, 0x1003},
      {"ioba past the window", kL0, uint64_t{1} << 30, 0x1003},
      {"bits between R/W and the page", kL0, 0, 0x1803},
      {"page in hypervisor memory", kL0, 0, kPoolBase | 3},
      {"page beyond memory", kL0, 0, (uint64_t{1} << 40) | 3},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(p.hv.put_tce(c.liobn, c.ioba, c.tce).status(), kHParam) << c.what;
  }
  EXPECT_TRUE(p.kills.empty());
  EXPECT_EQ(p.hv.put_tce(kL0, (uint64_t{1} << 30) - 4096, (kPoolBase - 4096) | 3).status(), 0);
  // Wrong argument counts through the by-name entry point.
  const std::array<uint64_t, 2> two{kL0, 0};
  EXPECT_EQ(p.hv.hcall("H_PUT_TCE", two).status(), kHParam);
  EXPECT_FALSE(p.hv.hcall("H_NOT_A_CALL", two).known);
}

TEST(PaprCalls, GetTceErrorsAndUnwrittenEntries) {
  Phb p;
  EXPECT_EQ(p.hv.get_tce(0x1234, 0).status(), kHParam);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x801).status(), kHParam);
  EXPECT_EQ(p.hv.get_tce(kL0, uint64_t{1} << 30).status(), kHParam);
  auto g = p.hv.get_tce(kL0, 0x3000);
  ASSERT_EQ(g.rets.size(), 2u);
  EXPECT_EQ(g.rets[1], 0u);
}

void write_list(Phb& p, uint64_t pa, std::initializer_list<uint64_t> tces) {
  uint64_t a = pa;
  for (uint64_t t : tces) {
    ASSERT_TRUE(p.mem.write_be64(a, t));
    a += 8;
  }
}

TEST(PaprCalls, PutTceIndirectStoresTheBigEndianList) {
  Phb p;
  write_list(p, 0x200000, {0x10003, 0x20001, 0x30002});
  auto o = p.hv.put_tce_indirect(kL0, 0x40000, 0x200000, 3);
  EXPECT_EQ(o.status(), 0);
  EXPECT_EQ(o.tces_written, 3u);
  ASSERT_EQ(p.kills.size(), 1u);
  EXPECT_EQ(p.kills[0].offset, 0x40000u);
  EXPECT_EQ(p.kills[0].npages, 3u);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x41000).rets[1], 0x20001u);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x42000).rets[1], 0x30002u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x42010, true}).out, 0x30010u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x42010, false}).reason, BlockReason::permission);
}

TEST(PaprCalls, PutTceIndirectErrorsChangeNothing) {
  Phb p;
  write_list(p, 0x200000, {0x10003, kPoolBase | 3});
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, 0x200000, 513).status(), kHParam);  // > 512
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, 0x200008, 1).status(), kHParam);    // list misaligned
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, kPoolBase, 1).status(), kHParam);   // not partition's
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, (uint64_t{1} << 30) - 4096, 0x200000, 2).status(),
            kHParam);  // runs past the window
  EXPECT_EQ(p.hv.put_tce_indirect(0x99, 0, 0x200000, 1).status(), kHParam);
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, 0x200000, 2).status(), kHParam);  // 2nd TCE bad
  EXPECT_EQ(p.hv.get_tce(kL0, 0).rets[1], 0u);
  EXPECT_TRUE(p.kills.empty());
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, 0x200000, 512).status(), kHParam);  // includes bad
  EXPECT_EQ(p.hv.put_tce_indirect(kL0, 0, 0x200000, 1).status(), 0);
}

TEST(PaprCalls, StuffTce) {
  Phb p;
  EXPECT_EQ(p.hv.stuff_tce(kL0, 0x10000, 0x7001, 4).status(), 0);
  for (uint64_t i = 0; i < 4; ++i)
    EXPECT_EQ(p.hv.get_tce(kL0, 0x10000 + i * 4096).rets[1], 0x7001u);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x14000).rets[1], 0u);
  EXPECT_EQ(p.hv.stuff_tce(kL0, 0x11000, 0, 2).status(), 0);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x12000).rets[1], 0u);
  EXPECT_EQ(p.hv.get_tce(kL0, 0x13000).rets[1], 0x7001u);
  ASSERT_EQ(p.kills.size(), 2u);
  EXPECT_EQ(p.kills[1].npages, 2u);
  EXPECT_EQ(p.hv.stuff_tce(kL0, (uint64_t{1} << 30) - 4096, 0, 2).status(), kHParam);
  EXPECT_EQ(p.hv.stuff_tce(kL0, 0, 0x7401, 1).status(), kHParam);
  EXPECT_EQ(p.hv.stuff_tce(0x5, 0, 0, 1).status(), kHParam);
}

std::vector<uint64_t> rtas(Phb& p, std::string_view name, std::initializer_list<uint64_t> a) {
  std::vector<uint64_t> v(a);
  return p.hv.rtas(name, v).rets;
}

TEST(PaprCalls, QueryCreateUseRemoveReset) {
  Phb p;
  auto q = rtas(p, "ibm,query-pe-dma-window", {kCfg, kBuidHi, kBuidLo});
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], 0u);
  EXPECT_EQ(q[1], 1u);
  EXPECT_EQ(q[2], uint64_t{1} << 31);
  EXPECT_EQ(q[3], hv_config().ddw_page_mask);
  auto c = rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 16, 40});
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[1], kL0 + 1);
  EXPECT_EQ((c[2] << 32) | c[3], uint64_t{1} << 59);
  const PeWindows w = p.pes.snapshot(kPe);
  ASSERT_TRUE(w.slot[1].enabled);
  EXPECT_EQ(w.slot[1].page_lg2(), 16u);
  EXPECT_EQ(w.slot[1].window_lg2(), 40u);
  EXPECT_EQ(w.slot[1].fmt.config().levels, 2u);  // 24 index bits, 13 per level
  EXPECT_EQ(p.kills.back().scope, TceKill::Scope::pe);
  // Used at once with the default window.
  const uint64_t ddw = uint64_t{1} << 59;
  EXPECT_EQ(p.hv.put_tce(kL0 + 1, ddw + 0x30000, 0x50003).status(), 0);
  EXPECT_EQ(p.hv.put_tce(kL0, 0x0, 0x60003).status(), 0);
  EXPECT_EQ(p.xl.translate({0x0100, ddw + 0x3fffc, false}).out, 0x5fffcu);
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, false}).out, 0x60008u);
  EXPECT_EQ(rtas(p, "ibm,query-pe-dma-window", {kCfg, kBuidHi, kBuidLo})[1], 0u);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 16, 40})[0],
            static_cast<uint64_t>(kRtasHwError));
  // Remove: gone, its LIOBN refused, and its table memory returned.
  const uint64_t used = p.pool.bytes_in_use();
  EXPECT_EQ(rtas(p, "ibm,remove-pe-dma-window", {kL0 + 1})[0], 0u);
  EXPECT_LT(p.pool.bytes_in_use(), used);
  EXPECT_EQ(p.xl.translate({0x0100, ddw + 0x30000, false}).reason, BlockReason::outside_windows);
  EXPECT_EQ(p.hv.put_tce(kL0 + 1, ddw, 0x50003).status(), kHParam);
  EXPECT_EQ(rtas(p, "ibm,remove-pe-dma-window", {kL0 + 1})[0],
            static_cast<uint64_t>(kRtasParamError));
  // Reset: the default window comes back empty; all tables freed.
  EXPECT_EQ(rtas(p, "ibm,reset-pe-dma-window", {kCfg, kBuidHi, kBuidLo})[0], 0u);
  EXPECT_EQ(p.pool.bytes_in_use(), 0u);
  EXPECT_EQ(p.xl.translate({0x0100, 0x8, false}).reason, BlockReason::invalid_tce);
  EXPECT_EQ(p.hv.get_tce(kL0, 0).rets[1], 0u);
}

TEST(PaprCalls, CreateIntoSlotZeroAfterRemovingTheDefault) {
  Phb p;
  EXPECT_EQ(rtas(p, "ibm,remove-pe-dma-window", {kL0})[0], 0u);
  EXPECT_EQ(rtas(p, "ibm,query-pe-dma-window", {kCfg, kBuidHi, kBuidLo})[1], 2u);
  auto c = rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 21, 36});
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[1], kL0);
  EXPECT_EQ(c[2], 0u);
  EXPECT_EQ(c[3], 0u);
  EXPECT_EQ(p.hv.put_tce(kL0, 0x200000, 0x400003).status(), 0);
  EXPECT_EQ(p.xl.translate({0x0100, 0x2ffff8, true}).out, 0x4ffff8u);
}

TEST(PaprCalls, RtasErrors) {
  Phb p;
  const auto perr = static_cast<uint64_t>(kRtasParamError);
  EXPECT_EQ(rtas(p, "ibm,query-pe-dma-window", {kCfg, kBuidHi, kBuidLo + 1})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,query-pe-dma-window", {kCfg, kBuidHi})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 16})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, 0, kBuidLo, 16, 40})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 13, 40})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 34, 50})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 16, 16})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 16, 60})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 12, 44})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 99, 40})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,remove-pe-dma-window", {0x42})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,remove-pe-dma-window", {kL0, 1})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,reset-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 1})[0], perr);
  EXPECT_EQ(rtas(p, "ibm,reset-pe-dma-window", {kCfg, kBuidHi, 7})[0], perr);
  EXPECT_FALSE(p.hv.rtas("ibm,set-eeh-option", std::vector<uint64_t>{}).known);
  EXPECT_TRUE(p.kills.empty());
}

TEST(PaprCalls, QueryExtendedOutputs) {
  Phb p;
  HvConfig c = hv_config();
  c.query_out_ext = true;
  c.ddw_max_tces = uint64_t{1} << 36;
  TceHypervisor hv(p.pes, p.mem, p.pool, c, {});
  const std::vector<uint64_t> a{kCfg, kBuidHi, kBuidLo};
  auto q = hv.rtas("ibm,query-pe-dma-window", a).rets;
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ((q[2] << 32) | q[3], uint64_t{1} << 36);
  EXPECT_EQ(q[4], c.ddw_page_mask);
}

TEST(PaprCalls, ReconfigurationIsOneCommit) {
  Phb p;
  const PeWindows before = p.pes.snapshot(kPe);
  rtas(p, "ibm,create-pe-dma-window", {kCfg, kBuidHi, kBuidLo, 12, 32});
  const PeWindows after = p.pes.snapshot(kPe);
  // The earlier snapshot is untouched; the new one has both windows.
  EXPECT_FALSE(before.slot[1].enabled);
  EXPECT_TRUE(after.slot[0].enabled);
  EXPECT_TRUE(after.slot[1].enabled);
  EXPECT_GT(after.generation, before.generation);
  rtas(p, "ibm,reset-pe-dma-window", {kCfg, kBuidHi, kBuidLo});
  const PeWindows reset = p.pes.snapshot(kPe);
  EXPECT_TRUE(reset.slot[0].enabled);
  EXPECT_FALSE(reset.slot[1].enabled);
  EXPECT_EQ(reset.generation, after.generation + 1);  // both windows changed in one step
}

}  // namespace
}  // namespace isim::tce::test
