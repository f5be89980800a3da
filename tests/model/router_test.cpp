// The system bus (src/hw/router.h): decoding, relative addressing, decode errors and the
// address-map checks.
#include "hw/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "hw/sc_time_util.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using test::Initiator;
using test::ps;
using test::RecordingTarget;
using tlm::TLM_READ_COMMAND;
using tlm::TLM_WRITE_COMMAND;

constexpr uint64_t kRamBase = 0;
constexpr uint64_t kRamSize = 0x10'0000;
constexpr uint64_t kRegsBase = 0xfed9'0000;
constexpr uint64_t kRegsSize = 0x1000;
constexpr uint64_t kRegs2Base = kRegsBase + kRegsSize;  // directly adjacent to the first block
constexpr uint64_t kRegs2Size = 0x2000;

/// A bus with RAM (absolute addressing) on port 0 and two register blocks (relative) on ports
/// 1 and 2, each target answering after its own latency so the path taken shows in the delay.
struct Bench {
  Bench() {
    init.socket.bind(bus.in);
    bus.out.bind(ram.socket);
    bus.out.bind(regs.socket);
    bus.out.bind(regs2.socket);
    bus.map("ram", kRamBase, kRamSize, 0, false);
    bus.map("regs", kRegsBase, kRegsSize, 1, true);
    bus.map("regs2", kRegs2Base, kRegs2Size, 2, true);
  }

  /// An 8-byte timed access; returns the status and leaves the delay in `delay_ps`.
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, unsigned len = 8) {
    std::vector<uint8_t> buf(len);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const auto st = init.transport(cmd, addr, buf, delay);
    delay_ps = to_ticks(delay);
    data = buf;
    return st;
  }

  stats::Group root{"system"};
  Router bus{"bus", root};
  Initiator init{"init"};
  RecordingTarget ram{"ram", ps(1'000), 0xaa};
  RecordingTarget regs{"regs", ps(2'000), 0xbb};
  RecordingTarget regs2{"regs2", ps(3'000), 0xcc};
  Tick delay_ps = 0;
  std::vector<uint8_t> data;
};

TEST(Router, DecodesEachAddressToItsTarget) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    EXPECT_EQ(b.access(TLM_READ_COMMAND, 0x1234), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.delay_ps, 1'000u);
    EXPECT_EQ(b.data, std::vector<uint8_t>(8, 0xaa));
    EXPECT_EQ(b.access(TLM_WRITE_COMMAND, kRegsBase + 0x10), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.delay_ps, 2'000u);
    EXPECT_EQ(b.access(TLM_READ_COMMAND, kRegs2Base + 0x1ff8), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.delay_ps, 3'000u);
    EXPECT_EQ(b.data, std::vector<uint8_t>(8, 0xcc));
  }));
  ASSERT_EQ(b.ram.accesses().size(), 1u);
  ASSERT_EQ(b.regs.accesses().size(), 1u);
  ASSERT_EQ(b.regs2.accesses().size(), 1u);
  EXPECT_TRUE(b.regs.accesses()[0].write);
  EXPECT_FALSE(b.ram.accesses()[0].write);
  EXPECT_EQ(test::counter(b.root, "bus.decode_errors"), 0u);
}

TEST(Router, RegisterBlocksSeeOffsetsAndMemorySeesAbsoluteAddresses) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    // The initiator's payload keeps its address after the bus rewrote it for the target.
    std::vector<uint8_t> buf(4);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    tlm::tlm_generic_payload tx;
    tx.set_command(TLM_READ_COMMAND);
    tx.set_address(kRegsBase + 0x24);
    tx.set_data_ptr(buf.data());
    tx.set_data_length(4);
    tx.set_streaming_width(4);
    b.init.socket->b_transport(tx, delay);
    EXPECT_EQ(tx.get_response_status(), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(tx.get_address(), kRegsBase + 0x24);
    EXPECT_EQ(b.access(TLM_READ_COMMAND, 0x8'0000), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.access(TLM_READ_COMMAND, kRegs2Base), tlm::TLM_OK_RESPONSE);
  }));
  ASSERT_EQ(b.regs.accesses().size(), 1u);
  EXPECT_EQ(b.regs.accesses()[0].addr, 0x24u);
  EXPECT_EQ(b.regs.accesses()[0].len, 4u);
  ASSERT_EQ(b.ram.accesses().size(), 1u);
  EXPECT_EQ(b.ram.accesses()[0].addr, 0x8'0000u);
  ASSERT_EQ(b.regs2.accesses().size(), 1u);
  EXPECT_EQ(b.regs2.accesses()[0].addr, 0u);
}

TEST(Router, RegionEdgesDecodeExactly) {
  Bench b;
  auto name_of = [&](uint64_t a) {
    const Router::Region* r = b.bus.decode(a);
    return r ? r->name : std::string("<none>");
  };
  EXPECT_EQ(name_of(kRamBase), "ram");
  EXPECT_EQ(name_of(kRamBase + kRamSize - 1), "ram");
  EXPECT_EQ(name_of(kRamBase + kRamSize), "<none>");
  EXPECT_EQ(name_of(kRegsBase - 1), "<none>");
  EXPECT_EQ(name_of(kRegsBase), "regs");
  EXPECT_EQ(name_of(kRegsBase + kRegsSize - 1), "regs");
  EXPECT_EQ(name_of(kRegs2Base), "regs2");
  EXPECT_EQ(name_of(kRegs2Base + kRegs2Size), "<none>");
  // Decoding is independent of what was decoded before (the last-hit shortcut).
  EXPECT_EQ(name_of(kRegsBase + 8), "regs");
  EXPECT_EQ(name_of(kRamBase + 8), "ram");
  EXPECT_EQ(name_of(~uint64_t{0}), "<none>");
  ASSERT_EQ(b.bus.regions().size(), 3u);
  EXPECT_EQ(b.bus.regions()[0].name, "ram");  // sorted by base
  EXPECT_EQ(b.bus.regions()[2].name, "regs2");
}

TEST(Router, UnmappedAddressIsADecodeError) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    for (uint64_t a : {kRamSize, kRegsBase - 8, kRegs2Base + kRegs2Size, ~uint64_t{0} - 7}) {
      EXPECT_EQ(b.access(TLM_READ_COMMAND, a), tlm::TLM_ADDRESS_ERROR_RESPONSE) << a;
      EXPECT_EQ(b.delay_ps, 0u);
    }
    EXPECT_EQ(b.access(TLM_WRITE_COMMAND, kRamSize + 0x100), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }));
  EXPECT_EQ(test::counter(b.root, "bus.decode_errors"), 5u);
  EXPECT_TRUE(b.ram.accesses().empty());
  EXPECT_TRUE(b.regs.accesses().empty());
  EXPECT_TRUE(b.regs2.accesses().empty());
}

TEST(Router, AccessStraddlingTwoRegionsIsRejected) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    // regs and regs2 are adjacent: 8 bytes starting 4 before the boundary touch both.
    EXPECT_EQ(b.access(TLM_READ_COMMAND, kRegs2Base - 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Running off the end of RAM into unmapped space.
    EXPECT_EQ(b.access(TLM_WRITE_COMMAND, kRamSize - 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Exactly filling the last bytes of a region is fine.
    EXPECT_EQ(b.access(TLM_READ_COMMAND, kRegs2Base - 8), tlm::TLM_OK_RESPONSE);
  }));
  EXPECT_EQ(test::counter(b.root, "bus.decode_errors"), 2u);
  EXPECT_TRUE(b.regs2.accesses().empty());
  EXPECT_TRUE(b.ram.accesses().empty());
  ASSERT_EQ(b.regs.accesses().size(), 1u);
  EXPECT_EQ(b.regs.accesses()[0].addr, kRegsSize - 8);
}

TEST(Router, DebugTransportDecodesLikeTimedTransport) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    std::vector<uint8_t> buf(8);
    tlm::tlm_response_status st{};
    EXPECT_EQ(b.init.debug(TLM_READ_COMMAND, kRegsBase + 0x40, buf, &st), 8u);
    EXPECT_EQ(buf, std::vector<uint8_t>(8, 0xbb));
    EXPECT_EQ(b.init.debug(TLM_WRITE_COMMAND, 0x40, buf, &st), 8u);
    EXPECT_EQ(b.init.debug(TLM_READ_COMMAND, kRamSize, buf, &st), 0u);
    EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(b.init.debug(TLM_READ_COMMAND, kRegs2Base - 4, buf, &st), 0u);
    EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }));
  ASSERT_EQ(b.regs.debug_accesses().size(), 1u);
  EXPECT_EQ(b.regs.debug_accesses()[0].addr, 0x40u);
  ASSERT_EQ(b.ram.debug_accesses().size(), 1u);
  EXPECT_EQ(b.ram.debug_accesses()[0].addr, 0x40u);
  EXPECT_TRUE(b.regs.accesses().empty());  // debug never reaches the timed path
}

TEST(Router, OverlappingRegionsAreRejected) {
  stats::Group root{"system"};
  Router bus{"bus", root};
  bus.map("a", 0x1000, 0x1000, 0, false);
  // Overlapping the start, the end, containing, contained, identical.
  EXPECT_THROW(bus.map("b", 0x800, 0x1000, 1, false), std::invalid_argument);
  EXPECT_THROW(bus.map("b", 0x1fff, 0x10, 1, false), std::invalid_argument);
  EXPECT_THROW(bus.map("b", 0x0, 0x10000, 1, false), std::invalid_argument);
  EXPECT_THROW(bus.map("b", 0x1800, 0x10, 1, false), std::invalid_argument);
  EXPECT_THROW(bus.map("b", 0x1000, 0x1000, 1, false), std::invalid_argument);
  // Bad sizes: empty, and wrapping past the top of the address space.
  EXPECT_THROW(bus.map("b", 0x4000, 0, 1, false), std::invalid_argument);
  EXPECT_THROW(bus.map("b", ~uint64_t{0} - 0xfff, 0x2000, 1, false), std::invalid_argument);
  // The message names both regions.
  try {
    bus.map("late", 0x1800, 0x10, 1, false);
    ADD_FAILURE() << "overlap accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("late"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("overlaps a [0x1000"), std::string::npos) << e.what();
  }
  // Touching regions on either side, and one ending at the top of the address space, are fine.
  EXPECT_NO_THROW(bus.map("below", 0x0, 0x1000, 1, false));
  EXPECT_NO_THROW(bus.map("above", 0x2000, 0x1000, 2, false));
  EXPECT_NO_THROW(bus.map("top", ~uint64_t{0} - 0xfff, 0x1000, 3, false));
  EXPECT_EQ(bus.regions().size(), 4u);
  ASSERT_NE(bus.decode(~uint64_t{0}), nullptr);
  EXPECT_EQ(bus.decode(~uint64_t{0})->name, "top");
}

}  // namespace
}  // namespace isim
