#include "trace/importers.h"

#include <gtest/gtest.h>

namespace isim::trace {
namespace {

TEST(QemuImport, VtdTranslateWithTimestamp) {
  Event e;
  std::string err;
  double t0 = -1;
  ASSERT_EQ(parse_qemu_line("1234@1700000000.000010:vtd_dmar_translate dev 01:00.00 iova "
                            "0x1000 -> gpa 0x7f000 mask 0xfff",
                            e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::dma);
  EXPECT_EQ(e.rid, 0x0100);
  EXPECT_EQ(e.addr, 0x1000u);
  EXPECT_EQ(*e.out, 0x7f000u);
  EXPECT_EQ(e.time_ps, 0u);
  ASSERT_EQ(parse_qemu_line("1234@1700000000.000013:vtd_dmar_fault sid 0x100 fault 6 addr "
                            "0x2000 write 1",
                            e, err, t0),
            ImportResult::event);
  EXPECT_EQ(e.kind, Kind::fault);
  EXPECT_EQ(e.access, Access::write);
  EXPECT_EQ(e.time_ps, 3'000'000u);  // 3 us later
}

TEST(QemuImport, AmdviAndSmmuv3) {
  Event e;
  std::string err;
  double t0 = -1;
  ASSERT_EQ(parse_qemu_line("amdvi_translation_result devid: 00:03.0 gpa 0x3000 hpa 0x1003000", e,
                            err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.rid, 0x0018);
  EXPECT_EQ(*e.out, 0x1003000u);
  ASSERT_EQ(parse_qemu_line("smmuv3_translate_success smmuv3-iommu-memory-region-0-0 sid=0x8 "
                            "iova=0x10000 translated=0x48010000 perm=0x2 stage=1",
                            e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.rid, 8);
  EXPECT_EQ(e.access, Access::write);
  ASSERT_EQ(parse_qemu_line("smmuv3_translate_success mr sid=16 iova=0x10 translated=0x20 perm=0x1",
                            e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.rid, 16);
  ASSERT_EQ(parse_qemu_line("smmuv3_translate_abort mr sid=0x8 abort on iova:0x5000 is_write=0", e,
                            err, t0),
            ImportResult::event);
  EXPECT_EQ(e.kind, Kind::fault);
  EXPECT_EQ(parse_qemu_line("vtd_reg_write addr 0x0 size 0x4 value 0x1", e, err, t0),
            ImportResult::ignored);
  EXPECT_EQ(parse_qemu_line("vtd_dmar_translate dev 01:00.00 iova 0x1000", e, err, t0),
            ImportResult::error);
}

TEST(FtraceImport, IommuAndDmaEvents) {
  Event e;
  std::string err;
  double t0 = -1;
  ASSERT_EQ(parse_ftrace_line("   kworker/0:1-42    [000] .....   100.000001: map: IOMMU: "
                              "iova=0x00000000fff00000 - 0x00000000fff01000 "
                              "paddr=0x0000000123456000 size=4096",
                              e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::map);
  EXPECT_EQ(e.addr, 0xfff00000u);
  EXPECT_EQ(*e.out, 0x123456000u);
  EXPECT_EQ(e.size, 4096u);
  ASSERT_EQ(parse_ftrace_line("   kworker/0:1-42    [000] .....   100.000002: unmap: IOMMU: "
                              "iova=0x00000000fff00000 - 0x00000000fff01000 size=4096 "
                              "unmapped_size=4096",
                              e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::unmap);
  EXPECT_EQ(e.time_ps, 1'000'000u);
  ASSERT_EQ(parse_ftrace_line("  irq/25-42 [001] d..1. 100.5: io_page_fault: IOMMU:nvme "
                              "0000:02:00.0 iova=0x0000000000001000 flags=0x0002",
                              e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::fault);
  EXPECT_EQ(e.rid, 0x0200);
  EXPECT_EQ(e.access, Access::write);
  ASSERT_EQ(parse_ftrace_line("  modprobe-7 [003] ..... 100.6: attach_device_to_domain: IOMMU: "
                              "device=0000:03:00.1",
                              e, err, t0),
            ImportResult::event);
  EXPECT_EQ(e.rid, 0x0301);
  ASSERT_EQ(parse_ftrace_line("  fio-9 [002] ..... 100.7: dma_map_page: 0000:02:00.0 "
                              "dir=FROM_DEVICE dma_addr=ffffe000 size=8192 phys_addr=2000000 "
                              "attrs=SKIP_CPU_SYNC",
                              e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::map);
  EXPECT_EQ(e.access, Access::write);
  EXPECT_EQ(*e.out, 0x2000000u);
  ASSERT_EQ(parse_ftrace_line("  fio-9 [002] ..... 100.8: dma_unmap_page: 0000:02:00.0 "
                              "dir=TO_DEVICE dma_addr=ffffe000 size=8192 attrs=",
                              e, err, t0),
            ImportResult::event)
      << err;
  EXPECT_EQ(e.kind, Kind::unmap);
  EXPECT_EQ(parse_ftrace_line("# tracer: nop", e, err, t0), ImportResult::ignored);
  EXPECT_EQ(parse_ftrace_line("  fio-9 [002] ..... 100.9: sched_switch: x", e, err, t0),
            ImportResult::ignored);
  EXPECT_EQ(parse_ftrace_line("  fio-9 [002] ..... 101.0: map: IOMMU: iova=zz", e, err, t0),
            ImportResult::error);
}

}  // namespace
}  // namespace isim::trace

namespace isim::trace {
namespace {

TEST(DeviceNames, PciNamesGiveRequesterIds) {
  EXPECT_EQ(rid_from_device_name("0000:02:00.0"), 0x0200);
  EXPECT_EQ(rid_from_device_name("03:1f.7"), 0x03ff);
  EXPECT_EQ(rid_from_device_name("platform-dev"), 0);
  EXPECT_EQ(rid_from_device_name("0000:02:00.8"), 0);
  EXPECT_EQ(parse_rid("02:1f.7"), 0x02ff);
  EXPECT_EQ(parse_rid("0x0100"), 0x0100);
  EXPECT_EQ(parse_rid("65536"), std::nullopt);
  EXPECT_EQ(format_rid(0x02ff), "02:1f.7");
}

}  // namespace
}  // namespace isim::trace
