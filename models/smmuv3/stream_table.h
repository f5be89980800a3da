// Stream table lookup: StreamID -> STE address, through a linear table or a 2-level table of
// L1 descriptors (IHI 0070 3.3.2 "Stream tables", 5.1 "Level 1 Stream Table Descriptor",
// 6.3.23/6.3.24 STRTAB_BASE / STRTAB_BASE_CFG).
//
// L1STD (8 bytes, 5.1): Span 4:0 (0 invalid; 1..11: the level-2 array holds 2^(Span-1) STEs;
// 12..31 reserved, treated as invalid), L2Ptr 55:6 (aligned to the array size: the low bits
// are treated as zero).
// C_BAD_STREAMID conditions (7.3.3): StreamID >= 2^LOG2SIZE; an L1STD with Span 0 or reserved,
// Span > SPLIT + 1, or StreamID[SPLIT-1:0] >= 2^(Span-1).
#pragma once

#include <cstdint>

#include "hw/phys_mem.h"
#include "models/smmuv3/read_log.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"

namespace isim::smmuv3 {

namespace l1std {
inline constexpr unsigned SPAN_HI = 4, SPAN_LO = 0;
inline constexpr uint64_t kL2Ptr = mask(55, 6);
inline constexpr unsigned kMaxSpan = 11;
}  // namespace l1std

/// STRTAB_BASE / STRTAB_BASE_CFG as the SMMU uses them.
struct StrtabConfig {
  uint64_t base = 0;       ///< table (linear) or L1 table (2-level) address, alignment applied
  bool two_level = false;  ///< FMT = 01
  unsigned log2size = 0;   ///< StreamID bits covered (LOG2SIZE, capped at IDR1.SIDSIZE)
  unsigned split = 0;      ///< 2-level: StreamID bits resolved by the level-2 arrays
};

/// IHI 0070 6.3.24: LOG2SIZE above SIDSIZE behaves as SIDSIZE; SPLIT other than 6/8/10 is
/// reserved (taken as 6); FMT 2-level without IDR0.ST_LEVEL and reserved FMT values are taken
/// as linear. The base is aligned to the (L1) table size, at least 64 bytes (6.3.23).
StrtabConfig decode_strtab(uint64_t strtab_base, uint32_t strtab_base_cfg, const IdParams& caps);

enum class SteFetchStatus : uint8_t {
  kOk,
  kBadStreamId,  ///< out of range or no valid L1 descriptor (C_BAD_STREAMID with CR2.RECINVSID)
  kFetchAbort,   ///< the L1STD or STE read aborted or was beyond OAS (F_STE_FETCH)
};

struct SteFetch {
  SteFetchStatus status = SteFetchStatus::kOk;
  uint64_t ste_pa = 0;      ///< where the STE is (valid once the L1STD was decoded)
  uint64_t fetch_addr = 0;  ///< kFetchAbort: the address of the failing read
  SteWords words{};
};

/// Where StreamID `sid`'s STE lives, and its 64 bytes. Reads are appended to `log`.
SteFetch fetch_ste(PhysMem& mem, const StrtabConfig& st, uint32_t sid, const IdParams& caps,
                   ReadLog* log = nullptr);

}  // namespace isim::smmuv3
