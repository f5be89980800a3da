// AMD-Vi MMIO registers: offsets, field layouts, the Extended Feature Register from parameters,
// and the RegSpec table a RegBank is built from.
//
// Source: AMD I/O Virtualization Technology (IOMMU) Specification 48882 rev 3.x, section 3.4
// "IOMMU MMIO Registers": 3.4.1 Device Table Base, 3.4.2 Command Buffer Base, 3.4.3 Event Log
// Base, 3.4.4 Control, 3.4.5 Exclusion Base/Limit, 3.4.6 Extended Feature Register, 3.4.7 PPR
// Log Base, 3.4.10 command/event/PPR head and tail pointers, Status. Cross-checked against the
// digest /work/shared/reference/amdvi-tce-traces-iommufd.md section 1.1-1.5 (Linux
// amd_iommu_types.h, Xen iommu-defs.h, VirtualBox iommu-amd.h).
//
// Registers of features this model does not have are left out of the bank (they read as 0):
// GA log (guest vAPIC), MSI/XT interrupt-capability mirrors, EFR2, hardware-error and
// performance-counter registers, SMI filters, device-table segments. See SPEC_COVERAGE.md.
#pragma once

#include <cstdint>
#include <string>

#include "base/bits.h"
#include "hw/reg_bank.h"

namespace isim::amdvi {

// --- 3.4: fixed register offsets -------------------------------------------------------------
namespace reg {
inline constexpr uint32_t kDevTabBase = 0x0000;
inline constexpr uint32_t kCmdBufBase = 0x0008;
inline constexpr uint32_t kEventLogBase = 0x0010;
inline constexpr uint32_t kControl = 0x0018;
inline constexpr uint32_t kExclBase = 0x0020;
inline constexpr uint32_t kExclLimit = 0x0028;
inline constexpr uint32_t kEfr = 0x0030;
inline constexpr uint32_t kPprLogBase = 0x0038;
/// 3.4.x MSI capability registers mirrored in MMIO (present with EFR.MsiCapMmioSup; Linux
/// MMIO_MSI_ADDR_LO/HI/DATA_OFFSET 0x15C/0x160/0x164). The header at 0x158 mirrors the PCI
/// MSI capability header DWORD, Message Control in 31:16 (MSI Enable = bit 16) (VirtualBox
/// DevIommuAmd IOMMU_MMIO_OFF_MSI_CAP_HDR 0x158; 0x150/0x154 are the MSI vector registers,
/// not modelled).
inline constexpr uint32_t kMsiCapHdr = 0x0158;
inline constexpr uint32_t kMsiAddrLo = 0x015C;
inline constexpr uint32_t kMsiAddrHi = 0x0160;
inline constexpr uint32_t kMsiData = 0x0164;
inline constexpr uint32_t kCmdHead = 0x2000;
inline constexpr uint32_t kCmdTail = 0x2008;
inline constexpr uint32_t kEventHead = 0x2010;
inline constexpr uint32_t kEventTail = 0x2018;
inline constexpr uint32_t kStatus = 0x2020;
inline constexpr uint32_t kPprHead = 0x2030;
inline constexpr uint32_t kPprTail = 0x2038;
/// 3.4: the architected MMIO aperture is 16 KiB (PCI capability base address bits 13:0 zero).
inline constexpr uint32_t kMmioBytes = 0x4000;
}  // namespace reg

// --- 3.4.1: Device Table Base: DevTabBase 51:12, Size 8:0 = (Size+1) 4 KiB pages ------------
namespace devtab {
inline constexpr unsigned kSizeHi = 8, kSizeLo = 0;
inline constexpr unsigned kEntryBytes = 32;  ///< 2.2.2.1: 256-bit entries
inline constexpr uint64_t kPageBytes = 4096;
constexpr uint64_t base(uint64_t v) {
  return v & mask(51, 12);
}
constexpr unsigned size_field(uint64_t v) {
  return static_cast<unsigned>(bits(v, kSizeHi, kSizeLo));
}
/// Number of device table entries the register describes: (Size+1) * 4 KiB / 32 B.
constexpr uint32_t entries(uint64_t v) {
  return static_cast<uint32_t>((size_field(v) + 1) * kPageBytes / kEntryBytes);
}
constexpr uint64_t make(uint64_t base_pa, unsigned size) {
  return (base_pa & mask(51, 12)) | (uint64_t{size} & mask(kSizeHi, kSizeLo));
}
}  // namespace devtab

// --- 3.4.2 / 3.4.3 / 3.4.7: ring bases: Base 51:12, Len 59:56 = log2(entries) ---------------
namespace ring_base {
inline constexpr unsigned kLenHi = 59, kLenLo = 56;
inline constexpr unsigned kEntryBytes = 16;  ///< commands, events and PPR entries are 128-bit
/// ComLen/EventLen/PPRLen values below 8 (256 entries) are reserved.
inline constexpr unsigned kMinLen = 8;
inline constexpr unsigned kMaxLen = 15;
constexpr uint64_t base(uint64_t v) {
  return v & mask(51, 12);
}
constexpr unsigned len(uint64_t v) {
  return static_cast<unsigned>(bits(v, kLenHi, kLenLo));
}
constexpr uint64_t make(uint64_t base_pa, unsigned log2_entries) {
  return (base_pa & mask(51, 12)) | ((uint64_t{log2_entries} & 0xf) << kLenLo);
}
}  // namespace ring_base

/// 3.4.10: head/tail pointers hold a byte offset into the ring in bits 18:4.
namespace ring_ptr {
inline constexpr unsigned kHi = 18, kLo = 4;
constexpr uint64_t offset(uint64_t v) {
  return v & mask(kHi, kLo);
}
}  // namespace ring_ptr

/// 3.4.4: Control register bit positions.
namespace control {
inline constexpr unsigned kIommuEn = 0;
inline constexpr unsigned kHtTunEn = 1;
inline constexpr unsigned kEventLogEn = 2;
inline constexpr unsigned kEventIntEn = 3;
inline constexpr unsigned kComWaitIntEn = 4;
inline constexpr unsigned kInvTimeOutLo = 5, kInvTimeOutHi = 7;
inline constexpr unsigned kPassPW = 8;
inline constexpr unsigned kResPassPW = 9;
inline constexpr unsigned kCoherent = 10;
inline constexpr unsigned kIsoc = 11;
inline constexpr unsigned kCmdBufEn = 12;
inline constexpr unsigned kPprLogEn = 13;
inline constexpr unsigned kPprIntEn = 14;
inline constexpr unsigned kPprEn = 15;
inline constexpr unsigned kGTEn = 16;
inline constexpr unsigned kGAEn = 17;
inline constexpr unsigned kCrwLo = 18, kCrwHi = 21;
inline constexpr unsigned kSmiFEn = 22;
inline constexpr unsigned kSlfWBdis = 23;
inline constexpr unsigned kSmiFLogEn = 24;
inline constexpr unsigned kGAMEnLo = 25, kGAMEnHi = 27;
inline constexpr unsigned kGALogEn = 28;
inline constexpr unsigned kGAIntEn = 29;
inline constexpr unsigned kDualPprLogEnLo = 30, kDualPprLogEnHi = 31;
inline constexpr unsigned kDualEventLogEnLo = 32, kDualEventLogEnHi = 33;
inline constexpr unsigned kDevTblSegEnLo = 34, kDevTblSegEnHi = 36;
inline constexpr unsigned kPrivAbrtEnLo = 37, kPrivAbrtEnHi = 38;
inline constexpr unsigned kPprAutoRspEn = 39;
inline constexpr unsigned kMarcEn = 40;
inline constexpr unsigned kBlkStopMrkEn = 41;
// Bit 42: VirtualBox iommu-amd.h, FreeBSD amdiommu.h (AMDIOMMU_CTRL_PPRAUTORESPA_EN), CoreFreq
// and the vIOMMU guest-register code all put it there; the single outlier, bit 48 in an
// out-of-tree vIOMMU patch to amd_iommu_types.h, collides with GDUpdateDis. Unused: the model
// keeps Control bits 16:0 only (kModelled).
inline constexpr unsigned kPprAutoRspAon = 42;
inline constexpr unsigned kEPHEn = 45;
inline constexpr unsigned kHADUpdateLo = 46, kHADUpdateHi = 47;
inline constexpr unsigned kGDUpdateDis = 48;
inline constexpr unsigned kXTEn = 50;
inline constexpr unsigned kIntCapXTEn = 51;
/// Bits the model's Control register keeps (the enables this model acts on plus the
/// attribute/timeout fields software may program; everything else is RsvdZ here).
inline constexpr uint64_t kModelled = mask(16, 0);
}  // namespace control

/// 3.4.10 (MMIO offset 0x2020): Status register bits.
namespace status {
inline constexpr unsigned kEventOverflow = 0;  ///< RW1C
inline constexpr unsigned kEventLogInt = 1;    ///< RW1C
inline constexpr unsigned kComWaitInt = 2;     ///< RW1C
inline constexpr unsigned kEventLogRun = 3;    ///< RO
inline constexpr unsigned kCmdBufRun = 4;      ///< RO
inline constexpr unsigned kPprOverflow = 5;    ///< RW1C
inline constexpr unsigned kPprInt = 6;         ///< RW1C
inline constexpr unsigned kPprLogRun = 7;      ///< RO
inline constexpr uint64_t kRo = (1u << kEventLogRun) | (1u << kCmdBufRun) | (1u << kPprLogRun);
inline constexpr uint64_t kW1c = (1u << kEventOverflow) | (1u << kEventLogInt) |
                                 (1u << kComWaitInt) | (1u << kPprOverflow) | (1u << kPprInt);
}  // namespace status

/// PCI MSI capability (PCI Local Bus 6.8.1) as mirrored at reg::kMsiCapHdr.
namespace msi {
inline constexpr unsigned kEnable = 16;  ///< Message Control bit 0
inline constexpr uint32_t kCapId = 0x05;
}  // namespace msi

/// 3.4.5: Exclusion Base (ExEn bit 0, Allow bit 1, base 51:12) and Limit (51:12; the low 12
/// bits read as ones, the limit is inclusive).
namespace excl {
inline constexpr unsigned kExEn = 0;
inline constexpr unsigned kAllow = 1;
constexpr uint64_t base(uint64_t v) {
  return v & mask(51, 12);
}
constexpr uint64_t limit(uint64_t v) {
  return (v & mask(51, 12)) | mask(11, 0);
}
}  // namespace excl

// --- 3.4.6: Extended Feature Register ---------------------------------------------------------

/// Everything the EFR reports. Defaults describe an EPYC-class part with guest translation,
/// PPR, 6-level host / 5-level guest tables, 2-level GCR3 tables and 16-bit PASIDs (an estimate;
/// presets override every field).
struct Features {
  bool pref_sup = true;               ///< 0     PREFETCH_IOMMU_PAGES
  bool ppr_sup = true;                ///< 1     peripheral page requests
  bool xt_sup = false;                ///< 2     x2APIC interrupts (not modelled)
  bool nx_sup = true;                 ///< 3     no-execute in guest tables / PPR
  bool gt_sup = true;                 ///< 4     guest translation
  bool gappi_sup = false;             ///< 5     GA PPR interrupts (not modelled)
  bool ia_sup = true;                 ///< 6     INVALIDATE_IOMMU_ALL
  bool ga_sup = false;                ///< 7     guest vAPIC (not modelled)
  bool he_sup = false;                ///< 8     hardware error registers
  bool pc_sup = false;                ///< 9     performance counters
  unsigned hats = 2;                  ///< 11:10 host levels = 4 + HATS (3 reserved)
  unsigned gats = 1;                  ///< 13:12 guest levels: 0 4-level, 1 5-level
  unsigned glx_sup = 1;               ///< 15:14 GCR3 table levels supported minus one
  unsigned smif_sup = 0;              ///< 17:16 SMI filter
  unsigned smif_rc = 0;               ///< 20:18 SMI filter register count
  unsigned gam_sup = 0;               ///< 23:21 guest vAPIC modes
  unsigned dual_ppr_log_sup = 0;      ///< 25:24
  unsigned dual_event_log_sup = 0;    ///< 29:28
  bool sats_sup = false;              ///< 31    secure ATS
  unsigned pas_max = 15;              ///< 36:32 PASID width minus one
  bool us_sup = true;                 ///< 37    user/supervisor in guest tables
  unsigned dev_tbl_seg_sup = 0;       ///< 39:38
  bool ppr_ovrflw_early_sup = false;  ///< 40
  bool ppr_auto_rsp_sup = false;      ///< 41
  unsigned marc_sup = 0;              ///< 43:42
  bool blk_stop_mrk_sup = false;      ///< 44
  bool perf_opt_sup = false;          ///< 45
  bool msi_cap_mmio_sup = true;       ///< 46    MSI capability mirrored in MMIO
  bool gio_sup = true;                ///< 48    guest I/O protection (GIoV)
  bool ha_sup = false;                ///< 49    host access bits
  bool eph_sup = false;               ///< 50    enhanced PPR handling
  bool attr_fw_sup = false;           ///< 51
  bool hd_sup = false;                ///< 52    host dirty bits
  bool inv_iotlb_type_sup = false;    ///< 54
  bool viommu_sup = false;            ///< 55
  bool vm_guard_io_sup = false;       ///< 56
  unsigned vm_table_size = 0;         ///< 60:57
  bool ga_update_dis_sup = false;     ///< 61
  bool snp_sup = false;               ///< 63

  template <class V>
  void visit(V& v) {
    v.param("pref_sup", pref_sup, "EFR.PreFSup: PREFETCH_IOMMU_PAGES supported");
    v.param("ppr_sup", ppr_sup, "EFR.PPRSup: peripheral page requests");
    v.param("xt_sup", xt_sup, "EFR.XTSup: x2APIC interrupts (not modelled)");
    v.param("nx_sup", nx_sup, "EFR.NXSup: no-execute protection");
    v.param("gt_sup", gt_sup, "EFR.GTSup: guest (v2) translation");
    v.param("gappi_sup", gappi_sup, "EFR.GAPPISup: GA PPR interrupts (not modelled)");
    v.param("ia_sup", ia_sup, "EFR.IASup: INVALIDATE_IOMMU_ALL supported");
    v.param("ga_sup", ga_sup, "EFR.GASup: guest vAPIC (not modelled)");
    v.param("he_sup", he_sup, "EFR.HESup: hardware error registers");
    v.param("pc_sup", pc_sup, "EFR.PCSup: performance counters");
    v.param("hats", hats, "EFR.HATS: host page-table levels = 4 + HATS (0..2)");
    v.param("gats", gats, "EFR.GATS: guest page-table levels (0: 4-level, 1: 5-level)");
    v.param("glx_sup", glx_sup, "EFR.GLXSup: GCR3 table levels supported minus one (0..1)");
    v.param("smif_sup", smif_sup, "EFR.SmiFSup: SMI filter support");
    v.param("smif_rc", smif_rc, "EFR.SmiFRC: SMI filter register count");
    v.param("gam_sup", gam_sup, "EFR.GAMSup: guest vAPIC modes");
    v.param("dual_ppr_log_sup", dual_ppr_log_sup, "EFR.DualPprLogSup");
    v.param("dual_event_log_sup", dual_event_log_sup, "EFR.DualEventLogSup");
    v.param("sats_sup", sats_sup, "EFR.SATSSup: secure ATS");
    v.param("pas_max", pas_max, "EFR.PASmax: PASID width minus one");
    v.param("us_sup", us_sup, "EFR.USSup: user/supervisor checks in guest tables");
    v.param("dev_tbl_seg_sup", dev_tbl_seg_sup, "EFR.DevTblSegSup: device table segments");
    v.param("ppr_ovrflw_early_sup", ppr_ovrflw_early_sup, "EFR.PprOvrflwEarlySup");
    v.param("ppr_auto_rsp_sup", ppr_auto_rsp_sup, "EFR.PPRAutoRspSup");
    v.param("marc_sup", marc_sup, "EFR.MARCSup: memory access routing");
    v.param("blk_stop_mrk_sup", blk_stop_mrk_sup, "EFR.BlkStopMrkSup");
    v.param("perf_opt_sup", perf_opt_sup, "EFR.PerfOptSup");
    v.param("msi_cap_mmio_sup", msi_cap_mmio_sup, "EFR.MsiCapMmioSup");
    v.param("gio_sup", gio_sup, "EFR.GIoSup: guest I/O protection (DTE.GIoV)");
    v.param("ha_sup", ha_sup, "EFR.HASup: host access bits");
    v.param("eph_sup", eph_sup, "EFR.EPHSup: enhanced PPR handling");
    v.param("attr_fw_sup", attr_fw_sup, "EFR.AttrFWSup");
    v.param("hd_sup", hd_sup, "EFR.HDSup: host dirty bits");
    v.param("inv_iotlb_type_sup", inv_iotlb_type_sup, "EFR.InvIotlbTypeSup");
    v.param("viommu_sup", viommu_sup, "EFR.vIommuSup (not modelled)");
    v.param("vm_guard_io_sup", vm_guard_io_sup, "EFR.VmGuardIOSup");
    v.param("vm_table_size", vm_table_size, "EFR.VmTableSize");
    v.param("ga_update_dis_sup", ga_update_dis_sup, "EFR.GAUpdateDisSup");
    v.param("snp_sup", snp_sup, "EFR.SNPSup (not modelled)");
  }

  /// Empty when consistent, else the first problem (field widths, reserved encodings).
  std::string validate() const;
  /// The EFR value.
  uint64_t efr() const;
  /// Inverse of efr().
  static Features decode(uint64_t efr);

  // Derived values.
  unsigned max_host_levels() const { return 4 + hats; }
  unsigned max_guest_levels() const { return 4 + gats; }
  unsigned max_gcr3_levels() const { return glx_sup + 1; }
  unsigned pasid_bits() const { return pas_max + 1; }
};

/// Ids of the registers add_registers() created (absent ones are kNone).
struct RegIds {
  static constexpr RegBank::RegId kNone = ~RegBank::RegId{0};
  RegBank::RegId dev_tab_base, cmd_buf_base, event_log_base, control, excl_base, excl_limit, efr;
  RegBank::RegId ppr_log_base = kNone;
  RegBank::RegId cmd_head, cmd_tail, event_head, event_tail, status;
  RegBank::RegId ppr_head = kNone, ppr_tail = kNone;
  RegBank::RegId msi_cap = kNone, msi_addr_lo = kNone, msi_addr_hi = kNone, msi_data = kNone;
};

/// Adds every register the features call for to `bank` (window at least reg::kMmioBytes), with
/// reset values and access masks per 3.4. No behaviour hooks: the model attaches those.
RegIds add_registers(RegBank& bank, const Features& f);

}  // namespace isim::amdvi
