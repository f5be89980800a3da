#include "models/amdvi/regs.h"

namespace isim::amdvi {

namespace {

// 3.4.6: every EFR field as (hi, lo). One table drives encode and decode so the two cannot
// disagree.
template <class F>
void for_each_field(F&& f, Features& k) {
  f(0, 0, k.pref_sup);
  f(1, 1, k.ppr_sup);
  f(2, 2, k.xt_sup);
  f(3, 3, k.nx_sup);
  f(4, 4, k.gt_sup);
  f(5, 5, k.gappi_sup);
  f(6, 6, k.ia_sup);
  f(7, 7, k.ga_sup);
  f(8, 8, k.he_sup);
  f(9, 9, k.pc_sup);
  f(11, 10, k.hats);
  f(13, 12, k.gats);
  f(15, 14, k.glx_sup);
  f(17, 16, k.smif_sup);
  f(20, 18, k.smif_rc);
  f(23, 21, k.gam_sup);
  f(25, 24, k.dual_ppr_log_sup);
  f(29, 28, k.dual_event_log_sup);
  f(31, 31, k.sats_sup);
  f(36, 32, k.pas_max);
  f(37, 37, k.us_sup);
  f(39, 38, k.dev_tbl_seg_sup);
  f(40, 40, k.ppr_ovrflw_early_sup);
  f(41, 41, k.ppr_auto_rsp_sup);
  f(43, 42, k.marc_sup);
  f(44, 44, k.blk_stop_mrk_sup);
  f(45, 45, k.perf_opt_sup);
  f(46, 46, k.msi_cap_mmio_sup);
  f(48, 48, k.gio_sup);
  f(49, 49, k.ha_sup);
  f(50, 50, k.eph_sup);
  f(51, 51, k.attr_fw_sup);
  f(52, 52, k.hd_sup);
  f(54, 54, k.inv_iotlb_type_sup);
  f(55, 55, k.viommu_sup);
  f(56, 56, k.vm_guard_io_sup);
  f(60, 57, k.vm_table_size);
  f(61, 61, k.ga_update_dis_sup);
  f(63, 63, k.snp_sup);
}

struct Encoder {
  uint64_t v = 0;
  bool too_wide = false;
  void operator()(unsigned hi, unsigned lo, bool b) { v = set_bit(v, lo, b), (void)hi; }
  void operator()(unsigned hi, unsigned lo, unsigned x) {
    if (uint64_t{x} > mask(hi - lo, 0)) too_wide = true;
    v = set_bits(v, hi, lo, x);
  }
};

struct Decoder {
  uint64_t v;
  void operator()(unsigned, unsigned lo, bool& b) { b = bit(v, lo); }
  void operator()(unsigned hi, unsigned lo, unsigned& x) {
    x = static_cast<unsigned>(bits(v, hi, lo));
  }
};

}  // namespace

std::string Features::validate() const {
  Encoder e;
  Features copy = *this;
  for_each_field([&](unsigned hi, unsigned lo, auto& x) { e(hi, lo, x); }, copy);
  if (e.too_wide) return "amdvi: an EFR field value does not fit its width";
  // 3.4.6: HATS 11b and GATS 1xb are reserved; GLXSup 1xb (more than two GCR3 levels) too.
  if (hats > 2) return "amdvi: hats must be 0..2 (4..6 host levels)";
  if (gats > 1) return "amdvi: gats must be 0..1 (4- or 5-level guest tables)";
  if (glx_sup > 1) return "amdvi: glx_sup must be 0..1";
  if (pas_max > 19) return "amdvi: pas_max must be <= 19 (20-bit PASIDs)";
  return {};
}

uint64_t Features::efr() const {
  Encoder e;
  Features copy = *this;
  for_each_field([&](unsigned hi, unsigned lo, auto& x) { e(hi, lo, x); }, copy);
  return e.v;
}

Features Features::decode(uint64_t v) {
  Features k;
  Decoder d{v};
  for_each_field([&](unsigned hi, unsigned lo, auto& x) { d(hi, lo, x); }, k);
  return k;
}

RegIds add_registers(RegBank& bank, const Features& k) {
  using R = RegSpec;
  RegIds ids{};
  const uint64_t ptr = mask(ring_ptr::kHi, ring_ptr::kLo);
  const uint64_t ring = mask(51, 12) | mask(ring_base::kLenHi, ring_base::kLenLo);

  // 3.4.1-3.4.3
  ids.dev_tab_base = bank.add(R{.name = "DEV_TAB_BASE",
                                .offset = reg::kDevTabBase,
                                .width = 8,
                                .rw = mask(51, 12) | mask(devtab::kSizeHi, devtab::kSizeLo)});
  ids.cmd_buf_base =
      bank.add(R{.name = "CMD_BUF_BASE", .offset = reg::kCmdBufBase, .width = 8, .rw = ring});
  ids.event_log_base =
      bank.add(R{.name = "EVENT_LOG_BASE", .offset = reg::kEventLogBase, .width = 8, .rw = ring});
  // 3.4.4: the enables this model acts on (bits 16:0); the rest reads as zero here.
  ids.control =
      bank.add(R{.name = "CONTROL", .offset = reg::kControl, .width = 8, .rw = control::kModelled});
  // 3.4.5: Exclusion Base keeps ExEn/Allow and the base; Limit reads back 0xFFF in 11:0.
  ids.excl_base = bank.add(R{.name = "EXCL_BASE",
                             .offset = reg::kExclBase,
                             .width = 8,
                             .rw = mask(51, 12) | (1u << excl::kAllow) | (1u << excl::kExEn)});
  ids.excl_limit = bank.add(R{.name = "EXCL_LIMIT",
                              .offset = reg::kExclLimit,
                              .width = 8,
                              .reset = mask(11, 0),
                              .rw = mask(51, 12),
                              .ro = mask(11, 0)});
  ids.efr = bank.add(
      R{.name = "EFR", .offset = reg::kEfr, .width = 8, .reset = k.efr(), .ro = ~uint64_t{0}});
  if (k.ppr_sup) {
    ids.ppr_log_base =
        bank.add(R{.name = "PPR_LOG_BASE", .offset = reg::kPprLogBase, .width = 8, .rw = ring});
  }
  // 3.4.10: software owns the command tail and the log heads; the IOMMU advances the command
  // head and the log tails, which software may still program while the ring is disabled (the
  // model's hooks undo writes while it runs).
  ids.cmd_head = bank.add(R{.name = "CMD_HEAD", .offset = reg::kCmdHead, .width = 8, .rw = ptr});
  ids.cmd_tail = bank.add(R{.name = "CMD_TAIL", .offset = reg::kCmdTail, .width = 8, .rw = ptr});
  ids.event_head =
      bank.add(R{.name = "EVENT_HEAD", .offset = reg::kEventHead, .width = 8, .rw = ptr});
  ids.event_tail =
      bank.add(R{.name = "EVENT_TAIL", .offset = reg::kEventTail, .width = 8, .rw = ptr});
  ids.status = bank.add(R{.name = "STATUS",
                          .offset = reg::kStatus,
                          .width = 8,
                          .ro = status::kRo,
                          .w1c = status::kW1c});
  if (k.ppr_sup) {
    ids.ppr_head = bank.add(R{.name = "PPR_HEAD", .offset = reg::kPprHead, .width = 8, .rw = ptr});
    ids.ppr_tail = bank.add(R{.name = "PPR_TAIL", .offset = reg::kPprTail, .width = 8, .rw = ptr});
  }
  if (k.msi_cap_mmio_sup) {
    // PCI MSI capability: ID 05h (RO), Message Control Enable (RW); a 32-bit address, DWORD
    // aligned, its upper half, and 16 bits of data.
    ids.msi_cap = bank.add(R{.name = "MSI_CAP_HDR",
                             .offset = reg::kMsiCapHdr,
                             .width = 4,
                             .reset = msi::kCapId,
                             .rw = uint64_t{1} << msi::kEnable,
                             .ro = mask(7, 0)});
    ids.msi_addr_lo = bank.add(
        R{.name = "MSI_ADDR_LO", .offset = reg::kMsiAddrLo, .width = 4, .rw = mask(31, 2)});
    ids.msi_addr_hi = bank.add(
        R{.name = "MSI_ADDR_HI", .offset = reg::kMsiAddrHi, .width = 4, .rw = mask(31, 0)});
    ids.msi_data =
        bank.add(R{.name = "MSI_DATA", .offset = reg::kMsiData, .width = 4, .rw = mask(15, 0)});
  }
  return ids;
}

}  // namespace isim::amdvi
