// Arm SMMUv3 programming interface: register offsets and fields of pages 0 and 1 (IHI 0070
// 6.2 "Register overview", 6.3 "Register formats"), the identification registers computed from
// an implementation's parameters (IdParams), and the RegSpec table a RegBank is built from.
//
// Sources: IHI 0070 G.b 6.2 (memory map), 6.3.1-6.3.6 IDR0-IDR5, 6.3.7 IIDR, 6.3.8 AIDR,
// 6.3.9-6.3.12 CR0/CR0ACK/CR1/CR2, 6.3.14 GBPA, 6.3.16/17 IRQ_CTRL/IRQ_CTRLACK,
// 6.3.18/19 GERROR/GERRORN, 6.3.20-22 GERROR_IRQ_CFG0-2, 6.3.23/24 STRTAB_BASE(_CFG),
// 6.3.25-27 CMDQ_BASE/PROD/CONS, 6.3.28-33 EVENTQ_*, 6.3.34-39 PRIQ_*. Digest:
// /work/shared/reference/vtd-smmuv3-encodings.md section 2.1-2.8.
//
// Not modelled here: the Secure page (0x8000+), ATOS/VATOS, ECMDQ, DPT, MPAM, PMCG, IDR6 and
// the IMPDEF ID_REGS block (all unmapped: RAZ/WI, see hw/reg_bank.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/bits.h"
#include "hw/reg_bank.h"

namespace isim::smmuv3 {

// --- IHI 0070 6.2: register offsets. Page 1 starts 64 KiB above page 0.
inline constexpr uint32_t kPage1 = 0x10000;
/// Bytes of MMIO the two pages occupy.
inline constexpr uint32_t kMmioBytes = 2 * kPage1;

namespace reg {
inline constexpr uint32_t IDR0 = 0x0000;
inline constexpr uint32_t IDR1 = 0x0004;
inline constexpr uint32_t IDR2 = 0x0008;
inline constexpr uint32_t IDR3 = 0x000C;
inline constexpr uint32_t IDR4 = 0x0010;
inline constexpr uint32_t IDR5 = 0x0014;
inline constexpr uint32_t IIDR = 0x0018;
inline constexpr uint32_t AIDR = 0x001C;
inline constexpr uint32_t CR0 = 0x0020;
inline constexpr uint32_t CR0ACK = 0x0024;
inline constexpr uint32_t CR1 = 0x0028;
inline constexpr uint32_t CR2 = 0x002C;
inline constexpr uint32_t STATUSR = 0x0040;
inline constexpr uint32_t GBPA = 0x0044;
inline constexpr uint32_t IRQ_CTRL = 0x0050;
inline constexpr uint32_t IRQ_CTRLACK = 0x0054;
inline constexpr uint32_t GERROR = 0x0060;
inline constexpr uint32_t GERRORN = 0x0064;
inline constexpr uint32_t GERROR_IRQ_CFG0 = 0x0068;
inline constexpr uint32_t GERROR_IRQ_CFG1 = 0x0070;
inline constexpr uint32_t GERROR_IRQ_CFG2 = 0x0074;
inline constexpr uint32_t STRTAB_BASE = 0x0080;
inline constexpr uint32_t STRTAB_BASE_CFG = 0x0088;
inline constexpr uint32_t CMDQ_BASE = 0x0090;
inline constexpr uint32_t CMDQ_PROD = 0x0098;
inline constexpr uint32_t CMDQ_CONS = 0x009C;
inline constexpr uint32_t EVENTQ_BASE = 0x00A0;
inline constexpr uint32_t EVENTQ_IRQ_CFG0 = 0x00B0;
inline constexpr uint32_t EVENTQ_IRQ_CFG1 = 0x00B8;
inline constexpr uint32_t EVENTQ_IRQ_CFG2 = 0x00BC;
inline constexpr uint32_t PRIQ_BASE = 0x00C0;
inline constexpr uint32_t PRIQ_IRQ_CFG0 = 0x00D0;
inline constexpr uint32_t PRIQ_IRQ_CFG1 = 0x00D8;
inline constexpr uint32_t PRIQ_IRQ_CFG2 = 0x00DC;
// Page 1 (6.2: the event and PRI queue pointers software polls live on their own page).
inline constexpr uint32_t EVENTQ_PROD = kPage1 + 0x00A8;
inline constexpr uint32_t EVENTQ_CONS = kPage1 + 0x00AC;
inline constexpr uint32_t PRIQ_PROD = kPage1 + 0x00C8;
inline constexpr uint32_t PRIQ_CONS = kPage1 + 0x00CC;
}  // namespace reg

// --- Field positions (hi, lo) and single bits, per register.
namespace idr0 {  // 6.3.1
inline constexpr unsigned S2P = 0, S1P = 1, TTF_LO = 2, TTF_HI = 3, COHACC = 4, BTM = 5,
                          HTTU_LO = 6, HTTU_HI = 7, DORMHINT = 8, HYP = 9, ATS = 10, NS1ATS = 11,
                          ASID16 = 12, MSI = 13, SEV = 14, ATOS = 15, PRI = 16, VMW = 17,
                          VMID16 = 18, CD2L = 19, VATOS = 20, TTENDIAN_LO = 21, TTENDIAN_HI = 22,
                          STALL_MODEL_LO = 24, STALL_MODEL_HI = 25, TERM_MODEL = 26,
                          ST_LEVEL_LO = 27, ST_LEVEL_HI = 28;
inline constexpr unsigned kTtfAArch64 = 0b10;  ///< TTF: VMSAv8-64 tables only
inline constexpr unsigned kTtEndianLe = 0b10;  ///< TTENDIAN: little-endian only
inline constexpr unsigned kStLevel2 = 0b01;    ///< ST_LEVEL: 2-level stream tables
}  // namespace idr0
namespace idr1 {  // 6.3.2
inline constexpr unsigned SIDSIZE_HI = 5, SIDSIZE_LO = 0, SSIDSIZE_HI = 10, SSIDSIZE_LO = 6,
                          PRIQS_HI = 15, PRIQS_LO = 11, EVENTQS_HI = 20, EVENTQS_LO = 16,
                          CMDQS_HI = 25, CMDQS_LO = 21, REL = 28, QUEUES_PRESET = 29,
                          TABLES_PRESET = 30;
}  // namespace idr1
namespace idr3 {  // 6.3.4
inline constexpr unsigned HAD = 2, XNX = 4, STT = 9, RIL = 10;
}
namespace idr5 {  // 6.3.6
inline constexpr unsigned OAS_HI = 2, OAS_LO = 0, GRAN4K = 4, GRAN16K = 5, GRAN64K = 6, VAX_HI = 11,
                          VAX_LO = 10, STALL_MAX_HI = 31, STALL_MAX_LO = 16;
}
namespace cr0 {  // 6.3.9
inline constexpr unsigned SMMUEN = 0, PRIQEN = 1, EVENTQEN = 2, CMDQEN = 3, ATSCHK = 4;
inline constexpr uint64_t kVmw = mask(8, 6);
}  // namespace cr0
namespace cr1 {  // 6.3.11: cacheability and shareability of table and queue accesses
inline constexpr unsigned QUEUE_IC_LO = 0, QUEUE_OC_LO = 2, QUEUE_SH_LO = 4, TABLE_IC_LO = 6,
                          TABLE_OC_LO = 8, TABLE_SH_LO = 10;
inline constexpr uint64_t kCacheWb = 0b01;  ///< xC: Write-Back cacheable
inline constexpr uint64_t kShIsh = 0b11;    ///< xSH: Inner Shareable
}  // namespace cr1
namespace cr2 {  // 6.3.12
inline constexpr unsigned E2H = 0, RECINVSID = 1, PTM = 2;
}
namespace gbpa {  // 6.3.14
inline constexpr unsigned UPDATE = 31, ABORT = 20, MTCFG = 4;
inline constexpr uint64_t kInstCfg = mask(19, 18), kPrivCfg = mask(17, 16), kNsCfg = mask(15, 14),
                          kShCfg = mask(13, 12), kAllocCfg = mask(11, 8), kMemAttr = mask(3, 0);
inline constexpr uint64_t kShCfgIncoming = 0b01;  ///< SHCFG reset value: use incoming
}  // namespace gbpa
namespace irq_ctrl {  // 6.3.16
inline constexpr unsigned GERROR_IRQEN = 0, PRIQ_IRQEN = 1, EVENTQ_IRQEN = 2;
}
namespace gerror {  // 6.3.18: an error is active while GERROR.x != GERRORN.x
inline constexpr unsigned CMDQ_ERR = 0, EVENTQ_ABT_ERR = 2, PRIQ_ABT_ERR = 3, MSI_CMDQ_ABT_ERR = 4,
                          MSI_EVENTQ_ABT_ERR = 5, MSI_PRIQ_ABT_ERR = 6, MSI_GERROR_ABT_ERR = 7,
                          SFM_ERR = 8;
inline constexpr uint64_t kImplemented = mask(8, 2) | 1;
}  // namespace gerror
namespace strtab {  // 6.3.23 / 6.3.24
inline constexpr uint64_t kBaseRa = uint64_t{1} << 62, kBaseAddr = mask(55, 6);
inline constexpr unsigned FMT_HI = 17, FMT_LO = 16, SPLIT_HI = 10, SPLIT_LO = 6, LOG2SIZE_HI = 5,
                          LOG2SIZE_LO = 0;
inline constexpr unsigned kFmtLinear = 0, kFmt2Level = 1;
}  // namespace strtab
namespace queue {  // 6.3.25-6.3.39: Q_BASE, PROD/CONS
inline constexpr uint64_t kBaseRwa = uint64_t{1} << 62, kBaseAddr = mask(55, 5),
                          kBaseLog2Size = mask(4, 0);
inline constexpr uint64_t kPtr = mask(19, 0);       ///< WR / RD: index and wrap flag
inline constexpr uint64_t kConsErr = mask(30, 24);  ///< CMDQ_CONS.ERR
inline constexpr unsigned OVFLG = 31;               ///< EVENTQ/PRIQ_PROD.OVFLG, *_CONS.OVACKFLG
inline constexpr unsigned kMaxLog2Size = 19;        ///< IDR1.xQS maximum
}  // namespace queue
namespace irq_cfg {  // 6.3.20-22 and the EVENTQ/PRIQ equivalents
inline constexpr uint64_t kAddr = mask(55, 2);
inline constexpr uint64_t kCfg2 = mask(5, 0);  ///< SH 5:4, MemAttr 3:0
}  // namespace irq_cfg

/// IHI 0070 6.3.6 IDR5.OAS (also CD.IPS / STE.S2PS): 3-bit encoding <-> bits. 52 and 56
/// (FEAT_LPA / D128) are not modelled: nullopt.
std::optional<unsigned> oas_decode(unsigned enc);
std::optional<unsigned> oas_encode(unsigned bits);

/// What an implementation supports, as software discovers it in IDR0-5/IIDR/AIDR. A model
/// decodes its own ID registers back into this struct and the translator consults it.
struct IdParams {
  // IDR0
  bool two_level_strtab = true;  ///< ST_LEVEL = 01
  bool cd2l = true;              ///< 2-level CD tables
  bool s1p = true;               ///< stage 1 translation
  bool s2p = true;               ///< stage 2 translation
  bool vmid16 = true;
  bool asid16 = true;
  bool ats = true;
  bool ns1ats = false;  ///< 1 = split-stage ATS (STE.EATS = 10) NOT supported
  bool pri = true;
  bool msi = true;
  bool sev = false;
  bool btm = false;          ///< broadcast TLB maintenance
  bool cohacc = true;        ///< coherent table/queue accesses
  bool hyp = false;          ///< EL2 StreamWorld (not modelled by the walker: keep false)
  unsigned httu = 1;         ///< 0 none, 1 AF, 2 AF+dirty (dirty not modelled)
  unsigned stall_model = 0;  ///< 00 stall+terminate, 01 terminate only, 10 stall forced
  bool term_model = false;   ///< 1: terminated transactions always abort (CD.A must be 1)
  // IDR1
  unsigned sid_bits = 16;   ///< SIDSIZE
  unsigned ssid_bits = 20;  ///< SSIDSIZE (0: no substreams)
  unsigned cmdq_lg2 = 8;    ///< CMDQS
  unsigned evtq_lg2 = 8;    ///< EVENTQS
  unsigned priq_lg2 = 8;    ///< PRIQS
  // IDR3
  bool had = true;   ///< CD.HAD0/HAD1 hierarchical attribute disable
  bool stt = false;  ///< small translation tables (T0SZ up to 48/47)
  bool ril = true;   ///< range invalidation (TLBI TG/NUM/SCALE/TTL)
  // IDR5
  unsigned oas_bits = 48;  ///< output address size: 32, 36, 40, 42, 44, 48
  bool gran4k = true;
  bool gran16k = true;
  bool gran64k = true;
  unsigned stall_max = 0;  ///< STALL_MAX: outstanding stalled transactions
  // IIDR / AIDR
  unsigned implementer = 0x43b;  ///< JEP106 code of Arm (IIDR.Implementer)
  unsigned product_id = 0;
  unsigned variant = 0;
  unsigned revision = 0;
  unsigned arch_minor = 2;  ///< AIDR.ArchMinorRev: SMMUv3.<n>

  bool operator==(const IdParams&) const = default;

  /// Input address size of stage 2 (IHI 0070 3.4: IAS = OAS without AArch32 tables).
  unsigned ias_bits() const { return oas_bits; }
  bool granule_ok(unsigned lg2) const {
    return (lg2 == 12 && gran4k) || (lg2 == 14 && gran16k) || (lg2 == 16 && gran64k);
  }

  /// Every (key, message) that is out of range or inconsistent; empty when valid.
  std::vector<std::pair<std::string, std::string>> problems() const;

  template <class V>
  void visit(V& v) {
    v.param("two_level_strtab", two_level_strtab, "IDR0.ST_LEVEL: 2-level stream tables");
    v.param("cd2l", cd2l, "IDR0.CD2L: 2-level context-descriptor tables");
    v.param("s1p", s1p, "IDR0.S1P: stage-1 translation");
    v.param("s2p", s2p, "IDR0.S2P: stage-2 translation");
    v.param("vmid16", vmid16, "IDR0.VMID16: 16-bit VMIDs");
    v.param("asid16", asid16, "IDR0.ASID16: 16-bit ASIDs");
    v.param("ats", ats, "IDR0.ATS: PCIe ATS");
    v.param("ns1ats", ns1ats, "IDR0.NS1ATS: split-stage ATS NOT supported");
    v.param("pri", pri, "IDR0.PRI: page request interface");
    v.param("msi", msi, "IDR0.MSI: MSI interrupts");
    v.param("sev", sev, "IDR0.SEV: send event on CMD_SYNC");
    v.param("btm", btm, "IDR0.BTM: broadcast TLB maintenance");
    v.param("cohacc", cohacc, "IDR0.COHACC: coherent structure accesses");
    v.param("hyp", hyp, "IDR0.Hyp: EL2 StreamWorld");
    v.param("httu", httu, "IDR0.HTTU: 0 none, 1 access flag, 2 access flag + dirty");
    v.param("stall_model", stall_model,
            "IDR0.STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced");
    v.param("term_model", term_model, "IDR0.TERM_MODEL: terminated transactions always abort");
    v.param("sid_bits", sid_bits, "IDR1.SIDSIZE: StreamID bits (0..32)");
    v.param("ssid_bits", ssid_bits, "IDR1.SSIDSIZE: SubstreamID bits (0..20)");
    v.param("cmdq_lg2", cmdq_lg2, "IDR1.CMDQS: log2 of the largest command queue (0..19)");
    v.param("evtq_lg2", evtq_lg2, "IDR1.EVENTQS: log2 of the largest event queue (0..19)");
    v.param("priq_lg2", priq_lg2, "IDR1.PRIQS: log2 of the largest PRI queue (0..19)");
    v.param("had", had, "IDR3.HAD: hierarchical attribute disable");
    v.param("stt", stt, "IDR3.STT: small translation tables");
    v.param("ril", ril, "IDR3.RIL: range invalidation");
    v.param("oas_bits", oas_bits, "IDR5.OAS: output address bits (32/36/40/42/44/48)");
    v.param("gran4k", gran4k, "IDR5.GRAN4K");
    v.param("gran16k", gran16k, "IDR5.GRAN16K");
    v.param("gran64k", gran64k, "IDR5.GRAN64K");
    v.param("stall_max", stall_max, "IDR5.STALL_MAX: outstanding stalled transactions");
    v.param("implementer", implementer, "IIDR.Implementer (JEP106)");
    v.param("product_id", product_id, "IIDR.ProductID");
    v.param("variant", variant, "IIDR.Variant");
    v.param("revision", revision, "IIDR.Revision");
    v.param("arch_minor", arch_minor, "AIDR.ArchMinorRev: SMMUv3.<n> (0..4)");
  }
  /// Cross-field checks for the config loader (cfg::ParamReader calls it with a ParamChecker).
  template <class C>
  void validate(C& c) const {
    for (const auto& [key, msg] : problems()) c.fail(key, msg);
  }
};

/// The identification registers an IdParams implies.
struct IdRegs {
  uint32_t idr0 = 0, idr1 = 0, idr2 = 0, idr3 = 0, idr4 = 0, idr5 = 0, iidr = 0, aidr = 0;
  bool operator==(const IdRegs&) const = default;
};

IdRegs encode_id_regs(const IdParams& p);
/// What software reads back: every IdParams field the registers carry.
IdParams decode_id_regs(const IdRegs& r);

/// Reset values software-visible at power-on that are implementation choices.
struct ResetParams {
  bool gbpa_abort = false;  ///< GBPA.ABORT at reset (IHI 0070 6.3.14: IMPLEMENTATION DEFINED)
  template <class V>
  void visit(V& v) {
    v.param("gbpa_abort", gbpa_abort, "GBPA.ABORT at reset: abort traffic while SMMUEN is 0");
  }
};

/// The RegSpec table of pages 0 and 1 (IHI 0070 6.2), with ID registers from `ids`, for a
/// RegBank of kMmioBytes. Behaviour (CR0ACK, GBPA.Update, GERROR toggles, queue pointers) is
/// the model's post_write hooks.
std::vector<RegSpec> register_specs(const IdRegs& ids, const ResetParams& rst = {});

}  // namespace isim::smmuv3
