// Context-descriptor table lookup: SubstreamID -> CD through the table STE.S1ContextPtr points
// to (IHI 0070 3.3.3 "Context descriptors", 5.3 "Level 1 Context Descriptor", 5.2 S1Fmt /
// S1CDMax). With stage 2 enabled (STE.Config = 111) the table addresses are IPAs, translated
// by the stage-2 callable before each read.
//
//   S1CDMax = 0                one CD at S1ContextPtr (substreams disabled)
//   S1Fmt 00 (or 11) linear    CD[SubstreamID] at S1ContextPtr + 64 * SSID
//   S1Fmt 01 2-level, 4 KiB    L1CD[SSID[S1CDMax-1:6]], then CD[SSID[5:0]] in a 4 KiB table
//   S1Fmt 10 2-level, 64 KiB   L1CD[SSID[S1CDMax-1:10]], then CD[SSID[9:0]] in a 64 KiB table
// L1CD (8 bytes, 5.3): V bit 0, L2Ptr 55:12. V = 0 or an L2Ptr beyond the address size is
// C_BAD_SUBSTREAMID (7.3.9); an aborted read is F_CD_FETCH (7.3.10); a stage-2 fault while
// translating a table address is reported with CLASS = CD (7.3.13).
#pragma once

#include <cstdint>
#include <functional>

#include "hw/phys_mem.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/read_log.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"
#include "pagetable/walk_types.h"

namespace isim::smmuv3 {

namespace l1cd {
inline constexpr unsigned V = 0;
inline constexpr uint64_t kL2Ptr = mask(55, 12);
}  // namespace l1cd

/// Translates an IPA for a structure fetch; appends its reads to the WalkLog. A model passes
/// its IPA cache here; stage2_walker() gives the plain walk.
using Stage2Fn = std::function<pt::StageResult(uint64_t ipa, const pt::AccessReq&, pt::WalkLog&)>;

enum class CdFetchStatus : uint8_t {
  kOk,
  kBadSubstream,  ///< L1CD.V == 0 or L1CD.L2Ptr out of range (C_BAD_SUBSTREAMID)
  kFetchAbort,    ///< the L1CD or CD read aborted (F_CD_FETCH)
  kS2Fault,       ///< stage 2 failed to translate a table address (s2_fault, CLASS = CD)
};

struct CdFetch {
  CdFetchStatus status = CdFetchStatus::kOk;
  uint64_t cd_addr = 0;     ///< the CD's address as the STE/L1CD give it (an IPA under stage 2)
  uint64_t fetch_addr = 0;  ///< kFetchAbort: PA of the failing read
  uint64_t s2_ipa = 0;      ///< kS2Fault: the IPA stage 2 was translating
  pt::Fault s2_fault;       ///< kS2Fault
  CdWords words{};
};

/// Index of the CD `ssid` selects, given the STE (the caller has range-checked ssid against
/// S1CDMax). Reads (including stage-2 walks) are appended to `log`.
CdFetch fetch_cd(PhysMem& mem, const Ste& ste, uint32_t ssid, const IdParams& caps,
                 const Stage2Fn* s2, ReadLog* log = nullptr);

}  // namespace isim::smmuv3
