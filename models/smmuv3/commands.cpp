#include "models/smmuv3/commands.h"

namespace isim::smmuv3 {

const char* opcode_name(uint8_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::kPrefetchConfig:
      return "CMD_PREFETCH_CONFIG";
    case Opcode::kPrefetchAddr:
      return "CMD_PREFETCH_ADDR";
    case Opcode::kCfgiSte:
      return "CMD_CFGI_STE";
    case Opcode::kCfgiSteRange:
      return "CMD_CFGI_STE_RANGE";
    case Opcode::kCfgiCd:
      return "CMD_CFGI_CD";
    case Opcode::kCfgiCdAll:
      return "CMD_CFGI_CD_ALL";
    case Opcode::kTlbiNhAll:
      return "CMD_TLBI_NH_ALL";
    case Opcode::kTlbiNhAsid:
      return "CMD_TLBI_NH_ASID";
    case Opcode::kTlbiNhVa:
      return "CMD_TLBI_NH_VA";
    case Opcode::kTlbiNhVaa:
      return "CMD_TLBI_NH_VAA";
    case Opcode::kTlbiEl3All:
      return "CMD_TLBI_EL3_ALL";
    case Opcode::kTlbiEl3Va:
      return "CMD_TLBI_EL3_VA";
    case Opcode::kTlbiEl2All:
      return "CMD_TLBI_EL2_ALL";
    case Opcode::kTlbiEl2Asid:
      return "CMD_TLBI_EL2_ASID";
    case Opcode::kTlbiEl2Va:
      return "CMD_TLBI_EL2_VA";
    case Opcode::kTlbiEl2Vaa:
      return "CMD_TLBI_EL2_VAA";
    case Opcode::kTlbiS12Vmall:
      return "CMD_TLBI_S12_VMALL";
    case Opcode::kTlbiS2Ipa:
      return "CMD_TLBI_S2_IPA";
    case Opcode::kTlbiNsnhAll:
      return "CMD_TLBI_NSNH_ALL";
    case Opcode::kAtcInv:
      return "CMD_ATC_INV";
    case Opcode::kPriResp:
      return "CMD_PRI_RESP";
    case Opcode::kResume:
      return "CMD_RESUME";
    case Opcode::kStallTerm:
      return "CMD_STALL_TERM";
    case Opcode::kSync:
      return "CMD_SYNC";
  }
  return "reserved";
}

namespace {

bool is_range_tlbi(Opcode op) {
  return op == Opcode::kTlbiNhVa || op == Opcode::kTlbiNhVaa || op == Opcode::kTlbiEl2Va ||
         op == Opcode::kTlbiEl2Vaa || op == Opcode::kTlbiS2Ipa;
}

// Whether the opcode exists for this implementation on the Non-secure queue (4.1, 4.3-4.7).
bool supported(Opcode op, const IdParams& caps) {
  switch (op) {
    case Opcode::kPrefetchConfig:
    case Opcode::kPrefetchAddr:
    case Opcode::kCfgiSte:
    case Opcode::kCfgiSteRange:
    case Opcode::kTlbiNsnhAll:
    case Opcode::kSync:
      return true;
    case Opcode::kCfgiCd:
    case Opcode::kCfgiCdAll:  // 4.3.3/4.3.4: CERROR_ILL without stage 1
      return caps.s1p;
    case Opcode::kTlbiNhAll:
    case Opcode::kTlbiNhAsid:
    case Opcode::kTlbiNhVa:
    case Opcode::kTlbiNhVaa:
      return caps.s1p || caps.s2p;
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
      return caps.hyp;
    case Opcode::kTlbiS12Vmall:
    case Opcode::kTlbiS2Ipa:
      return caps.s2p;
    case Opcode::kAtcInv:
      return caps.ats;
    case Opcode::kPriResp:
      return caps.pri;
    case Opcode::kResume:
    case Opcode::kStallTerm:  // 4.6: CERROR_ILL when STALL_MODEL = 01
      return caps.stall_model != 1;
    case Opcode::kTlbiEl3All:
    case Opcode::kTlbiEl3Va:  // Secure-queue only
      return false;
  }
  return false;
}

}  // namespace

CmdDecode decode_command(const CmdWords& w, const IdParams& caps) {
  CmdDecode d;
  Command& c = d.cmd;
  c.opcode = static_cast<uint8_t>(get(w, cmd::OP));
  c.ssec = get_bit(w, cmd::SSEC);
  c.ssv = get_bit(w, cmd::SSV);
  c.ssid = static_cast<uint32_t>(get(w, cmd::SSID));
  c.sid = static_cast<uint32_t>(get(w, cmd::SID));
  c.num = static_cast<uint8_t>(get(w, cmd::NUM));
  c.scale = static_cast<uint8_t>(get(w, cmd::SCALE));
  c.vmid = static_cast<uint16_t>(get(w, cmd::VMID));
  c.asid = static_cast<uint16_t>(get(w, cmd::ASID));
  c.leaf = get_bit(w, cmd::LEAF);
  c.ttl = static_cast<uint8_t>(get(w, cmd::TTL));
  c.tg = static_cast<uint8_t>(get(w, cmd::TG));
  const Opcode op = c.op();
  c.addr = op == Opcode::kTlbiS2Ipa ? get_addr(w, cmd::IPA) : get_addr(w, cmd::VA);
  c.range = static_cast<uint8_t>(get(w, cmd::RANGE));
  c.size = static_cast<uint8_t>(op == Opcode::kAtcInv ? get(w, cmd::ATC_SIZE)
                                                      : get(w, cmd::PREFETCH_SIZE));
  c.global = get_bit(w, cmd::ATC_GLOBAL);
  c.prg_index = static_cast<uint16_t>(get(w, cmd::PRG_INDEX));
  c.resp = static_cast<uint8_t>(get(w, cmd::RESP));
  c.retry = get_bit(w, cmd::RESUME_AC);
  c.abort = get_bit(w, cmd::RESUME_AB);
  c.stag = static_cast<uint16_t>(get(w, cmd::STAG));
  c.cs = static_cast<uint8_t>(get(w, cmd::CS));
  c.msh = static_cast<uint8_t>(get(w, cmd::MSH));
  c.msi_attr = static_cast<uint8_t>(get(w, cmd::MSI_ATTR));
  c.msi_data = static_cast<uint32_t>(get(w, cmd::MSI_DATA));
  c.msi_addr = get_addr(w, cmd::MSI_ADDR);

  const char* name = opcode_name(c.opcode);
  const bool known = name[0] != 'r';  // "reserved"
  if (!known || !supported(op, caps) || c.ssec) {
    d.error = CmdError::kIll;
    return d;
  }
  if (op == Opcode::kPriResp && c.resp == 3) d.error = CmdError::kIll;  // 4.5.2 Resp 11
  if (op == Opcode::kSync && c.cs == 3) d.error = CmdError::kIll;       // 4.7.3 CS 11
  if (is_range_tlbi(op) && c.tg != 0) {
    // 4.4.1: a range needs IDR3.RIL; TG != 0 with NUM = SCALE = TTL = 0 is reserved.
    if (!caps.ril || (c.num == 0 && c.scale == 0 && c.ttl == 0)) d.error = CmdError::kIll;
  }
  return d;
}

CmdWords encode_command(const Command& c) {
  CmdWords w{};
  const Opcode op = c.op();
  put(w, cmd::OP, c.opcode);
  put(w, cmd::SSEC, c.ssec);
  switch (op) {
    case Opcode::kTlbiNhAll:
    case Opcode::kTlbiNhAsid:
    case Opcode::kTlbiNhVa:
    case Opcode::kTlbiNhVaa:
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
    case Opcode::kTlbiS12Vmall:
    case Opcode::kTlbiS2Ipa:
    case Opcode::kTlbiNsnhAll:
      put(w, cmd::NUM, c.num);
      put(w, cmd::SCALE, c.scale);
      put(w, cmd::VMID, c.vmid);
      put(w, cmd::ASID, c.asid);
      put(w, cmd::LEAF, c.leaf);
      put(w, cmd::TTL, c.ttl);
      put(w, cmd::TG, c.tg);
      put_addr(w, op == Opcode::kTlbiS2Ipa ? cmd::IPA : cmd::VA, c.addr);
      break;
    case Opcode::kSync:
      put(w, cmd::CS, c.cs);
      put(w, cmd::MSH, c.msh);
      put(w, cmd::MSI_ATTR, c.msi_attr);
      put(w, cmd::MSI_DATA, c.msi_data);
      put_addr(w, cmd::MSI_ADDR, c.msi_addr);
      break;
    default:
      put(w, cmd::SSV, c.ssv);
      put(w, cmd::SSID, c.ssid);
      put(w, cmd::SID, c.sid);
      if (op == Opcode::kCfgiSte || op == Opcode::kCfgiCd) put(w, cmd::LEAF, c.leaf);
      if (op == Opcode::kCfgiSteRange) put(w, cmd::RANGE, c.range);
      if (op == Opcode::kPrefetchAddr) {
        put(w, cmd::PREFETCH_SIZE, c.size);
        put_addr(w, cmd::VA, c.addr);
      }
      if (op == Opcode::kAtcInv) {
        put(w, cmd::ATC_GLOBAL, c.global);
        put(w, cmd::ATC_SIZE, c.size);
        put_addr(w, cmd::VA, c.addr);
      }
      if (op == Opcode::kPriResp) {
        put(w, cmd::PRG_INDEX, c.prg_index);
        put(w, cmd::RESP, c.resp);
      }
      if (op == Opcode::kResume) {
        put(w, cmd::RESUME_AC, c.retry);
        put(w, cmd::RESUME_AB, c.abort);
        put(w, cmd::STAG, c.stag);
      }
      break;
  }
  return w;
}

}  // namespace isim::smmuv3
