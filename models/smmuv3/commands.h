// Commands: the 16-byte entries software writes to the Command queue (IHI 0070 4 "Commands":
// 4.2 prefetch, 4.3 configuration invalidation, 4.4 TLB invalidation, 4.5 ATS and PRI, 4.6
// fault response, 4.7 synchronization; 7.1 "Command queue errors"). Decode only: executing a
// command is the model's job.
//
// Layout (word:bits), IHI 0070 4.x figures (cross-checked with Linux arm-smmu-v3.h CMDQ_*):
//   common   0:7:0 Opcode, 0:10 SSec, 0:11 SSV, 0:31:12 SubstreamID, 0:63:32 StreamID
//   TLBI     0:16:12 NUM, 0:24:20 SCALE, 0:47:32 VMID, 0:63:48 ASID;
//            1:0 Leaf, 1:9:8 TTL, 1:11:10 TG, 1:63:12 Address (VA) / 1:55:12 (IPA)
//   CFGI     1:0 Leaf (CFGI_STE, CFGI_CD), 1:4:0 Range (CFGI_STE_RANGE; 31 = CFGI_ALL)
//   PREFETCH 1:4:0 Size, 1:63:12 Address
//   ATC_INV  0:9 Global; 1:5:0 Size, 1:63:12 Address
//   PRI_RESP 1:8:0 PRGIndex, 1:13:12 Resp
//   RESUME   0:12 Ac (retry), 0:13 Ab (abort on terminate); 1:15:0 STAG
//   SYNC     0:13:12 CS, 0:23:22 MSH, 0:27:24 MSIAttr, 0:63:32 MSIData; 1:55:2 MSIAddress
#pragma once

#include <array>
#include <cstdint>

#include "models/smmuv3/fields.h"
#include "models/smmuv3/regs.h"

namespace isim::smmuv3 {

inline constexpr unsigned kCmdBytes = 16;
using CmdWords = std::array<uint64_t, kCmdBytes / 8>;

/// IHI 0070 4.1 opcodes (Non-secure Command queue).
enum class Opcode : uint8_t {
  kPrefetchConfig = 0x01,
  kPrefetchAddr = 0x02,
  kCfgiSte = 0x03,
  kCfgiSteRange = 0x04,  ///< Range = 31 is CMD_CFGI_ALL
  kCfgiCd = 0x05,
  kCfgiCdAll = 0x06,
  kTlbiNhAll = 0x10,
  kTlbiNhAsid = 0x11,
  kTlbiNhVa = 0x12,
  kTlbiNhVaa = 0x13,
  kTlbiEl3All = 0x18,
  kTlbiEl3Va = 0x1A,
  kTlbiEl2All = 0x20,
  kTlbiEl2Asid = 0x21,
  kTlbiEl2Va = 0x22,
  kTlbiEl2Vaa = 0x23,
  kTlbiS12Vmall = 0x28,
  kTlbiS2Ipa = 0x2A,
  kTlbiNsnhAll = 0x30,
  kAtcInv = 0x40,
  kPriResp = 0x41,
  kResume = 0x44,
  kStallTerm = 0x45,
  kSync = 0x46,
};
const char* opcode_name(uint8_t op);

namespace cmd {
inline constexpr WordField OP{0, 7, 0}, SSEC{0, 10, 10}, SSV{0, 11, 11}, SSID{0, 31, 12},
    SID{0, 63, 32};
inline constexpr WordField NUM{0, 16, 12}, SCALE{0, 24, 20}, VMID{0, 47, 32}, ASID{0, 63, 48};
inline constexpr WordField LEAF{1, 0, 0}, TTL{1, 9, 8}, TG{1, 11, 10}, VA{1, 63, 12},
    IPA{1, 55, 12};
inline constexpr WordField RANGE{1, 4, 0}, PREFETCH_SIZE{1, 4, 0};
inline constexpr WordField ATC_GLOBAL{0, 9, 9}, ATC_SIZE{1, 5, 0};
inline constexpr WordField PRG_INDEX{1, 8, 0}, RESP{1, 13, 12};
inline constexpr WordField RESUME_AC{0, 12, 12}, RESUME_AB{0, 13, 13}, STAG{1, 15, 0};
inline constexpr WordField CS{0, 13, 12}, MSH{0, 23, 22}, MSI_ATTR{0, 27, 24}, MSI_DATA{0, 63, 32},
    MSI_ADDR{1, 55, 2};
inline constexpr unsigned kRangeAll = 31;  ///< CFGI_STE_RANGE Range for CMD_CFGI_ALL
}  // namespace cmd

/// CMD_SYNC completion signal (4.7.3 CS).
enum class SyncCs : uint8_t { kNone = 0, kIrq = 1, kSev = 2 };
/// CMD_PRI_RESP Resp (4.5.2): 00 ResponseFailure, 01 InvalidRequest, 10 Success.
enum class PriResp : uint8_t { kFailure = 0, kInvalid = 1, kSuccess = 2 };

/// 7.1 Command queue errors (CMDQ_CONS.ERR).
enum class CmdError : uint8_t { kNone = 0x00, kIll = 0x01, kAbt = 0x02, kAtcInvSync = 0x03 };

/// Every field any command has; each opcode reads its own.
struct Command {
  uint8_t opcode = 0;
  bool ssec = false;
  bool ssv = false;
  uint32_t ssid = 0;
  uint32_t sid = 0;
  // TLBI
  uint16_t vmid = 0, asid = 0;
  uint8_t num = 0, scale = 0, ttl = 0, tg = 0;
  bool leaf = false;
  uint64_t addr = 0;  ///< VA (63:12) / IPA (55:12) / prefetch or ATC address, in place
  // CFGI
  uint8_t range = 0;
  // PREFETCH_ADDR / ATC_INV
  uint8_t size = 0;
  bool global = false;
  // PRI_RESP
  uint16_t prg_index = 0;
  uint8_t resp = 0;
  // RESUME
  bool retry = false;  ///< Ac
  bool abort = false;  ///< Ab
  uint16_t stag = 0;
  // SYNC
  uint8_t cs = 0, msh = 0, msi_attr = 0;
  uint32_t msi_data = 0;
  uint64_t msi_addr = 0;  ///< bits 55:2 in place

  Opcode op() const { return static_cast<Opcode>(opcode); }
  bool is_cfgi_all() const { return op() == Opcode::kCfgiSteRange && range == cmd::kRangeAll; }
  /// TLBI range form (4.4.1, IDR3.RIL): TG != 0; the range is (NUM+1) * 2^SCALE granules.
  bool has_range() const { return tg != 0; }
  unsigned range_granule_lg2() const { return tg == 1 ? 12 : tg == 2 ? 14 : 16; }
  uint64_t range_bytes() const { return (uint64_t{num} + 1) << (scale + range_granule_lg2()); }
};

struct CmdDecode {
  Command cmd;
  CmdError error = CmdError::kNone;
};

/// Decodes one command and applies the CERROR_ILL rules (4.1 and per-command text): a reserved
/// or Secure-only opcode, SSec = 1 on the Non-secure queue, a command for an unimplemented
/// feature (stage 1/2, EL2, ATS, PRI, stalls), a reserved Resp/CS, a TLBI range with
/// NUM = SCALE = TTL = 0 or without IDR3.RIL.
CmdDecode decode_command(const CmdWords& w, const IdParams& caps);
CmdWords encode_command(const Command& c);

}  // namespace isim::smmuv3
