// The functional SMMUv3 translator (IHI 0070 3.2 "Translation process overview", 3.3 data
// structures, 3.4 address sizes, 3.9 ATS, 3.12 fault models, 5.5 A/R/S fault configuration,
// 7.3 events). No caches, no timing: given the programmed state and a request it fetches the
// STE and CD from memory, walks the tables and returns the output address or the event record
// the SMMU would write, plus every memory read it made.
//
// Each step is a separate function so the SystemC model can put its caches between them:
//   check_global()     SMMUEN / GBPA / ATS with the SMMU disabled
//   fetch_stream()     stream table -> STE -> StreamCtx          (configuration cache: STE)
//   select_substream() SubstreamID / S1DSS -> CD index or stage-1 bypass
//   fetch_context()    CD table -> CD -> CdCtx                   (configuration cache: CD)
//   walk_context()     stage 1 / stage 2 / nested walks          (TLB, walk caches; its
//                      stage-2 callable is where an IPA cache goes)
// translate() runs them in order.
//
// Can: linear and 2-level stream tables, linear and 2-level (4K/64K) CD tables, S1DSS, every
// Config, VMSAv8-64 stage 1 (TTB0 and TTB1) and stage 2 with 4K/16K/64K granules and
// concatenated stage-2 tables, nested walks (CD and stage-1 table fetches through stage 2), AF
// and AP/S2AP/XN checks, hardware AF update (HA/S2HA), PRIVCFG/INSTCFG overrides, A/R/S fault
// configuration (record, stall or terminate with abort or RAZ/WI), ATS Translation Requests
// (EATS) and Translated transactions (CR0.ATSCHK).
// Can't (documented in SPEC_COVERAGE.md): Secure and Realm streams, EL2/EL3 StreamWorlds,
// VMSAv8-32 and VMSAv9-128 tables, 52-bit addresses, dirty-state update, DPT, MPAM, memory
// attributes (MemAttr/ALLOCCFG/SHCFG are decoded, not applied), S2PTW (stage-2 Device check).
#pragma once

#include <cstdint>
#include <optional>

#include "hw/phys_mem.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/cd_table.h"
#include "models/smmuv3/events.h"
#include "models/smmuv3/read_log.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"
#include "models/smmuv3/stream_table.h"
#include "pagetable/fmt/arm_lpae.h"
#include "pagetable/walker.h"

namespace isim::smmuv3 {

/// PCIe ATS type of a transaction (IHI 0070 3.9).
enum class AtsType : uint8_t { kUntranslated, kTranslationRequest, kTranslated };

/// The programmed state the translator needs, decoded from the registers.
struct SmmuState {
  IdParams caps;
  bool smmuen = false;     ///< CR0.SMMUEN (as acknowledged in CR0ACK)
  bool atschk = false;     ///< CR0.ATSCHK
  bool recinvsid = false;  ///< CR2.RECINVSID: record C_BAD_STREAMID
  uint32_t gbpa = 0;       ///< GBPA
  StrtabConfig strtab;

  static SmmuState from_regs(const IdParams& caps, uint32_t cr0, uint32_t cr2, uint32_t gbpa,
                             uint64_t strtab_base, uint32_t strtab_base_cfg);
};

/// One incoming transaction (or ATS Translation Request).
struct Request {
  uint32_t sid = 0;
  std::optional<uint32_t> ssid;  ///< SubstreamID (PASID), when the transaction has one
  bool pnu = false;              ///< privileged
  bool ind = false;              ///< instruction fetch (reads only)
  bool rnw = true;               ///< read
  uint64_t addr = 0;
  AtsType ats = AtsType::kUntranslated;
};

enum class Outcome : uint8_t {
  kTranslated,  ///< oa is the translated address
  kBypass,      ///< oa = input address (GBPA bypass, Config bypass, ATS Translated passthrough)
  kAbort,       ///< terminated with an abort
  kRazWi,       ///< terminated: reads return zero, writes are ignored (CD.A = 0)
  kStall,       ///< stall model: the model holds the transaction until RESUME / STALL_TERM
};
const char* to_string(Outcome o);

/// How a step ended the translation: the outcome and the event to record, if any.
struct Stop {
  Outcome outcome = Outcome::kAbort;
  bool record = false;
  EventRecord event;
};

struct TranslateResult {
  Outcome outcome = Outcome::kAbort;
  uint64_t oa = 0;
  uint8_t page_lg2 = 0;  ///< size of the translation (min of the stages); 12 for bypass
  pt::Perms perms;       ///< combined rights of the stages applied
  bool s1 = false;       ///< stage 1 translated
  bool s2 = false;       ///< stage 2 translated
  uint16_t asid = 0;     ///< CD.ASID (stage 1)
  uint16_t vmid = 0;     ///< STE.S2VMID (translating streams when stage 2 is implemented)
  bool global = false;   ///< stage-1 leaf nG = 0 (matches every ASID)
  bool aset = false;     ///< CD.ASET
  uint64_t ipa = 0;      ///< nested: the stage-1 output
  bool record = false;   ///< `event` must be written to the Event queue
  EventRecord event;
  ReadLog reads;

  bool ok() const { return outcome == Outcome::kTranslated || outcome == Outcome::kBypass; }
};

/// Per-stream configuration after the STE was fetched and checked (a configuration-cache entry).
struct StreamCtx {
  Ste ste;
  uint64_t ste_pa = 0;
  std::optional<pt::ArmLpaeFormat> s2;  ///< stage-2 format when Config is 11x
};
/// Per-substream configuration (a CD-cache entry).
struct CdCtx {
  Cd cd;
  uint64_t cd_addr = 0;
  std::optional<pt::ArmLpaeFormat> tt0;  ///< nullopt when EPD0
  std::optional<pt::ArmLpaeFormat> tt1;  ///< nullopt when EPD1
};

/// The request's attributes after STE.PRIVCFG / INSTCFG (IHI 0070 5.2, 13.1.1); InD only
/// applies to reads.
Request apply_overrides(const Request& req, const Ste& ste);

/// Step 1 (IHI 0070 3.2, 6.3.14 GBPA, 7.3.6/7.3.8): a final result while SMMUEN = 0.
std::optional<TranslateResult> check_global(const SmmuState& st, const Request& req);

struct StreamStep {
  std::optional<Stop> stop;
  StreamCtx ctx;
};
/// Step 2: STE fetch and validity (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE).
StreamStep fetch_stream(const SmmuState& st, PhysMem& mem, const Request& req, ReadLog& log);

struct SubstreamStep {
  std::optional<Stop> stop;
  bool bypass_s1 = false;  ///< S1DSS = bypass, or stage 1 disabled
  uint32_t cd_index = 0;   ///< which CD to fetch when stage 1 applies
};
/// Step 3 (5.2 S1CDMax/S1DSS, 7.3.7, 7.3.9): which CD, or bypass, or the substream fault.
SubstreamStep select_substream(const SmmuState& st, const StreamCtx& sc, const Request& req);

struct CdStep {
  std::optional<Stop> stop;
  CdCtx ctx;
};
/// Step 4: CD fetch (through stage 2 when nested) and validity (C_BAD_SUBSTREAMID,
/// F_CD_FETCH, C_BAD_CD, stage-2 faults with CLASS = CD). `s2` is required when nested.
CdStep fetch_context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc, uint32_t cd_index,
                     const Request& req, const Stage2Fn* s2, ReadLog& log);

/// The event and outcome for a walk fault (F_TRANSLATION / F_ADDR_SIZE / F_ACCESS /
/// F_PERMISSION / F_WALK_EABT) with the CD's A/R/S or the STE's S2R/S2S (5.5).
Stop walk_fault_stop(const pt::Fault& f, const Request& req, const StreamCtx& sc, const Cd* cd,
                     bool cd_fetch);

/// A plain stage-2 walker for the stream (the default stage-2 callable).
Stage2Fn stage2_walker(const StreamCtx& sc, PhysMem& mem);

/// Step 5: the walks. `cd` is null when stage 1 is bypassed. `s2` replaces the plain stage-2
/// walk (a model's IPA cache); null walks stage 2 directly. `start`, when given, is where the
/// walk of the translating stage begins instead of its root (stage 1 when `cd`, else stage 2):
/// an intermediate table a walk cache found. Reads are appended to result.reads.
TranslateResult walk_context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc,
                             const CdCtx* cd, const Request& req, const Stage2Fn* s2 = nullptr,
                             const pt::WalkStart* start = nullptr);

/// What a request needs from the tables (ATS Translation Requests look up with read).
pt::AccessReq access_of(const Request& req);

/// The cacheable steps of a translation. translate() runs the architected order of checks once
/// and calls these for the work a model can cache (STE and CD fetches, the stage-2 translator
/// used for table fetches, the walks); a model overrides them to put its caches in between.
/// The defaults are the plain uncached steps above.
class TranslateSteps {
 public:
  virtual ~TranslateSteps() = default;
  virtual StreamStep stream(const SmmuState& st, PhysMem& mem, const Request& req, ReadLog& log) {
    return fetch_stream(st, mem, req, log);
  }
  virtual CdStep context(const SmmuState& st, PhysMem& mem, const StreamCtx& sc, uint32_t cd_index,
                         const Request& req, const Stage2Fn* s2, ReadLog& log) {
    return fetch_context(st, mem, sc, cd_index, req, s2, log);
  }
  virtual Stage2Fn stage2(const StreamCtx& sc, PhysMem& mem) { return stage2_walker(sc, mem); }
  virtual TranslateResult walk(const SmmuState& st, PhysMem& mem, const StreamCtx& sc,
                               const CdCtx* cd, const Request& req, const Stage2Fn* s2) {
    return walk_context(st, mem, sc, cd, req, s2);
  }
};

/// The whole translation through `steps`.
TranslateResult translate(const SmmuState& st, PhysMem& mem, const Request& req,
                          TranslateSteps& steps);
/// The whole translation, uncached.
TranslateResult translate(const SmmuState& st, PhysMem& mem, const Request& req);

}  // namespace isim::smmuv3
