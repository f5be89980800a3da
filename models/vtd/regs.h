// VT-d remapping-unit registers: offsets, field layouts, CAP/ECAP from parameters, and the
// RegSpec table a RegBank is built from.
//
// Source: Intel VT-d specification (rev 3.x/4.x) chapter 11 "Register Descriptions":
// 11.2 register map, 11.4.1 VER, 11.4.2 CAP, 11.4.3 ECAP, 11.4.4 GCMD, 11.4.5 GSTS, 11.4.6
// RTADDR, 11.4.7 CCMD, 11.4.8 IVA/IOTLB, 11.4.9 FSTS/FECTL/FEDATA/FEADDR/FEUADDR and the fault
// recording registers, 11.4.10 IQH/IQT/IQA/ICS/IECTL/IEDATA/IEADDR/IEUADDR/IQERCD, 11.4.11
// PQH/PQT/PQA/PRS/PECTL/PEDATA/PEADDR/PEUADDR.
//
// Registers that belong to features this model does not have are left out of the bank (they
// read as 0): AFLOG (CAP.AFL=0), PMEN/PLMBASE/.. (CAP.PLMR=PHMR=0 unless a preset says so; the
// registers are still absent), IRTA (interrupt remapping), MTRRs (ECAP.MTS), perfmon, ECMD,
// VCMD. See SPEC_COVERAGE.md.
#pragma once

#include <cstdint>
#include <string>

#include "base/bits.h"
#include "hw/reg_bank.h"

namespace isim::vtd {

// --- 11.2: fixed register offsets ------------------------------------------------------------
namespace reg {
inline constexpr uint32_t kVer = 0x000;
inline constexpr uint32_t kCap = 0x008;
inline constexpr uint32_t kEcap = 0x010;
inline constexpr uint32_t kGcmd = 0x018;
inline constexpr uint32_t kGsts = 0x01C;
inline constexpr uint32_t kRtaddr = 0x020;
inline constexpr uint32_t kCcmd = 0x028;
inline constexpr uint32_t kFsts = 0x034;
inline constexpr uint32_t kFectl = 0x038;
inline constexpr uint32_t kFedata = 0x03C;
inline constexpr uint32_t kFeaddr = 0x040;
inline constexpr uint32_t kFeuaddr = 0x044;
inline constexpr uint32_t kIqh = 0x080;
inline constexpr uint32_t kIqt = 0x088;
inline constexpr uint32_t kIqa = 0x090;
inline constexpr uint32_t kIcs = 0x09C;
inline constexpr uint32_t kIectl = 0x0A0;
inline constexpr uint32_t kIedata = 0x0A4;
inline constexpr uint32_t kIeaddr = 0x0A8;
inline constexpr uint32_t kIeuaddr = 0x0AC;
inline constexpr uint32_t kIqercd = 0x0B0;
inline constexpr uint32_t kPqh = 0x0C0;
inline constexpr uint32_t kPqt = 0x0C8;
inline constexpr uint32_t kPqa = 0x0D0;
inline constexpr uint32_t kPrs = 0x0DC;
inline constexpr uint32_t kPectl = 0x0E0;
inline constexpr uint32_t kPedata = 0x0E4;
inline constexpr uint32_t kPeaddr = 0x0E8;
inline constexpr uint32_t kPeuaddr = 0x0EC;
/// 11.4.8: IVA at ECAP.IRO*16, IOTLB at ECAP.IRO*16 + 8.
constexpr uint32_t iva(unsigned iro) {
  return iro * 16;
}
constexpr uint32_t iotlb(unsigned iro) {
  return iro * 16 + 8;
}
/// 11.4.9.4: fault recording register i (128 bits) at CAP.FRO*16 + 16*i; lo = bits 63:0.
constexpr uint32_t frcd_lo(unsigned fro, unsigned i) {
  return fro * 16 + 16 * i;
}
constexpr uint32_t frcd_hi(unsigned fro, unsigned i) {
  return fro * 16 + 16 * i + 8;
}
}  // namespace reg

// --- Field positions (bit numbers within the register) ---------------------------------------
/// 11.4.4 / 11.4.5: GCMD command bits and the GSTS status bits at the same positions.
namespace gcmd {
inline constexpr unsigned kTE = 31;     ///< translation enable / TES
inline constexpr unsigned kSRTP = 30;   ///< set root table pointer / RTPS
inline constexpr unsigned kSFL = 29;    ///< set fault log / FLS
inline constexpr unsigned kEAFL = 28;   ///< enable advanced fault logging / AFLS
inline constexpr unsigned kWBF = 27;    ///< write buffer flush / WBFS
inline constexpr unsigned kQIE = 26;    ///< queued invalidation enable / QIES
inline constexpr unsigned kIRE = 25;    ///< interrupt remapping enable / IRES
inline constexpr unsigned kSIRTP = 24;  ///< set interrupt remap table pointer / IRTPS
inline constexpr unsigned kCFI = 23;    ///< compatibility format interrupt / CFIS
}  // namespace gcmd

/// 11.4.6: RTADDR. TTM 11:10 selects the translation table mode.
enum class Ttm : uint8_t { Legacy = 0, Scalable = 1, Reserved = 2, AbortDma = 3 };
namespace rtaddr {
constexpr uint64_t table(uint64_t v) {
  return v & mask(63, 12);
}
constexpr Ttm ttm(uint64_t v) {
  return static_cast<Ttm>(bits(v, 11, 10));
}
constexpr uint64_t make(uint64_t table_pa, Ttm t) {
  return (table_pa & mask(63, 12)) | (uint64_t{static_cast<uint8_t>(t)} << 10);
}
}  // namespace rtaddr

/// 11.4.7: CCMD.
namespace ccmd {
inline constexpr unsigned kDidLo = 0, kDidHi = 15;
inline constexpr unsigned kSidLo = 16, kSidHi = 31;
inline constexpr unsigned kFmLo = 32, kFmHi = 33;
inline constexpr unsigned kCaigLo = 59, kCaigHi = 60;  ///< actual granularity (RO)
inline constexpr unsigned kCirgLo = 61, kCirgHi = 62;  ///< requested: 1 global, 2 domain, 3 device
inline constexpr unsigned kICC = 63;
}  // namespace ccmd

/// 11.4.8.1: IOTLB invalidate register (at IRO*16 + 8).
namespace iotlb_reg {
inline constexpr unsigned kDidLo = 32, kDidHi = 47;
inline constexpr unsigned kDW = 48;
inline constexpr unsigned kDR = 49;
inline constexpr unsigned kIaigLo = 57, kIaigHi = 58;  ///< actual granularity (RO)
inline constexpr unsigned kIirgLo = 60, kIirgHi = 61;  ///< 1 global, 2 domain, 3 page-selective
inline constexpr unsigned kIVT = 63;
}  // namespace iotlb_reg

/// 11.4.8.2: IVA (at IRO*16).
namespace iva_reg {
inline constexpr unsigned kAmLo = 0, kAmHi = 5;
inline constexpr unsigned kIH = 6;
inline constexpr unsigned kAddrLo = 12;
}  // namespace iva_reg

/// 11.4.9.1: FSTS.
namespace fsts {
inline constexpr unsigned kPFO = 0;  ///< primary fault overflow (RW1C)
inline constexpr unsigned kPPF = 1;  ///< primary pending fault (RO: OR of the F bits)
inline constexpr unsigned kAFO = 2;
inline constexpr unsigned kAPF = 3;
inline constexpr unsigned kIQE = 4;                 ///< invalidation queue error
inline constexpr unsigned kICE = 5;                 ///< invalidation completion error
inline constexpr unsigned kITE = 6;                 ///< invalidation time-out error
inline constexpr unsigned kFriLo = 8, kFriHi = 15;  ///< fault record index
}  // namespace fsts

/// 11.4.9.2 / 11.4.10.5 / 11.4.11.5: event control registers (FECTL, IECTL, PECTL).
namespace ectl {
inline constexpr unsigned kIM = 31;  ///< interrupt mask (reset 1)
inline constexpr unsigned kIP = 30;  ///< interrupt pending (RO)
}  // namespace ectl

/// 11.4.9.4: fault recording register, upper 64 bits (bits 127:64 of the record).
namespace frcd {
inline constexpr unsigned kSidLo = 0, kSidHi = 15;
inline constexpr unsigned kT2 = 28;
inline constexpr unsigned kPRIV = 29;
inline constexpr unsigned kEXE = 30;
inline constexpr unsigned kPP = 31;
inline constexpr unsigned kFrLo = 32, kFrHi = 39;
inline constexpr unsigned kPvLo = 40, kPvHi = 59;
inline constexpr unsigned kAtLo = 60, kAtHi = 61;
inline constexpr unsigned kT1 = 62;
inline constexpr unsigned kF = 63;
}  // namespace frcd

/// 11.4.10: invalidation queue registers.
namespace iq {
inline constexpr unsigned kHeadLo = 4, kHeadHi = 18;  ///< IQH/IQT byte offset 18:4
inline constexpr unsigned kQsLo = 0, kQsHi = 2;       ///< IQA.QS: 2^QS 4 KiB pages
inline constexpr unsigned kDW = 11;                   ///< IQA.DW: 256-bit descriptors
inline constexpr unsigned kIWC = 0;                   ///< ICS.IWC (RW1C)
}  // namespace iq

/// 11.4.11: page request queue registers.
namespace pq {
inline constexpr unsigned kHeadLo = 5, kHeadHi = 18;  ///< PQH/PQT byte offset 18:5
inline constexpr unsigned kQsLo = 0, kQsHi = 2;       ///< PQA.PQS
inline constexpr unsigned kPPR = 0;                   ///< PRS.PPR (RW1C)
inline constexpr unsigned kPRO = 1;                   ///< PRS.PRO (RW1C)
}  // namespace pq

// --- CAP / ECAP ------------------------------------------------------------------------------

/// Everything CAP_REG and ECAP_REG report (VT-d 11.4.2 / 11.4.3), plus the host address width
/// (which comes from the ACPI DMAR table, not from CAP) and the VER register. Field names
/// follow the spec; defaults describe a scalable-mode capable part with second- and first-stage
/// support, 4-level second-stage tables and a 46-bit host address width (an estimate of a
/// recent Xeon; presets override everything).
struct Capabilities {
  // VER_REG (11.4.1)
  unsigned ver_major = 6;
  unsigned ver_minor = 0;
  /// Host address width (ACPI DMAR "Host Address Width" + 1): address bits >= haw are reserved.
  unsigned haw = 46;

  // CAP_REG (11.4.2)
  unsigned nd = 6;          ///< 2:0  domains = 2^(4+2*ND)
  bool afl = false;         ///< 3    advanced fault logging
  bool rwbf = false;        ///< 4    required write-buffer flushing
  bool plmr = false;        ///< 5    protected low-memory region
  bool phmr = false;        ///< 6    protected high-memory region
  bool cm = false;          ///< 7    caching mode
  unsigned sagaw = 0b0100;  ///< 12:8 bit n: AGAW n (1: 39-bit/3-level, 2: 48/4, 3: 57/5)
  unsigned mgaw = 47;       ///< 21:16 max guest address width minus one
  bool zlr = false;         ///< 22   zero-length read
  unsigned fro = 0x22;      ///< 33:24 fault recording registers at FRO*16
  unsigned sllps = 0b11;    ///< 37:34 second-stage large pages: bit0 2 MiB, bit1 1 GiB
  bool psi = true;          ///< 39   page-selective invalidation
  unsigned nfr = 7;         ///< 47:40 number of fault recording registers minus one
  unsigned mamv = 9;        ///< 53:48 maximum address-mask value
  bool dwd = true;          ///< 54   write draining
  bool drd = true;          ///< 55   read draining
  bool fs1gp = true;        ///< 56   first-stage 1 GiB pages
  bool pi = false;          ///< 59   posted interrupts
  bool fs5lp = false;       ///< 60   first-stage 5-level paging
  bool ecmds = false;       ///< 61   enhanced command support
  bool esirtps = false;     ///< 62   enhanced SIRTP
  bool esrtps = false;      ///< 63   enhanced SRTP

  // ECAP_REG (11.4.3)
  bool c = true;        ///< 0    page-walk coherency
  bool qi = true;       ///< 1    queued invalidation
  bool dt = true;       ///< 2    device-TLB (ATS)
  bool ir = false;      ///< 3    interrupt remapping (not modelled: keep false)
  bool eim = false;     ///< 4    extended interrupt mode
  bool pt = true;       ///< 6    pass-through
  bool sc = false;      ///< 7    snoop control
  unsigned iro = 0x20;  ///< 17:8 IVA/IOTLB registers at IRO*16
  unsigned mhmv = 0;    ///< 23:20 maximum handle-mask value
  bool mts = false;     ///< 25   memory type support
  bool nest = true;     ///< 26   nested translation
  bool prs = true;      ///< 29   page requests
  bool ers = false;     ///< 30   execute requests
  bool srs = true;      ///< 31   supervisor requests
  bool nwfs = false;    ///< 33   no-write flag
  bool eafs = false;    ///< 34   extended accessed flag
  unsigned pss = 19;    ///< 39:35 PASID width minus one
  bool pasid = true;    ///< 40   PASID support
  bool dit = false;     ///< 41   device-TLB invalidation throttle
  bool pds = false;     ///< 42   page-request drain
  bool smts = true;     ///< 43   scalable-mode translation
  bool vcs = false;     ///< 44   virtual command
  bool ssads = false;   ///< 45   second-stage accessed/dirty
  bool ssts = true;     ///< 46   second-stage translation (scalable mode)
  bool fsts = true;     ///< 47   first-stage translation
  bool smpwcs = true;   ///< 48   scalable-mode page-walk coherency
  bool rps = true;      ///< 49   RID_PASID
  bool adms = false;    ///< 52   abort-DMA mode
  bool rprivs = false;  ///< 53   RID_PRIV

  template <class V>
  void visit(V& v) {
    v.param("ver_major", ver_major, "VER.MAX: architecture major version");
    v.param("ver_minor", ver_minor, "VER.MIN: architecture minor version");
    v.param("haw", haw, "host address width in bits (ACPI DMAR)");
    v.param("nd", nd, "CAP.ND: 2^(4+2*ND) domain IDs");
    v.param("afl", afl, "CAP.AFL: advanced fault logging");
    v.param("rwbf", rwbf, "CAP.RWBF: write-buffer flush required");
    v.param("plmr", plmr, "CAP.PLMR: protected low-memory region");
    v.param("phmr", phmr, "CAP.PHMR: protected high-memory region");
    v.param("cm", cm, "CAP.CM: caching mode");
    v.param("sagaw", sagaw, "CAP.SAGAW: supported AGAWs (bit1 39-bit, bit2 48-bit, bit3 57-bit)");
    v.param("mgaw", mgaw, "CAP.MGAW: maximum guest address width minus one");
    v.param("zlr", zlr, "CAP.ZLR: zero-length reads");
    v.param("fro", fro, "CAP.FRO: fault recording registers at FRO*16");
    v.param("sllps", sllps, "CAP.SLLPS: second-stage large pages (bit0 2M, bit1 1G)");
    v.param("psi", psi, "CAP.PSI: page-selective invalidation");
    v.param("nfr", nfr, "CAP.NFR: fault recording registers minus one");
    v.param("mamv", mamv, "CAP.MAMV: maximum address-mask value");
    v.param("dwd", dwd, "CAP.DWD: write draining");
    v.param("drd", drd, "CAP.DRD: read draining");
    v.param("fs1gp", fs1gp, "CAP.FS1GP: first-stage 1 GiB pages");
    v.param("pi", pi, "CAP.PI: posted interrupts");
    v.param("fs5lp", fs5lp, "CAP.FS5LP: first-stage 5-level paging");
    v.param("ecmds", ecmds, "CAP.ECMDS: enhanced command support");
    v.param("esirtps", esirtps, "CAP.ESIRTPS: enhanced SIRTP");
    v.param("esrtps", esrtps, "CAP.ESRTPS: enhanced SRTP");
    v.param("c", c, "ECAP.C: page-walk coherency");
    v.param("qi", qi, "ECAP.QI: queued invalidation");
    v.param("dt", dt, "ECAP.DT: device-TLB (ATS)");
    v.param("ir", ir, "ECAP.IR: interrupt remapping (not modelled)");
    v.param("eim", eim, "ECAP.EIM: extended interrupt mode");
    v.param("pt", pt, "ECAP.PT: pass-through");
    v.param("sc", sc, "ECAP.SC: snoop control");
    v.param("iro", iro, "ECAP.IRO: IVA/IOTLB registers at IRO*16");
    v.param("mhmv", mhmv, "ECAP.MHMV: maximum handle-mask value");
    v.param("mts", mts, "ECAP.MTS: memory type support");
    v.param("nest", nest, "ECAP.NEST: nested translation");
    v.param("prs", prs, "ECAP.PRS: page requests");
    v.param("ers", ers, "ECAP.ERS: execute requests");
    v.param("srs", srs, "ECAP.SRS: supervisor requests");
    v.param("nwfs", nwfs, "ECAP.NWFS: no-write flag");
    v.param("eafs", eafs, "ECAP.EAFS: extended accessed flag");
    v.param("pss", pss, "ECAP.PSS: PASID width minus one");
    v.param("pasid", pasid, "ECAP.PASID: PASID support");
    v.param("dit", dit, "ECAP.DIT: device-TLB invalidation throttle");
    v.param("pds", pds, "ECAP.PDS: page-request drain");
    v.param("smts", smts, "ECAP.SMTS: scalable-mode translation");
    v.param("vcs", vcs, "ECAP.VCS: virtual command");
    v.param("ssads", ssads, "ECAP.SSADS: second-stage accessed/dirty");
    v.param("ssts", ssts, "ECAP.SSTS: second-stage translation in scalable mode");
    v.param("fsts", fsts, "ECAP.FSTS: first-stage translation");
    v.param("smpwcs", smpwcs, "ECAP.SMPWCS: scalable-mode page-walk coherency");
    v.param("rps", rps, "ECAP.RPS: RID_PASID support");
    v.param("adms", adms, "ECAP.ADMS: abort-DMA mode");
    v.param("rprivs", rprivs, "ECAP.RPRIVS: RID_PRIV support");
  }

  /// Empty when consistent, else the first problem (field widths, offsets that overlap the
  /// fixed registers, SAGAW without any supported width, ...).
  std::string validate() const;

  uint64_t cap() const;   ///< CAP_REG value
  uint64_t ecap() const;  ///< ECAP_REG value
  uint32_t ver() const {
    return static_cast<uint32_t>(((ver_major & 0xf) << 4) | (ver_minor & 0xf));
  }
  /// Inverse of cap()/ecap(): every field of both registers (haw and VER keep their defaults).
  static Capabilities decode(uint64_t cap, uint64_t ecap);

  // Derived values.
  unsigned num_domains_lg2() const { return 4 + 2 * nd; }
  unsigned num_fault_records() const { return nfr + 1; }
  unsigned pasid_bits() const { return pss + 1; }
  bool agaw_supported(unsigned aw) const { return aw < 5 && ((sagaw >> aw) & 1); }
  /// Bytes of MMIO space the registers occupy (covers IVA/IOTLB and the fault records).
  uint32_t mmio_size() const;
};

/// Ids of the registers add_registers() created (absent ones are kNone).
struct RegIds {
  static constexpr RegBank::RegId kNone = ~RegBank::RegId{0};
  RegBank::RegId ver, cap, ecap, gcmd, gsts, rtaddr, ccmd, fsts, fectl, fedata, feaddr, feuaddr;
  RegBank::RegId iqh = kNone, iqt = kNone, iqa = kNone, ics = kNone, iectl = kNone, iedata = kNone,
                 ieaddr = kNone, ieuaddr = kNone, iqercd = kNone;
  RegBank::RegId pqh = kNone, pqt = kNone, pqa = kNone, prs = kNone, pectl = kNone, pedata = kNone,
                 peaddr = kNone, peuaddr = kNone;
  RegBank::RegId iva, iotlb;
  RegBank::RegId frcd_first;  ///< FRCDn_LO = frcd_first + 2n, FRCDn_HI = frcd_first + 2n + 1
  unsigned num_frcd = 0;
};

/// Adds every register the capabilities call for to `bank` (whose window must be at least
/// caps.mmio_size()), with reset values and access masks per chapter 11. No behaviour hooks:
/// the model attaches those.
RegIds add_registers(RegBank& bank, const Capabilities& caps);

}  // namespace isim::vtd
