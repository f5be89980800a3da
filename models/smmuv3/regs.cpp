#include "models/smmuv3/regs.h"

#include <array>

namespace isim::smmuv3 {

namespace {

// IHI 0070 6.3.6 IDR5.OAS encodings 000..101 (110 = 52 bits and 111 = 56 bits not modelled).
constexpr std::array<unsigned, 6> kOasBits = {32, 36, 40, 42, 44, 48};

uint32_t put(uint32_t v, unsigned hi, unsigned lo, uint64_t f) {
  return static_cast<uint32_t>(set_bits(v, hi, lo, f));
}
uint32_t put(uint32_t v, unsigned b, bool on) {
  return static_cast<uint32_t>(set_bit(v, b, on));
}

// Field tables for register dumps (RegBank::format).
constexpr RegField kCr0Fields[] = {{"SMMUEN", 0, 0}, {"PRIQEN", 1, 1}, {"EVENTQEN", 2, 2},
                                   {"CMDQEN", 3, 3}, {"ATSCHK", 4, 4}, {"VMW", 8, 6}};
constexpr RegField kGbpaFields[] = {{"Update", 31, 31},  {"ABORT", 20, 20}, {"INSTCFG", 19, 18},
                                    {"PRIVCFG", 17, 16}, {"NSCFG", 15, 14}, {"SHCFG", 13, 12},
                                    {"ALLOCCFG", 11, 8}, {"MTCFG", 4, 4},   {"MemAttr", 3, 0}};
constexpr RegField kStrtabCfgFields[] = {{"FMT", 17, 16}, {"SPLIT", 10, 6}, {"LOG2SIZE", 5, 0}};
constexpr RegField kQBaseFields[] = {{"RWA", 62, 62}, {"ADDR", 55, 5}, {"LOG2SIZE", 4, 0}};
constexpr RegField kCmdqConsFields[] = {{"ERR", 30, 24}, {"RD", 19, 0}};
constexpr RegField kOvPtrFields[] = {{"OVFLG", 31, 31}, {"PTR", 19, 0}};

}  // namespace

std::optional<unsigned> oas_decode(unsigned enc) {
  if (enc < kOasBits.size()) return kOasBits[enc];
  return std::nullopt;
}

std::optional<unsigned> oas_encode(unsigned bits) {
  for (unsigned i = 0; i < kOasBits.size(); ++i) {
    if (kOasBits[i] == bits) return i;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> IdParams::problems() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto fail = [&](const char* k, const char* m) { out.emplace_back(k, m); };
  // 6.3.2: SIDSIZE at most 32, SSIDSIZE at most 20, queue sizes at most 19.
  if (sid_bits > 32) fail("sid_bits", "SIDSIZE is at most 32");
  if (ssid_bits > 20) fail("ssid_bits", "SSIDSIZE is at most 20");
  if (cmdq_lg2 > queue::kMaxLog2Size) fail("cmdq_lg2", "CMDQS is at most 19");
  if (evtq_lg2 > queue::kMaxLog2Size) fail("evtq_lg2", "EVENTQS is at most 19");
  if (priq_lg2 > queue::kMaxLog2Size) fail("priq_lg2", "PRIQS is at most 19");
  if (!oas_encode(oas_bits)) fail("oas_bits", "OAS must be 32, 36, 40, 42, 44 or 48");
  if (!gran4k && !gran16k && !gran64k) fail("gran4k", "at least one granule is required");
  if (!s1p && !s2p) fail("s1p", "at least one translation stage is required (IDR0.S1P/S2P)");
  if (stall_model > 2) fail("stall_model", "STALL_MODEL 11 is reserved");
  if (httu > 2) fail("httu", "HTTU 11 (table AF) is not modelled");
  if (ssid_bits > 0 && !s1p) fail("ssid_bits", "substreams need stage 1");
  if (implementer > 0xfff) fail("implementer", "IIDR.Implementer is 12 bits");
  if (product_id > 0xfff) fail("product_id", "IIDR.ProductID is 12 bits");
  if (variant > 0xf) fail("variant", "IIDR.Variant is 4 bits");
  if (revision > 0xf) fail("revision", "IIDR.Revision is 4 bits");
  if (arch_minor > 4) fail("arch_minor", "AIDR.ArchMinorRev is 0..4 (SMMUv3.0-3.4)");
  // 6.3.4: range invalidation and the TTL hint came with SMMUv3.2; earlier versions have no RIL.
  if (ril && arch_minor < 2) fail("ril", "IDR3.RIL needs SMMUv3.2 or later (arch_minor >= 2)");
  if (stall_max > 0xffff) fail("stall_max", "IDR5.STALL_MAX is 16 bits");
  return out;
}

IdRegs encode_id_regs(const IdParams& p) {
  IdRegs r;
  uint32_t v = 0;
  // 6.3.1 IDR0
  v = put(v, idr0::ST_LEVEL_HI, idr0::ST_LEVEL_LO, p.two_level_strtab ? idr0::kStLevel2 : 0);
  v = put(v, idr0::TERM_MODEL, p.term_model);
  v = put(v, idr0::STALL_MODEL_HI, idr0::STALL_MODEL_LO, p.stall_model);
  v = put(v, idr0::TTENDIAN_HI, idr0::TTENDIAN_LO, idr0::kTtEndianLe);
  v = put(v, idr0::CD2L, p.cd2l);
  v = put(v, idr0::VMID16, p.vmid16);
  v = put(v, idr0::PRI, p.pri);
  v = put(v, idr0::SEV, p.sev);
  v = put(v, idr0::MSI, p.msi);
  v = put(v, idr0::ASID16, p.asid16);
  v = put(v, idr0::NS1ATS, p.ns1ats);
  v = put(v, idr0::ATS, p.ats);
  v = put(v, idr0::HYP, p.hyp);
  v = put(v, idr0::HTTU_HI, idr0::HTTU_LO, p.httu);
  v = put(v, idr0::BTM, p.btm);
  v = put(v, idr0::COHACC, p.cohacc);
  v = put(v, idr0::TTF_HI, idr0::TTF_LO, idr0::kTtfAArch64);
  v = put(v, idr0::S1P, p.s1p);
  v = put(v, idr0::S2P, p.s2p);
  r.idr0 = v;
  // 6.3.2 IDR1 (TABLES_PRESET/QUEUES_PRESET/REL = 0: software allocates everything)
  v = 0;
  v = put(v, idr1::CMDQS_HI, idr1::CMDQS_LO, p.cmdq_lg2);
  v = put(v, idr1::EVENTQS_HI, idr1::EVENTQS_LO, p.evtq_lg2);
  v = put(v, idr1::PRIQS_HI, idr1::PRIQS_LO, p.priq_lg2);
  v = put(v, idr1::SSIDSIZE_HI, idr1::SSIDSIZE_LO, p.ssid_bits);
  v = put(v, idr1::SIDSIZE_HI, idr1::SIDSIZE_LO, p.sid_bits);
  r.idr1 = v;
  // 6.3.4 IDR3
  v = 0;
  v = put(v, idr3::HAD, p.had);
  v = put(v, idr3::STT, p.stt);
  v = put(v, idr3::RIL, p.ril);
  r.idr3 = v;
  // 6.3.6 IDR5 (VAX = 00: 48-bit VAs)
  v = 0;
  v = put(v, idr5::STALL_MAX_HI, idr5::STALL_MAX_LO, p.stall_max);
  v = put(v, idr5::GRAN64K, p.gran64k);
  v = put(v, idr5::GRAN16K, p.gran16k);
  v = put(v, idr5::GRAN4K, p.gran4k);
  v = put(v, idr5::OAS_HI, idr5::OAS_LO, oas_encode(p.oas_bits).value_or(0));
  r.idr5 = v;
  // 6.3.7 IIDR: ProductID 31:20, Variant 19:16, Revision 15:12, Implementer 11:0
  v = 0;
  v = put(v, 31, 20, p.product_id);
  v = put(v, 19, 16, p.variant);
  v = put(v, 15, 12, p.revision);
  v = put(v, 11, 0, p.implementer);
  r.iidr = v;
  // 6.3.8 AIDR: ArchMajorRev 7:4 = 0 (SMMUv3), ArchMinorRev 3:0
  r.aidr = put(0, 3, 0, p.arch_minor);
  return r;
}

IdParams decode_id_regs(const IdRegs& r) {
  IdParams p;
  const uint64_t i0 = r.idr0;
  p.two_level_strtab = bits(i0, idr0::ST_LEVEL_HI, idr0::ST_LEVEL_LO) == idr0::kStLevel2;
  p.term_model = bit(i0, idr0::TERM_MODEL);
  p.stall_model = static_cast<unsigned>(bits(i0, idr0::STALL_MODEL_HI, idr0::STALL_MODEL_LO));
  p.cd2l = bit(i0, idr0::CD2L);
  p.vmid16 = bit(i0, idr0::VMID16);
  p.pri = bit(i0, idr0::PRI);
  p.sev = bit(i0, idr0::SEV);
  p.msi = bit(i0, idr0::MSI);
  p.asid16 = bit(i0, idr0::ASID16);
  p.ns1ats = bit(i0, idr0::NS1ATS);
  p.ats = bit(i0, idr0::ATS);
  p.hyp = bit(i0, idr0::HYP);
  p.httu = static_cast<unsigned>(bits(i0, idr0::HTTU_HI, idr0::HTTU_LO));
  p.btm = bit(i0, idr0::BTM);
  p.cohacc = bit(i0, idr0::COHACC);
  p.s1p = bit(i0, idr0::S1P);
  p.s2p = bit(i0, idr0::S2P);
  const uint64_t i1 = r.idr1;
  p.cmdq_lg2 = static_cast<unsigned>(bits(i1, idr1::CMDQS_HI, idr1::CMDQS_LO));
  p.evtq_lg2 = static_cast<unsigned>(bits(i1, idr1::EVENTQS_HI, idr1::EVENTQS_LO));
  p.priq_lg2 = static_cast<unsigned>(bits(i1, idr1::PRIQS_HI, idr1::PRIQS_LO));
  p.ssid_bits = static_cast<unsigned>(bits(i1, idr1::SSIDSIZE_HI, idr1::SSIDSIZE_LO));
  p.sid_bits = static_cast<unsigned>(bits(i1, idr1::SIDSIZE_HI, idr1::SIDSIZE_LO));
  p.had = bit(r.idr3, idr3::HAD);
  p.stt = bit(r.idr3, idr3::STT);
  p.ril = bit(r.idr3, idr3::RIL);
  const uint64_t i5 = r.idr5;
  p.stall_max = static_cast<unsigned>(bits(i5, idr5::STALL_MAX_HI, idr5::STALL_MAX_LO));
  p.gran64k = bit(i5, idr5::GRAN64K);
  p.gran16k = bit(i5, idr5::GRAN16K);
  p.gran4k = bit(i5, idr5::GRAN4K);
  // An encoding above 48 bits cannot come from encode_id_regs; read it as the widest modelled.
  p.oas_bits = oas_decode(static_cast<unsigned>(bits(i5, idr5::OAS_HI, idr5::OAS_LO))).value_or(48);
  p.product_id = static_cast<unsigned>(bits(r.iidr, 31, 20));
  p.variant = static_cast<unsigned>(bits(r.iidr, 19, 16));
  p.revision = static_cast<unsigned>(bits(r.iidr, 15, 12));
  p.implementer = static_cast<unsigned>(bits(r.iidr, 11, 0));
  p.arch_minor = static_cast<unsigned>(bits(r.aidr, 3, 0));
  return p;
}

std::vector<RegSpec> register_specs(const IdRegs& ids, const ResetParams& rst) {
  const uint64_t cr0_bits = (uint64_t{1} << cr0::SMMUEN) | (uint64_t{1} << cr0::PRIQEN) |
                            (uint64_t{1} << cr0::EVENTQEN) | (uint64_t{1} << cr0::CMDQEN) |
                            (uint64_t{1} << cr0::ATSCHK) | cr0::kVmw;
  const uint64_t gbpa_rw = (uint64_t{1} << gbpa::UPDATE) | (uint64_t{1} << gbpa::ABORT) |
                           gbpa::kInstCfg | gbpa::kPrivCfg | gbpa::kNsCfg | gbpa::kShCfg |
                           gbpa::kAllocCfg | (uint64_t{1} << gbpa::MTCFG) | gbpa::kMemAttr;
  const uint64_t gbpa_reset =
      set_bits(set_bit(0, gbpa::ABORT, rst.gbpa_abort), 13, 12, gbpa::kShCfgIncoming);
  const uint64_t qbase = queue::kBaseRwa | queue::kBaseAddr | queue::kBaseLog2Size;
  const uint64_t ov_ptr = (uint64_t{1} << queue::OVFLG) | queue::kPtr;
  const uint64_t irq_bits = mask(irq_ctrl::EVENTQ_IRQEN, irq_ctrl::GERROR_IRQEN);
  const uint64_t cr2_bits = mask(cr2::PTM, cr2::E2H);

  // 6.3: ID registers are RO; CR0ACK/IRQ_CTRLACK/GERROR/STATUSR are written by the SMMU only.
  return {
      {.name = "IDR0", .offset = reg::IDR0, .reset = ids.idr0, .ro = 0xffffffff},
      {.name = "IDR1", .offset = reg::IDR1, .reset = ids.idr1, .ro = 0xffffffff},
      {.name = "IDR2", .offset = reg::IDR2, .reset = ids.idr2, .ro = 0xffffffff},
      {.name = "IDR3", .offset = reg::IDR3, .reset = ids.idr3, .ro = 0xffffffff},
      {.name = "IDR4", .offset = reg::IDR4, .reset = ids.idr4, .ro = 0xffffffff},
      {.name = "IDR5", .offset = reg::IDR5, .reset = ids.idr5, .ro = 0xffffffff},
      {.name = "IIDR", .offset = reg::IIDR, .reset = ids.iidr, .ro = 0xffffffff},
      {.name = "AIDR", .offset = reg::AIDR, .reset = ids.aidr, .ro = 0xffffffff},
      {.name = "CR0", .offset = reg::CR0, .rw = cr0_bits, .fields = kCr0Fields},
      {.name = "CR0ACK", .offset = reg::CR0ACK, .ro = cr0_bits, .fields = kCr0Fields},
      {.name = "CR1", .offset = reg::CR1, .rw = mask(11, 0)},
      {.name = "CR2", .offset = reg::CR2, .rw = cr2_bits},
      {.name = "STATUSR", .offset = reg::STATUSR, .ro = 1},
      {.name = "GBPA",
       .offset = reg::GBPA,
       .reset = gbpa_reset,
       .rw = gbpa_rw,
       .fields = kGbpaFields},
      {.name = "IRQ_CTRL", .offset = reg::IRQ_CTRL, .rw = irq_bits},
      {.name = "IRQ_CTRLACK", .offset = reg::IRQ_CTRLACK, .ro = irq_bits},
      {.name = "GERROR", .offset = reg::GERROR, .ro = gerror::kImplemented},
      {.name = "GERRORN", .offset = reg::GERRORN, .rw = gerror::kImplemented},
      {.name = "GERROR_IRQ_CFG0", .offset = reg::GERROR_IRQ_CFG0, .width = 8, .rw = irq_cfg::kAddr},
      {.name = "GERROR_IRQ_CFG1", .offset = reg::GERROR_IRQ_CFG1, .rw = 0xffffffff},
      {.name = "GERROR_IRQ_CFG2", .offset = reg::GERROR_IRQ_CFG2, .rw = irq_cfg::kCfg2},
      {.name = "STRTAB_BASE",
       .offset = reg::STRTAB_BASE,
       .width = 8,
       .rw = strtab::kBaseRa | strtab::kBaseAddr},
      {.name = "STRTAB_BASE_CFG",
       .offset = reg::STRTAB_BASE_CFG,
       .rw = mask(strtab::FMT_HI, strtab::FMT_LO) | mask(strtab::SPLIT_HI, strtab::SPLIT_LO) |
             mask(strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO),
       .fields = kStrtabCfgFields},
      {.name = "CMDQ_BASE",
       .offset = reg::CMDQ_BASE,
       .width = 8,
       .rw = qbase,
       .fields = kQBaseFields},
      {.name = "CMDQ_PROD", .offset = reg::CMDQ_PROD, .rw = queue::kPtr},
      {.name = "CMDQ_CONS",
       .offset = reg::CMDQ_CONS,
       .rw = queue::kPtr,
       .ro = queue::kConsErr,
       .fields = kCmdqConsFields},
      {.name = "EVENTQ_BASE",
       .offset = reg::EVENTQ_BASE,
       .width = 8,
       .rw = qbase,
       .fields = kQBaseFields},
      {.name = "EVENTQ_IRQ_CFG0", .offset = reg::EVENTQ_IRQ_CFG0, .width = 8, .rw = irq_cfg::kAddr},
      {.name = "EVENTQ_IRQ_CFG1", .offset = reg::EVENTQ_IRQ_CFG1, .rw = 0xffffffff},
      {.name = "EVENTQ_IRQ_CFG2", .offset = reg::EVENTQ_IRQ_CFG2, .rw = irq_cfg::kCfg2},
      {.name = "PRIQ_BASE",
       .offset = reg::PRIQ_BASE,
       .width = 8,
       .rw = qbase,
       .fields = kQBaseFields},
      {.name = "PRIQ_IRQ_CFG0", .offset = reg::PRIQ_IRQ_CFG0, .width = 8, .rw = irq_cfg::kAddr},
      {.name = "PRIQ_IRQ_CFG1", .offset = reg::PRIQ_IRQ_CFG1, .rw = 0xffffffff},
      {.name = "PRIQ_IRQ_CFG2", .offset = reg::PRIQ_IRQ_CFG2, .rw = irq_cfg::kCfg2},
      {.name = "EVENTQ_PROD", .offset = reg::EVENTQ_PROD, .rw = ov_ptr, .fields = kOvPtrFields},
      {.name = "EVENTQ_CONS", .offset = reg::EVENTQ_CONS, .rw = ov_ptr, .fields = kOvPtrFields},
      {.name = "PRIQ_PROD", .offset = reg::PRIQ_PROD, .rw = ov_ptr, .fields = kOvPtrFields},
      {.name = "PRIQ_CONS", .offset = reg::PRIQ_CONS, .rw = ov_ptr, .fields = kOvPtrFields},
  };
}

}  // namespace isim::smmuv3
