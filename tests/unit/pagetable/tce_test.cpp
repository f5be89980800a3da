// IBM POWER TCE tables, from hand-written big-endian entries: single-level tables for every IO
// page size, 1..5-level tables (indirect TCEs), R/W rights, the window bound, real-address
// width, ignored bits, bus errors, the derived table geometry, and the builder.
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

#include "base/bits.h"
#include "base/rng.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t R = 1, W = 2;
constexpr unsigned kPageSizes[] = {12, 16, 21, 24, 28, 30, 34};

TceConfig tce(unsigned page_lg2, unsigned levels, unsigned window_lg2, unsigned level_shift = 0) {
  TceConfig c;
  c.page_lg2 = page_lg2;
  c.levels = levels;
  c.window_lg2 = window_lg2;
  c.level_shift = level_shift;
  return c;
}

/// Index of `offset` in a table at `level`, bit by bit.
uint64_t tce_idx(uint64_t offset, unsigned page, unsigned bits, unsigned level) {
  uint64_t r = 0;
  for (unsigned b = 0; b < bits; ++b) {
    const unsigned src = page + bits * level + b;
    if (src < 64 && ((offset >> src) & 1)) r |= uint64_t{1} << b;
  }
  return r;
}

class TceHand {
 public:
  explicit TceHand(const TceConfig& c) : f(c), bits(c.level_bits()) {}

  uint64_t new_table() {
    const uint64_t size = uint64_t{8} << bits;
    const uint64_t pa = *env.alloc.alloc(size, size < 4096 ? 4096 : size);
    for (uint64_t off = 0; off < size; off += 8) env.mem.write_le64(pa + off, 0);
    return pa;
  }
  /// Tables from the root down to level 0 for `offset`, linked by R|W indirect TCEs.
  void chain(uint64_t offset) {
    for (unsigned l = 0; l <= f.top_level(); ++l) tbl[l] = new_table();
    for (unsigned l = f.top_level(); l > 0; --l) set(l, offset, tbl[l - 1] | R | W);
  }
  uint64_t slot(unsigned level, uint64_t offset) const {
    return tbl[level] + tce_idx(offset, f.config().page_lg2, bits, level) * 8;
  }
  /// Entries are stored big-endian.
  void set(unsigned level, uint64_t offset, uint64_t v) {
    env.mem.write_be64(slot(level, offset), v);
  }
  uint64_t get(unsigned level, uint64_t offset) { return *env.mem.read_be64(slot(level, offset)); }
  WalkResult go(uint64_t offset, AccessReq req) {
    return walk(f, env.mem, tbl[f.top_level()], offset, req);
  }

  Env env;
  TceFormat f;
  unsigned bits;
  uint64_t tbl[5] = {};
};

TEST(Tce, EntriesAreBigEndianInMemory) {
  TceHand h(tce(12, 1, 24));
  h.chain(0x5000);
  const uint64_t tce_value = 0x0000001234567000ull | R | W;
  h.set(0, 0x5000, tce_value);
  // Raw bytes: most significant first.
  std::array<uint8_t, 8> raw{};
  ASSERT_TRUE(h.env.mem.read(h.slot(0, 0x5000), raw.data(), raw.size()));
  const std::array<uint8_t, 8> want = {0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x70, 0x03};
  EXPECT_EQ(raw, want);
  const WalkResult r = h.go(0x5abc, AccessReq::rw());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x1234567abcull);
  EXPECT_EQ(r.tr.leaf, tce_value);
  EXPECT_EQ(r.log.reads[0].value, tce_value);
  // The same value stored little-endian is a different TCE (here: R = W = 0, not mapped).
  h.env.mem.write_le64(h.slot(0, 0x5000), tce_value);
  EXPECT_EQ(h.go(0x5abc, AccessReq::r()).fault.kind, FaultKind::NotPresent);

  // The builder writes big-endian too.
  Env env;
  auto b = Builder<TceFormat>::create(TceFormat(tce(12, 1, 24)), env.mem, env.alloc);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->map(0x3000, 0xabcd000, 4096, MapAttrs::rw()), MapStatus::Ok);
  ASSERT_TRUE(env.mem.read(b->root() + 3 * 8, raw.data(), raw.size()));
  const std::array<uint8_t, 8> built = {0, 0, 0, 0, 0x0a, 0xbc, 0xd0, 0x03};
  EXPECT_EQ(raw, built);
}

TEST(Tce, SingleLevelEveryPageSize) {
  for (unsigned page : kPageSizes) {
    const unsigned window = page + 10;  // 1024 TCEs
    TceHand h(tce(page, 1, window));
    EXPECT_EQ(h.bits, 10u);
    EXPECT_EQ(h.f.window_entries(), 1024u);
    EXPECT_EQ(h.f.page_size_bitmap(), lg2_size(page));
    const uint64_t offset = (uint64_t{777} << page) | 0x88;
    h.chain(offset);
    const uint64_t rpn_addr = uint64_t{0x3a5} << page;
    h.set(0, offset, rpn_addr | R | W);
    const WalkResult r = h.go(offset, AccessReq::rw());
    ASSERT_TRUE(r.ok()) << page;
    EXPECT_EQ(r.tr.oa, rpn_addr | 0x88);
    EXPECT_EQ(r.tr.page_lg2, page);
    ASSERT_EQ(r.log.reads.size(), 1u);
    EXPECT_EQ(r.log.reads[0].pa, h.tbl[0] + 777 * 8);
  }
}

TEST(Tce, MultiLevelTablesOneToFiveLevels) {
  Rng rng(3, "tce-multilevel");
  for (unsigned page : {12u, 16u, 24u}) {
    for (unsigned levels = 1; levels <= 5; ++levels) {
      const unsigned bits = 9;  // 4 KiB tables
      const unsigned window = page + bits * levels;
      if (window > 63) continue;
      TceHand h(tce(page, levels, window, 12));
      ASSERT_EQ(h.bits, bits);
      ASSERT_EQ(h.f.top_level(), levels - 1);
      for (int i = 0; i < 8; ++i) {
        const uint64_t offset = rng.next() & mask(window - 1, 0);
        h.chain(offset);
        const uint64_t rpn_addr = (rng.next() & mask(51, page));
        h.set(0, offset, rpn_addr | R);
        const WalkResult r = h.go(offset, AccessReq::r());
        ASSERT_TRUE(r.ok()) << page << " " << levels << " " << to_string(r.fault.kind);
        EXPECT_EQ(r.tr.oa, rpn_addr | (offset & mask(page - 1, 0)));
        ASSERT_EQ(r.log.reads.size(), levels);
        for (unsigned k = 0; k < levels; ++k) {
          EXPECT_EQ(r.log.reads[k].pa, h.slot(levels - 1 - k, offset));
          EXPECT_EQ(r.log.reads[k].level, levels - 1 - k);
        }
        for (unsigned l = 0; l < levels; ++l) {
          EXPECT_EQ(table_index(h.f, offset, l), tce_idx(offset, page, bits, l));
        }
      }
    }
  }
}

TEST(Tce, IndirectTceNeedsReadOrWriteButDoesNotLimitTheFinalRights) {
  for (unsigned levels = 2; levels <= 5; ++levels) {
    for (unsigned level = 1; level < levels; ++level) {
      TceHand h(tce(12, levels, 12 + 9 * levels, 12));
      const uint64_t offset = 0x123456789ull & mask(12 + 9 * levels - 1, 0);
      h.chain(offset);
      h.set(0, offset, 0x77000 | R | W);
      const uint64_t next = h.get(level, offset) & ~uint64_t{3};
      h.set(level, offset, next);  // R = W = 0: "invalid indirect TCE"
      WalkResult r = h.go(offset, AccessReq::r());
      EXPECT_EQ(r.fault.kind, FaultKind::NotPresent) << levels << " " << level;
      EXPECT_EQ(r.fault.level, level);
      EXPECT_EQ(r.fault.entry_pa, h.slot(level, offset));
      EXPECT_EQ(r.log.reads.size(), levels - level);
      for (uint64_t dir : {R, W}) {
        h.set(level, offset, next | dir);
        r = h.go(offset, AccessReq::rw());
        EXPECT_TRUE(r.ok()) << levels << " " << level << " dir " << dir;
        EXPECT_EQ(r.tr.perms, Perms::rwx(true, true, true));
      }
      // Ignored low bits of an indirect TCE (11:2) do not move the next table.
      h.set(level, offset, next | R | W | mask(11, 2));
      EXPECT_TRUE(h.go(offset, AccessReq::rw()).ok());
    }
  }
}

TEST(Tce, FinalTceRights) {
  TceHand h(tce(16, 2, 34));
  h.chain(0x40000);
  const AccessReq reqs[] = {AccessReq::r(),  AccessReq::w(),     AccessReq::x(),
                            AccessReq::rw(), AccessReq::r(true), AccessReq::w(true)};
  for (uint64_t rw = 0; rw < 4; ++rw) {
    h.set(0, 0x40000, 0x990000 | rw);
    for (const AccessReq& q : reqs) {
      const WalkResult r = h.go(0x40010, q);
      if (rw == 0) {
        EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
        EXPECT_EQ(r.fault.level, 0);
        continue;
      }
      // Bit 0: the device may read memory; bit 1: it may write. No execute or privilege
      // control: an execute needs read.
      const bool ok = (!q.read || (rw & R)) && (!q.write || (rw & W)) && (!q.exec || (rw & R));
      EXPECT_EQ(r.ok(), ok) << rw;
      if (ok) {
        EXPECT_EQ(r.tr.perms, Perms::rwx(rw & R, rw & W, rw & R));
      } else {
        EXPECT_EQ(r.fault.kind, FaultKind::Permission);
      }
    }
  }
}

TEST(Tce, OffsetsBeyondTheWindow) {
  // Single level: the table is exactly the window.
  TceHand h(tce(12, 1, 20));
  h.chain(0);
  EXPECT_EQ(h.go(lg2_size(20) - 1, AccessReq::r()).fault.kind, FaultKind::NotPresent);
  WalkResult r = h.go(lg2_size(20), AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::AddressSize);
  EXPECT_TRUE(r.log.reads.empty());
  // Two levels of 512 entries cover 2^30, but the window is 2^25: offsets above it fault
  // before any read even though the tables could index them.
  TceHand m(tce(12, 2, 25, 12));
  const uint64_t inside = lg2_size(25) - 4096;
  m.chain(inside);
  m.set(0, inside, 0x5000 | R);
  EXPECT_TRUE(m.go(inside, AccessReq::r()).ok());
  for (uint64_t off : {lg2_size(25), lg2_size(29), ~uint64_t{0}}) {
    r = m.go(off, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::AddressSize) << off;
    EXPECT_EQ(r.fault.level, 1);
    EXPECT_TRUE(r.log.reads.empty());
  }
}

TEST(Tce, RealAddressWidthAndIgnoredBits) {
  for (unsigned page : kPageSizes) {
    TceConfig c = tce(page, 2, page + 18, 12);
    c.oa_bits = 48;
    TceHand h(c);
    h.chain(0);
    h.set(0, 0, (uint64_t{1} << 48) | R);
    EXPECT_EQ(h.go(0, AccessReq::r()).fault.kind, FaultKind::AddressSize) << page;
    // Bits between 2 and the page size are not part of the real page number.
    h.set(0, 0, (lg2_size(47) & mask(63, page)) | mask(page - 1, 2) | R);
    const WalkResult r = h.go(0x4, AccessReq::r());
    ASSERT_TRUE(r.ok()) << page;
    EXPECT_EQ(r.tr.oa, lg2_size(47) + 4);
    // An indirect TCE above the real-address width.
    h.set(1, 0, (uint64_t{1} << 50) | R | W);
    EXPECT_EQ(h.go(0, AccessReq::r()).fault.kind, FaultKind::AddressSize);
  }
}

TEST(Tce, BusErrors) {
  TceHand h(tce(12, 3, 39, 12));
  h.chain(0x1000);
  h.set(1, 0x1000, kMemSize | R | W);
  WalkResult r = h.go(0x1000, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 0);
  r = walk(h.f, h.env.mem, kMemSize, 0x1000, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 2);
}

TEST(Tce, TableGeometryDerivation) {
  // Linux pnv_pci_ioda2_table_alloc_pages: entries_shift = window - page; per level
  // ceil(entries_shift / levels); level_shift = max(per + 3, 12) bytes (4 KiB kernel pages).
  for (unsigned page : kPageSizes) {
    for (unsigned levels = 1; levels <= 5; ++levels) {
      for (unsigned window = page + 1; window <= 63; ++window) {
        const TceConfig c = tce(page, levels, window);
        const unsigned n = window - page;
        unsigned want = n;
        if (levels > 1) {
          unsigned per = 0;
          while (per * levels < n) ++per;
          want = per + 3 < 12 ? 9 : per;
        }
        const bool fits = page + want * (levels - 1) <= 63 && want <= 28;
        EXPECT_EQ(c.validate().empty(), fits) << page << " " << levels << " " << window;
        if (!fits) continue;
        EXPECT_EQ(c.level_bits(), want);
        const TceFormat f(c);
        EXPECT_EQ(f.num_items_lg2(f.top_level()), want);
        EXPECT_EQ(f.item_lg2sz(levels - 1), page + want * (levels - 1));
        EXPECT_GE(va_lg2(f), window);
        EXPECT_EQ(table_align_lg2(f, 0), want + 3 < 12 ? 12u : want + 3);
      }
    }
  }
}

TEST(Tce, ConfigValidation) {
  EXPECT_TRUE(tce(12, 1, 31).validate().empty());
  EXPECT_FALSE(tce(13, 1, 31).validate().empty());  // no such IO page size
  EXPECT_FALSE(tce(12, 0, 31).validate().empty());
  EXPECT_FALSE(tce(12, 6, 60).validate().empty());
  EXPECT_FALSE(tce(12, 1, 12).validate().empty());      // an empty window
  EXPECT_FALSE(tce(12, 2, 40, 12).validate().empty());  // 2 x 512 entries do not cover 2^28
  EXPECT_TRUE(tce(12, 2, 30, 12).validate().empty());
  TceConfig c = tce(12, 1, 31);
  c.oa_bits = 12;
  EXPECT_FALSE(c.validate().empty());
  EXPECT_THROW(TceFormat{tce(12, 9, 31)}, std::invalid_argument);
  std::string why;
  EXPECT_FALSE(TceFormat::create(tce(12, 9, 31), &why));
  EXPECT_FALSE(why.empty());
}

TEST(TceBuilder, MapWalkUnmapEveryPageSizeAndLevelCount) {
  for (unsigned page : kPageSizes) {
    for (unsigned levels = 1; levels <= 5; ++levels) {
      const unsigned window = page + 3 * levels + 6 > 63 ? 63 : page + 3 * levels + 6;
      const TceConfig c = tce(page, levels, window);
      if (!c.validate().empty()) continue;
      Env env;
      const TceFormat f(c);
      auto b = Builder<TceFormat>::create(f, env.mem, env.alloc);
      ASSERT_TRUE(b);
      const uint64_t off = lg2_size(window) - lg2_size(page);  // the last TCE of the window
      const uint64_t oa = lg2_size(page) * 9;
      ASSERT_EQ(b->map(off, oa, lg2_size(page), MapAttrs::rw()), MapStatus::Ok) << page;
      const WalkResult r = walk(f, env.mem, b->root(), off + 0x18, AccessReq::rw());
      ASSERT_TRUE(r.ok()) << page << " " << levels;
      EXPECT_EQ(r.tr.oa, oa + 0x18);
      EXPECT_EQ(r.log.reads.size(), levels);
      EXPECT_EQ(b->table_count(), levels);
      // Indirect TCEs carry R|W (as Linux writes them).
      for (unsigned k = 0; k + 1 < levels; ++k) EXPECT_EQ(r.log.reads[k].value & 3, 3u);
      EXPECT_EQ(b->map(lg2_size(window), oa, lg2_size(page), MapAttrs::rw()),
                MapStatus::VaOutOfRange);
      EXPECT_EQ(b->map(0, oa, lg2_size(page) * 2, MapAttrs::rw()), MapStatus::SizeNotSupported);
      const UnmapResult u = b->unmap(off, lg2_size(page));
      ASSERT_TRUE(u.ok());
      EXPECT_EQ(u.removed.size(), 1u);
      EXPECT_EQ(b->table_count(), 1u);
      EXPECT_EQ(walk(f, env.mem, b->root(), off, AccessReq::r()).fault.kind, FaultKind::NotPresent);
    }
  }
}

TEST(TceBuilder, EncodesDirectionsAndRefusesWhatATceCannotExpress) {
  Env env;
  const TceFormat f(tce(12, 2, 30, 12));
  auto b = Builder<TceFormat>::create(f, env.mem, env.alloc);
  ASSERT_TRUE(b);
  for (unsigned m = 0; m < 16; ++m) {
    MapAttrs a;
    a.read = m & 1;
    a.write = m & 2;
    a.exec = m & 4;
    a.user = m & 8;
    const uint64_t off = uint64_t{m} << 12;
    const MapStatus s = b->map(off, 0x100000, 4096, a);
    if ((!a.read && !a.write) || (a.exec && !a.read)) {
      EXPECT_EQ(s, MapStatus::AttrsNotSupported) << m;
      continue;
    }
    ASSERT_EQ(s, MapStatus::Ok) << m;
    const WalkResult r = walk(f, env.mem, b->root(), off, AccessReq{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.tr.perms, Perms::rwx(a.read, a.write, a.read)) << m;
    EXPECT_EQ(r.tr.leaf & 3, (a.read ? R : 0) | (a.write ? W : 0));
  }
  MapAttrs x = MapAttrs::rw();
  x.extra = TceFormat::kValid | TceFormat::kAllIo;
  ASSERT_EQ(b->map(0x100000, 0x5000, 4096, x), MapStatus::Ok);
  EXPECT_EQ(walk(f, env.mem, b->root(), 0x100000, AccessReq::r()).tr.leaf & x.extra, x.extra);
  x.extra = uint64_t{1} << 12;
  EXPECT_EQ(b->map(0x200000, 0x5000, 4096, x), MapStatus::AttrsNotSupported);
  EXPECT_EQ(b->map(0x300000, uint64_t{1} << 52, 4096, MapAttrs::rw()), MapStatus::OaOutOfRange);
}

}  // namespace
}  // namespace isim::pt::test
