// Register banks: access masks, 32-bit halves, hooks, bad-access reporting, table checks.
#include "hw/reg_bank.h"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "base/bits.h"
#include "base/rng.h"

namespace isim {
namespace {

constexpr std::array<RegField, 3> kCtrlFields = {RegField{"EN", 0, 0}, RegField{"MODE", 7, 1},
                                                 RegField{"ID", 15, 8}};

// CTRL: rw 7:0, ro 15:8 (reset 0xAB), w1c 23:16, wo 27:24, RsvdZ 31:28.
// BASE: 64-bit, rw 51:12, rest RsvdZ.
// STS:  64-bit, rw 31:0, w1c 63:32.
const RegSpec kSpecs[] = {
    {.name = "CTRL",
     .offset = 0x0,
     .width = 4,
     .reset = 0xAB00,
     .rw = mask(7, 0),
     .ro = mask(15, 8),
     .w1c = mask(23, 16),
     .wo = mask(27, 24),
     .fields = kCtrlFields},
    {.name = "BASE", .offset = 0x8, .width = 8, .rw = mask(51, 12)},
    {.name = "STS", .offset = 0x10, .width = 8, .rw = mask(31, 0), .w1c = mask(63, 32)},
};

struct Bank {
  RegBank regs{0x100};
  RegBank::RegId ctrl, base, sts;
  Bank() {
    ctrl = regs.add_all(kSpecs);
    base = ctrl + 1;
    sts = ctrl + 2;
  }
};

// Per-bit reference for a software write, written bit by bit on purpose.
uint64_t ref_write(const RegInfo& r, uint64_t old, uint64_t data, uint64_t lanes) {
  uint64_t out = 0;
  for (unsigned b = 0; b < 64; ++b) {
    const uint64_t m = uint64_t{1} << b;
    bool v = old & m;
    if (lanes & m) {
      if (r.rw & m)
        v = data & m;
      else if ((r.w1c & m) && (data & m))
        v = false;
      else if (r.wo & m)
        v = false;  // never kept
    }
    if (r.wo & m) v = false;
    if (v) out |= m;
  }
  return out;
}

uint64_t ref_read(const RegInfo& r, uint64_t stored) {
  uint64_t out = 0;
  for (unsigned b = 0; b < 64; ++b) {
    const uint64_t m = uint64_t{1} << b;
    if ((r.rw & m) || (r.ro & m) || (r.w1c & m)) out |= stored & m;
  }
  return out;
}

TEST(RegBank, ResetValuesAndLookup) {
  Bank b;
  EXPECT_EQ(b.regs.size(), 3u);
  EXPECT_EQ(b.regs.get(b.ctrl), 0xAB00u);
  auto r = b.regs.read(0x0, 4);
  EXPECT_EQ(r.status, RegAccessStatus::ok);
  EXPECT_EQ(r.value, 0xAB00u);
  EXPECT_EQ(b.regs.find("BASE"), b.base);
  EXPECT_FALSE(b.regs.find("NOPE"));
  EXPECT_EQ(b.regs.at(0xC), b.base);
  EXPECT_FALSE(b.regs.at(0x4));
  EXPECT_FALSE(b.regs.at(0x1000));
  EXPECT_EQ(b.regs.info(b.ctrl).reserved(), mask(31, 28));
}

TEST(RegBank, MasksOnA32BitRegister) {
  Bank b;
  b.regs.set(b.ctrl, b.regs.get(b.ctrl) | (0x5u << 16));  // hardware raises two status bits
  ASSERT_EQ(b.regs.write(0x0, 4, 0xFFFF'FFFF & ~(0x4u << 16)), RegAccessStatus::ok);
  // rw took the data, ro kept 0xAB, w1c bit 16 cleared but bit 18 (written 0) kept, wo and
  // RsvdZ read 0.
  EXPECT_EQ(b.regs.read(0x0, 4).value, 0x0004'ABFFu);
  EXPECT_EQ(b.regs.get(b.ctrl) & mask(31, 24), 0u);
  b.regs.write(0x0, 4, 0x4u << 16);  // clears bit 18; rw bits take the zeros
  EXPECT_EQ(b.regs.read(0x0, 4).value, 0x0000'AB00u);
}

TEST(RegBank, RandomAccessesMatchBitwiseReference) {
  Bank b;
  Rng rng(42);
  std::vector<uint64_t> model = {b.regs.get(b.ctrl), b.regs.get(b.base), b.regs.get(b.sts)};
  for (int step = 0; step < 5000; ++step) {
    const auto id = static_cast<RegBank::RegId>(rng.below(3));
    const RegInfo& r = b.regs.info(id);
    const uint64_t v = rng.next();
    switch (rng.below(4)) {
      case 0: {  // hardware update
        b.regs.set(id, v);
        model[id] = v & r.width_mask();
        break;
      }
      case 1: {  // full-width software write
        ASSERT_EQ(b.regs.write(r.offset, r.width, v), RegAccessStatus::ok);
        model[id] = ref_write(r, model[id], v & r.width_mask(), r.width_mask());
        break;
      }
      case 2: {  // 32-bit write, either half of a 64-bit register
        const unsigned half = r.width == 8 ? static_cast<unsigned>(rng.below(2)) : 0;
        ASSERT_EQ(b.regs.write(r.offset + 4 * half, 4, v), RegAccessStatus::ok);
        model[id] = ref_write(r, model[id], (v & 0xffff'ffff) << (32 * half),
                              uint64_t{0xffff'ffff} << (32 * half));
        break;
      }
      default: {  // reads, full and halves
        auto full = b.regs.read(r.offset, r.width);
        ASSERT_EQ(full.status, RegAccessStatus::ok);
        ASSERT_EQ(full.value, ref_read(r, model[id])) << r.name << " step " << step;
        if (r.width == 8) {
          ASSERT_EQ(b.regs.read(r.offset, 4).value, ref_read(r, model[id]) & 0xffff'ffff);
          ASSERT_EQ(b.regs.read(r.offset + 4, 4).value, ref_read(r, model[id]) >> 32);
        }
      }
    }
    ASSERT_EQ(b.regs.get(id), model[id]) << r.name << " step " << step;
  }
}

TEST(RegBank, HalvesOfA64BitRegister) {
  Bank b;
  b.regs.write(0x8, 4, 0x1234'5FFF);  // low half; bits 11:0 are RsvdZ
  b.regs.write(0xC, 4, 0xFFFA'BCDE);  // high half; bits 63:52 are RsvdZ
  EXPECT_EQ(b.regs.read(0x8, 8).value, 0x000A'BCDE'1234'5000ull);
  b.regs.write(0xC, 4, 0x1);
  EXPECT_EQ(b.regs.read(0x8, 4).value, 0x1234'5000u) << "low half untouched";
  EXPECT_EQ(b.regs.read(0xC, 4).value, 0x1u);
  // W1C in the upper half of STS through a 32-bit access.
  b.regs.set(b.sts, 0xF0F0'0000'0000'0001ull);
  b.regs.write(0x14, 4, 0x3000'0000);
  EXPECT_EQ(b.regs.get(b.sts), 0xC0F0'0000'0000'0001ull);
}

TEST(RegBank, PostWriteSeesOldNewDataAndLanes) {
  Bank b;
  std::vector<RegWrite> seen;
  b.regs.on_write(b.sts, [&](const RegWrite& w) { seen.push_back(w); });
  b.regs.set(b.sts, 0x0000'0003'0000'0010ull);
  b.regs.write(0x14, 4, 0x1);  // clear w1c bit 32
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].old_value, 0x0000'0003'0000'0010ull);
  EXPECT_EQ(seen[0].new_value, 0x0000'0002'0000'0010ull);
  EXPECT_EQ(seen[0].data, 0x0000'0001'0000'0000ull);
  EXPECT_EQ(seen[0].lanes, 0xFFFF'FFFF'0000'0000ull);
  EXPECT_TRUE(seen[0].fell(32));
  EXPECT_FALSE(seen[0].rose(32));
  EXPECT_EQ(seen[0].changed(), 1ull << 32);
  b.regs.write(0x10, 8, 0x10);  // no change: the hook still runs
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].changed(), 0u);
}

TEST(RegBank, CommandBitsReachTheHookThenReadZero) {
  Bank b;
  uint64_t commands = 0;
  b.regs.on_write(b.ctrl, [&](const RegWrite& w) { commands = w.new_value & mask(27, 24); });
  b.regs.write(0x0, 4, 0x0900'0000);
  EXPECT_EQ(commands, 0x0900'0000u);
  EXPECT_EQ(b.regs.get(b.ctrl) & mask(27, 24), 0u);
  EXPECT_EQ(b.regs.read(0x0, 4).value & mask(27, 24), 0u);
  b.regs.write(0x0, 4, 0x1);  // a later write without command bits reports none
  EXPECT_EQ(commands, 0u);
}

TEST(RegBank, HookCanUndoAWriteAndUpdateOtherRegisters) {
  Bank b;
  // BASE is guarded by CTRL.EN: while EN is set, writes to BASE are ignored.
  b.regs.on_write(b.base, [&](const RegWrite& w) {
    if (b.regs.get(b.ctrl) & 1) b.regs.set(b.base, w.old_value);
  });
  // Writing CTRL.EN mirrors it into STS bit 0 (an ack), as a status register would.
  b.regs.on_write(b.ctrl, [&](const RegWrite& w) { b.regs.update(b.sts, 1, w.new_value & 1); });
  b.regs.write(0x8, 8, 0x1000);
  b.regs.write(0x0, 4, 0x1);
  EXPECT_EQ(b.regs.get(b.sts) & 1, 1u);
  b.regs.write(0x8, 8, 0x2000);
  EXPECT_EQ(b.regs.read(0x8, 8).value, 0x1000u);
  b.regs.write(0x0, 4, 0x0);
  b.regs.write(0x8, 8, 0x2000);
  EXPECT_EQ(b.regs.read(0x8, 8).value, 0x2000u);
  EXPECT_EQ(b.regs.get(b.sts) & 1, 0u);
}

TEST(RegBank, PreReadRefreshes) {
  Bank b;
  uint64_t counter = 0;
  b.regs.on_read(b.sts, [&] { b.regs.set(b.sts, ++counter); });
  EXPECT_EQ(b.regs.read(0x10, 8).value, 1u);
  EXPECT_EQ(b.regs.read(0x10, 4).value, 2u);
  EXPECT_EQ(b.regs.visible(b.sts), 2u) << "visible() does not run the hook";
  EXPECT_EQ(counter, 2u);
}

TEST(RegBank, BadAccessesReadZeroIgnoreWritesAndAreCounted) {
  Bank b;
  b.regs.set(b.base, 0x5000);
  struct Case {
    uint64_t offset;
    unsigned size;
    RegAccessStatus want;
  };
  const Case cases[] = {
      {0x4, 4, RegAccessStatus::unmapped},    // hole between CTRL and BASE
      {0x80, 8, RegAccessStatus::unmapped},   // inside the window, no register
      {0x100, 4, RegAccessStatus::unmapped},  // beyond the window
      {~uint64_t{0} - 3, 4, RegAccessStatus::unmapped},
      {0x2, 4, RegAccessStatus::misaligned},
      {0xC, 8, RegAccessStatus::misaligned},  // 8-byte access at a 4-aligned offset
      {0x8, 2, RegAccessStatus::bad_size},
      {0x8, 16, RegAccessStatus::bad_size},
      {0x0, 8, RegAccessStatus::bad_size},  // 8 bytes at a 4-byte register
  };
  for (const Case& c : cases) {
    const auto r = b.regs.read(c.offset, c.size);
    EXPECT_EQ(r.status, c.want) << std::hex << c.offset << " size " << c.size;
    EXPECT_EQ(r.value, 0u);
    EXPECT_EQ(b.regs.write(c.offset, c.size, ~uint64_t{0}), c.want);
  }
  EXPECT_EQ(b.regs.get(b.base), 0x5000u);
  EXPECT_EQ(b.regs.get(b.ctrl), 0xAB00u);
  EXPECT_EQ(b.regs.get(b.sts), 0u);
  EXPECT_EQ(b.regs.stats().unmapped, 8u);
  EXPECT_EQ(b.regs.stats().misaligned, 4u);
  EXPECT_EQ(b.regs.stats().bad_size, 6u);
  EXPECT_EQ(b.regs.stats().reads + b.regs.stats().writes, 0u);
  EXPECT_EQ(to_string(RegAccessStatus::misaligned), "misaligned");
}

TEST(RegBank, ResetRestoresResetValues) {
  Bank b;
  b.regs.write(0x0, 4, 0xFF);
  b.regs.set(b.sts, 123);
  b.regs.reset();
  EXPECT_EQ(b.regs.get(b.ctrl), 0xAB00u);
  EXPECT_EQ(b.regs.get(b.sts), 0u);
}

TEST(RegBank, FormatShowsFields) {
  Bank b;
  b.regs.write(0x0, 4, 0x0B);  // EN=1, MODE=5
  EXPECT_EQ(b.regs.format(b.ctrl), "CTRL @0x0000 = 0x0000ab0b {EN=0x1 MODE=0x5 ID=0xab}");
  EXPECT_EQ(b.regs.format(b.base), "BASE @0x0008 = 0x0000000000000000");
  const std::string d = b.regs.dump();
  EXPECT_LT(d.find("CTRL"), d.find("BASE"));
  EXPECT_LT(d.find("BASE"), d.find("STS"));
}

TEST(RegBankSpec, RejectsMalformedTables) {
  auto add = [](const RegSpec& s) {
    RegBank r(0x40);
    r.add({.name = "A", .offset = 0x8, .width = 8, .rw = 1});
    r.add(s);
  };
  EXPECT_NO_THROW(add({.name = "B", .offset = 0x10, .width = 4, .rw = 1}));
  EXPECT_THROW(add({.name = "B", .offset = 0xC, .width = 4}), std::invalid_argument);   // overlap
  EXPECT_THROW(add({.name = "A", .offset = 0x10, .width = 4}), std::invalid_argument);  // dup
  EXPECT_THROW(add({.name = "", .offset = 0x10, .width = 4}), std::invalid_argument);
  EXPECT_THROW(add({.name = "B", .offset = 0x10, .width = 2}), std::invalid_argument);
  EXPECT_THROW(add({.name = "B", .offset = 0x14, .width = 8}), std::invalid_argument);  // align
  EXPECT_THROW(add({.name = "B", .offset = 0x40, .width = 4}), std::invalid_argument);  // window
  EXPECT_THROW(add({.name = "B", .offset = 0x10, .width = 4, .rw = 3, .ro = 2}),
               std::invalid_argument);  // masks overlap
  EXPECT_THROW(add({.name = "B", .offset = 0x10, .width = 4, .rw = 1ull << 32}),
               std::invalid_argument);  // mask wider than the register
  EXPECT_THROW(add({.name = "B", .offset = 0x10, .width = 4, .reset = 1ull << 40}),
               std::invalid_argument);
  static constexpr RegField kBad[] = {{"F", 32, 0}};
  EXPECT_THROW(add({.name = "B", .offset = 0x10, .width = 4, .fields = kBad}),
               std::invalid_argument);
  EXPECT_THROW(RegBank(0), std::invalid_argument);
  EXPECT_THROW(RegBank(6), std::invalid_argument);
}

}  // namespace
}  // namespace isim
