#include "models/vtd/regs.h"

#include <algorithm>
#include <string>
#include <vector>

namespace isim::vtd {

namespace {

uint64_t put(uint64_t v, unsigned hi, unsigned lo, uint64_t f) {
  return set_bits(v, hi, lo, f);
}
uint64_t put(uint64_t v, unsigned b, bool on) {
  return set_bit(v, b, on);
}

}  // namespace

std::string Capabilities::validate() const {
  if (nd > 6) return "vtd: nd must be <= 6 (16-bit domain IDs)";
  if (sagaw == 0 || sagaw > 0x1f) return "vtd: sagaw must set at least one of bits 4:0";
  if (mgaw > 63) return "vtd: mgaw out of range";
  if (haw < 32 || haw > 52) return "vtd: haw must be in [32, 52]";
  if (fro > 0x3ff || iro > 0x3ff) return "vtd: fro/iro are 10-bit fields";
  if (nfr > 0xff) return "vtd: nfr is an 8-bit field";
  if (mamv > 0x3f) return "vtd: mamv is a 6-bit field";
  if (sllps > 0xf) return "vtd: sllps is a 4-bit field";
  if (pss > 0x1f || mhmv > 0xf) return "vtd: pss/mhmv out of range";
  // 11.2: IVA/IOTLB and the fault records sit after the architected registers (0x100 covers
  // everything up to the page-request event registers) and must not overlap each other.
  const uint32_t iva_lo = reg::iva(iro), iva_hi = iva_lo + 16;
  const uint32_t fr_lo = reg::frcd_lo(fro, 0), fr_hi = fr_lo + 16 * (nfr + 1);
  if (iva_lo < 0x100 || fr_lo < 0x100) return "vtd: iro/fro overlap the fixed registers";
  if (iva_lo < fr_hi && fr_lo < iva_hi) return "vtd: IVA/IOTLB overlap the fault records";
  return {};
}

uint64_t Capabilities::cap() const {
  uint64_t v = 0;
  v = put(v, 2, 0, nd);
  v = put(v, 3, afl);
  v = put(v, 4, rwbf);
  v = put(v, 5, plmr);
  v = put(v, 6, phmr);
  v = put(v, 7, cm);
  v = put(v, 12, 8, sagaw);
  v = put(v, 21, 16, mgaw);
  v = put(v, 22, zlr);
  v = put(v, 33, 24, fro);
  v = put(v, 37, 34, sllps);
  v = put(v, 39, psi);
  v = put(v, 47, 40, nfr);
  v = put(v, 53, 48, mamv);
  v = put(v, 54, dwd);
  v = put(v, 55, drd);
  v = put(v, 56, fs1gp);
  v = put(v, 59, pi);
  v = put(v, 60, fs5lp);
  v = put(v, 61, ecmds);
  v = put(v, 62, esirtps);
  v = put(v, 63, esrtps);
  return v;
}

uint64_t Capabilities::ecap() const {
  uint64_t v = 0;
  v = put(v, 0, c);
  v = put(v, 1, qi);
  v = put(v, 2, dt);
  v = put(v, 3, ir);
  v = put(v, 4, eim);
  v = put(v, 6, pt);
  v = put(v, 7, sc);
  v = put(v, 17, 8, iro);
  v = put(v, 23, 20, mhmv);
  v = put(v, 25, mts);
  v = put(v, 26, nest);
  v = put(v, 29, prs);
  v = put(v, 30, ers);
  v = put(v, 31, srs);
  v = put(v, 33, nwfs);
  v = put(v, 34, eafs);
  v = put(v, 39, 35, pss);
  v = put(v, 40, pasid);
  v = put(v, 41, dit);
  v = put(v, 42, pds);
  v = put(v, 43, smts);
  v = put(v, 44, vcs);
  v = put(v, 45, ssads);
  v = put(v, 46, ssts);
  v = put(v, 47, fsts);
  v = put(v, 48, smpwcs);
  v = put(v, 49, rps);
  v = put(v, 52, adms);
  v = put(v, 53, rprivs);
  return v;
}

Capabilities Capabilities::decode(uint64_t c_, uint64_t e) {
  Capabilities k;
  k.nd = static_cast<unsigned>(bits(c_, 2, 0));
  k.afl = bit(c_, 3);
  k.rwbf = bit(c_, 4);
  k.plmr = bit(c_, 5);
  k.phmr = bit(c_, 6);
  k.cm = bit(c_, 7);
  k.sagaw = static_cast<unsigned>(bits(c_, 12, 8));
  k.mgaw = static_cast<unsigned>(bits(c_, 21, 16));
  k.zlr = bit(c_, 22);
  k.fro = static_cast<unsigned>(bits(c_, 33, 24));
  k.sllps = static_cast<unsigned>(bits(c_, 37, 34));
  k.psi = bit(c_, 39);
  k.nfr = static_cast<unsigned>(bits(c_, 47, 40));
  k.mamv = static_cast<unsigned>(bits(c_, 53, 48));
  k.dwd = bit(c_, 54);
  k.drd = bit(c_, 55);
  k.fs1gp = bit(c_, 56);
  k.pi = bit(c_, 59);
  k.fs5lp = bit(c_, 60);
  k.ecmds = bit(c_, 61);
  k.esirtps = bit(c_, 62);
  k.esrtps = bit(c_, 63);

  k.c = bit(e, 0);
  k.qi = bit(e, 1);
  k.dt = bit(e, 2);
  k.ir = bit(e, 3);
  k.eim = bit(e, 4);
  k.pt = bit(e, 6);
  k.sc = bit(e, 7);
  k.iro = static_cast<unsigned>(bits(e, 17, 8));
  k.mhmv = static_cast<unsigned>(bits(e, 23, 20));
  k.mts = bit(e, 25);
  k.nest = bit(e, 26);
  k.prs = bit(e, 29);
  k.ers = bit(e, 30);
  k.srs = bit(e, 31);
  k.nwfs = bit(e, 33);
  k.eafs = bit(e, 34);
  k.pss = static_cast<unsigned>(bits(e, 39, 35));
  k.pasid = bit(e, 40);
  k.dit = bit(e, 41);
  k.pds = bit(e, 42);
  k.smts = bit(e, 43);
  k.vcs = bit(e, 44);
  k.ssads = bit(e, 45);
  k.ssts = bit(e, 46);
  k.fsts = bit(e, 47);
  k.smpwcs = bit(e, 48);
  k.rps = bit(e, 49);
  k.adms = bit(e, 52);
  k.rprivs = bit(e, 53);
  return k;
}

uint32_t Capabilities::mmio_size() const {
  const uint32_t end = std::max({uint32_t{0x100}, reg::iotlb(iro) + 8, reg::frcd_hi(fro, nfr) + 8});
  return static_cast<uint32_t>(align_up(end, 12));  // whole 4 KiB pages, as DRHD units are
}

RegIds add_registers(RegBank& bank, const Capabilities& k) {
  using R = RegSpec;
  RegIds ids{};
  // Event-control registers (FECTL/IECTL/PECTL) reset with IM set (11.4.9.2).
  const uint64_t im = uint64_t{1} << ectl::kIM;
  const uint64_t ip = uint64_t{1} << ectl::kIP;
  // GCMD/GSTS: the command bits 31:23 (11.4.4); GSTS mirrors them read-only (11.4.5).
  const uint64_t cmd_bits = mask(31, 23);

  ids.ver = bank.add(
      R{.name = "VER", .offset = reg::kVer, .width = 4, .reset = k.ver(), .ro = mask(7, 0)});
  ids.cap = bank.add(
      R{.name = "CAP", .offset = reg::kCap, .width = 8, .reset = k.cap(), .ro = ~uint64_t{0}});
  ids.ecap = bank.add(
      R{.name = "ECAP", .offset = reg::kEcap, .width = 8, .reset = k.ecap(), .ro = ~uint64_t{0}});
  ids.gcmd = bank.add(R{.name = "GCMD", .offset = reg::kGcmd, .width = 4, .wo = cmd_bits});
  ids.gsts = bank.add(R{.name = "GSTS", .offset = reg::kGsts, .width = 4, .ro = cmd_bits});
  // 11.4.6: RTA 63:12 and TTM 11:10 (bits above HAW are the model's concern at SRTP time).
  ids.rtaddr =
      bank.add(R{.name = "RTADDR", .offset = reg::kRtaddr, .width = 8, .rw = mask(63, 10)});
  ids.ccmd = bank.add(R{.name = "CCMD",
                        .offset = reg::kCcmd,
                        .width = 8,
                        .rw = mask(63, 61) | mask(33, 0),
                        .ro = mask(60, 59)});
  ids.fsts = bank.add(R{.name = "FSTS",
                        .offset = reg::kFsts,
                        .width = 4,
                        .ro = (uint64_t{1} << fsts::kPPF) | mask(fsts::kFriHi, fsts::kFriLo),
                        .w1c = mask(6, 2) | (uint64_t{1} << fsts::kPFO)});
  ids.fectl = bank.add(
      R{.name = "FECTL", .offset = reg::kFectl, .width = 4, .reset = im, .rw = im, .ro = ip});
  // 11.4.9.3: IMD 15:0; EIMD 31:16 only with ECAP.EIM (x2APIC interrupt format).
  const uint64_t data_bits = k.eim ? mask(31, 0) : mask(15, 0);
  ids.fedata = bank.add(R{.name = "FEDATA", .offset = reg::kFedata, .width = 4, .rw = data_bits});
  ids.feaddr = bank.add(R{.name = "FEADDR", .offset = reg::kFeaddr, .width = 4, .rw = mask(31, 2)});
  ids.feuaddr =
      bank.add(R{.name = "FEUADDR", .offset = reg::kFeuaddr, .width = 4, .rw = mask(31, 0)});

  if (k.qi) {  // 11.4.10
    ids.iqh = bank.add(
        R{.name = "IQH", .offset = reg::kIqh, .width = 8, .ro = mask(iq::kHeadHi, iq::kHeadLo)});
    ids.iqt = bank.add(
        R{.name = "IQT", .offset = reg::kIqt, .width = 8, .rw = mask(iq::kHeadHi, iq::kHeadLo)});
    ids.iqa =
        bank.add(R{.name = "IQA",
                   .offset = reg::kIqa,
                   .width = 8,
                   .rw = mask(63, 12) | (uint64_t{1} << iq::kDW) | mask(iq::kQsHi, iq::kQsLo)});
    ids.ics =
        bank.add(R{.name = "ICS", .offset = reg::kIcs, .width = 4, .w1c = uint64_t{1} << iq::kIWC});
    ids.iectl = bank.add(
        R{.name = "IECTL", .offset = reg::kIectl, .width = 4, .reset = im, .rw = im, .ro = ip});
    ids.iedata = bank.add(R{.name = "IEDATA", .offset = reg::kIedata, .width = 4, .rw = data_bits});
    ids.ieaddr =
        bank.add(R{.name = "IEADDR", .offset = reg::kIeaddr, .width = 4, .rw = mask(31, 2)});
    ids.ieuaddr =
        bank.add(R{.name = "IEUADDR", .offset = reg::kIeuaddr, .width = 4, .rw = mask(31, 0)});
    // IQEI 3:0, ITESID 47:32, ICESID 63:48.
    ids.iqercd = bank.add(
        R{.name = "IQERCD", .offset = reg::kIqercd, .width = 8, .ro = mask(63, 32) | mask(3, 0)});
  }
  if (k.prs) {  // 11.4.11: software consumes at PQH, hardware produces at PQT
    ids.pqh = bank.add(
        R{.name = "PQH", .offset = reg::kPqh, .width = 8, .rw = mask(pq::kHeadHi, pq::kHeadLo)});
    ids.pqt = bank.add(
        R{.name = "PQT", .offset = reg::kPqt, .width = 8, .ro = mask(pq::kHeadHi, pq::kHeadLo)});
    ids.pqa = bank.add(R{.name = "PQA",
                         .offset = reg::kPqa,
                         .width = 8,
                         .rw = mask(63, 12) | mask(pq::kQsHi, pq::kQsLo)});
    ids.prs = bank.add(R{.name = "PRS",
                         .offset = reg::kPrs,
                         .width = 4,
                         .w1c = (uint64_t{1} << pq::kPPR) | (uint64_t{1} << pq::kPRO)});
    ids.pectl = bank.add(
        R{.name = "PECTL", .offset = reg::kPectl, .width = 4, .reset = im, .rw = im, .ro = ip});
    ids.pedata = bank.add(R{.name = "PEDATA", .offset = reg::kPedata, .width = 4, .rw = data_bits});
    ids.peaddr =
        bank.add(R{.name = "PEADDR", .offset = reg::kPeaddr, .width = 4, .rw = mask(31, 2)});
    ids.peuaddr =
        bank.add(R{.name = "PEUADDR", .offset = reg::kPeuaddr, .width = 4, .rw = mask(31, 0)});
  }

  // 11.4.8.2 IVA: ADDR 63:12, IH 6, AM 5:0. 11.4.8.1 IOTLB: IVT, IIRG, DR, DW, DID; IAIG RO.
  ids.iva = bank.add(R{.name = "IVA",
                       .offset = reg::iva(k.iro),
                       .width = 8,
                       .rw = mask(63, 12) | mask(iva_reg::kIH, 0)});
  ids.iotlb = bank.add(R{.name = "IOTLB",
                         .offset = reg::iotlb(k.iro),
                         .width = 8,
                         .rw = (uint64_t{1} << iotlb_reg::kIVT) |
                               mask(iotlb_reg::kIirgHi, iotlb_reg::kIirgLo) |
                               mask(iotlb_reg::kDR, iotlb_reg::kDidLo),
                         .ro = mask(iotlb_reg::kIaigHi, iotlb_reg::kIaigLo)});

  // 11.4.9.4: fault records. Hardware writes them; software only clears F.
  ids.num_frcd = k.num_fault_records();
  for (unsigned i = 0; i < ids.num_frcd; ++i) {
    const std::string lo = "FRCD" + std::to_string(i) + "_LO";
    const std::string hi = "FRCD" + std::to_string(i) + "_HI";
    const RegBank::RegId id =
        bank.add(R{.name = lo, .offset = reg::frcd_lo(k.fro, i), .width = 8, .ro = mask(63, 12)});
    bank.add(R{.name = hi,
               .offset = reg::frcd_hi(k.fro, i),
               .width = 8,
               .ro = mask(62, frcd::kT2) | mask(frcd::kSidHi, frcd::kSidLo),
               .w1c = uint64_t{1} << frcd::kF});
    if (i == 0) ids.frcd_first = id;
  }
  return ids;
}

}  // namespace isim::vtd
