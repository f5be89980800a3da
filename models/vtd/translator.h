// The VT-d functional translator: given the unit's programmed state, a DMA request and the
// memory holding the remapping structures, decode root -> context -> (PASID directory -> PASID
// entry) -> paging structures, and return the translation or the architected fault, plus every
// memory read made on the way. No time, no caches, no SystemC (DESIGN.md principle 1).
//
// Sources: Intel VT-d specification (rev 3.x/4.x) chapter 3 "DMA Remapping" (3.4 legacy and
// scalable-mode address translation, 3.5-3.8 first-stage / second-stage / nested / pass-through,
// 3.9 ATS), chapter 7.1 "Remapping Faults" (fault conditions, FPD, qualified faults), chapter 9
// (structure formats), 11.4.2/11.4.3 (capabilities).
//
// Each step is a separate public function so the SystemC model can put a context cache, a
// PASID cache, an IOTLB and paging-structure caches between them:
//
//   fetch_root_entry -> fetch_context -> [scalable: resolve_pasid -> fetch_pasid_entry]
//     -> translate_legacy / translate_pasid (the walk; the model may start it mid-table from a
//        paging-structure cache via walk_second_stage / walk_first_stage / walk_nested_stages)
//
// translate() chains them all. Every read is appended to a pt::WalkLog; structure reads use
// stage 0 and the level numbers in LogLevel below (page-table reads use stages 1/2 as usual).
//
// What it can do: legacy TT 00/01/10 with 3/4/5-level second-stage tables and 2 MiB / 1 GiB
// pages; scalable mode with PGTT first-stage (4/5-level), second-stage, nested and
// pass-through; RID_PASID; SRE/ERE/WPE/NXE/SMEP; DID and FPD propagation; ATS translation
// requests (a zero-permission answer for non-present pages) and translated requests.
// What it cannot do (yet): interrupt remapping, the abort-DMA mode beyond blocking,
// accessed/dirty updates (the walk option exists; the model decides), snoop/memory-type
// attributes (decoded, not applied), page requests (the model owns the PRQ).
#pragma once

#include <cstdint>
#include <optional>

#include "hw/phys_mem.h"
#include "models/vtd/context_entry.h"
#include "models/vtd/fault_reasons.h"
#include "models/vtd/pasid_entry.h"
#include "models/vtd/regs.h"
#include "models/vtd/root_entry.h"
#include "pagetable/fmt/vtd_ss.h"
#include "pagetable/fmt/x86_64.h"
#include "pagetable/walk_types.h"

namespace isim::vtd {

/// PCIe Address Type of a request (the AT field; also recorded in FRCD.AT).
enum class AtsType : uint8_t { Untranslated = 0, TranslationRequest = 1, Translated = 2 };

/// One DMA request as the remapping unit sees it.
struct Request {
  uint16_t sid = 0;               ///< requester ID: bus[15:8] dev[7:3] fn[2:0]
  std::optional<uint32_t> pasid;  ///< PASID TLP prefix, if any
  bool priv = false;              ///< privileged-mode requested (PASID prefix PMR)
  bool exec = false;              ///< execute requested (PASID prefix ER)
  uint64_t addr = 0;
  bool read = true;
  bool write = false;
  AtsType at = AtsType::Untranslated;

  uint8_t bus() const { return static_cast<uint8_t>(sid >> 8); }
  uint8_t devfn() const { return static_cast<uint8_t>(sid & 0xff); }
};

/// What software has programmed: RTADDR as latched by the last SRTP and GSTS.TES.
struct UnitState {
  uint64_t rtaddr = 0;
  bool te = false;
};

/// How an address was translated.
enum class TranslationType : uint8_t {
  Identity,     ///< translation disabled (GSTS.TES = 0): DMA passes untranslated
  PassThrough,  ///< legacy TT=10b or PGTT=100b
  SecondStage,  ///< legacy TT=00b/01b or PGTT=010b
  FirstStage,   ///< PGTT=001b
  Nested,       ///< PGTT=011b
  DeviceTlb,    ///< a translated request (AT=10b) allowed by the context: no walk
};

struct Translation {
  uint64_t oa = 0;
  uint8_t page_lg2 = 12;
  pt::Perms perms = pt::Perms::all();
  uint16_t did = 0;
  bool pasid_valid = false;  ///< the translation is tagged with a PASID (scalable mode)
  uint32_t pasid = 0;        ///< the PASID used (RID_PASID for requests without PASID)
  TranslationType type = TranslationType::Identity;
  bool fpd = false;  ///< FPD in effect for this device/PASID (for the IOTLB entry)
};

/// An architected fault plus what the model needs to fill a fault recording register.
struct Fault {
  FaultReason reason = FaultReason::None;
  uint16_t sid = 0;
  bool pasid_present = false;
  uint32_t pasid = 0;
  uint64_t addr = 0;  ///< the request address (FRCD.FI holds bits 63:12)
  bool read = false;
  bool write = false;
  bool exe = false;
  bool priv = false;
  AtsType at = AtsType::Untranslated;
  bool fpd = false;           ///< fault processing disabled: do not record (7.1.3 qualified)
  bool page_request = false;  ///< the request was a PRI page request (FRCD T2=1, T1=0)
  pt::Fault walk;             ///< walk details when the fault came from a paging structure
};

struct Result {
  Translation tr;
  Fault fault;
  pt::WalkLog log;
  bool ok() const { return fault.reason == FaultReason::None; }
};

/// Levels written into the log for structure reads (MemAccess::stage == 0).
enum class LogLevel : uint8_t {
  RootEntry = 0,
  ContextEntry = 1,
  PasidDirEntry = 2,
  PasidEntry = 3
};
inline constexpr uint8_t kStructureStage = 0;

/// A step's outcome: a value, or a fault reason with whether FPD covers it.
template <class T>
struct Step {
  T value{};
  FaultReason reason = FaultReason::None;
  bool fpd = false;
  bool ok() const { return reason == FaultReason::None; }
};

/// The decoded, validated context for one requester.
struct DeviceContext {
  bool scalable = false;
  uint64_t entry_pa = 0;
  LegacyContextEntry legacy;  ///< scalable == false
  ScalableContextEntry sm;    ///< scalable == true
  bool fpd = false;
};

/// The PASID entry serving one (requester, PASID).
struct PasidContext {
  uint32_t pasid = 0;
  bool with_pasid = false;  ///< the request carried a PASID (else RID_PASID was used)
  uint64_t entry_pa = 0;
  PasidEntry entry;
  bool fpd = false;  ///< FPD of the context, directory entry or PASID entry
};

/// Second-stage translations a nested walk may take from a cache instead of walking stage 2:
/// the model's cache of second-stage translations of first-stage table pointers (6.2.5). Only
/// the walker's table fetches consult it; the final output goes through stage 2 as usual.
class NestedStage2Cache {
 public:
  virtual ~NestedStage2Cache() = default;
  /// A cached second-stage translation of the page holding `gpa` in domain `did`.
  virtual std::optional<pt::Translation> lookup(uint16_t did, uint64_t gpa) = 0;
  virtual void fill(uint16_t did, uint64_t gpa, const pt::Translation& t) = 0;
};

class Translator {
 public:
  Translator(const Capabilities& caps, PhysMem& mem) : caps_(caps), mem_(&mem) {}

  const Capabilities& caps() const { return caps_; }

  /// The whole flow. With TE clear the request passes untranslated (Identity).
  Result translate(const UnitState& st, const Request& req) const;

  // --- Steps ---------------------------------------------------------------------------------
  /// RTADDR checks (TTM, table above HAW) and the 16-byte root entry for `bus` (raw).
  Step<Qw2> fetch_root_entry(const UnitState& st, uint8_t bus, pt::WalkLog& log) const;
  /// Root entry + context entry for `sid`, decoded and validated (present, reserved bits,
  /// TT/AW/DID programming). Mode-independent request checks (ATS vs TT/DTE, PASID vs PASIDE)
  /// are in check_request().
  Step<DeviceContext> fetch_context(const UnitState& st, uint16_t sid, pt::WalkLog& log) const;
  /// Request checks against the context: ATS type vs TT / DTE, PASID vs PASIDE, PDTS.
  FaultReason check_request(const DeviceContext& ctx, const Request& req) const;
  /// The PASID a scalable-mode request uses (its own, or RID_PASID).
  uint32_t effective_pasid(const DeviceContext& ctx, const Request& req) const;
  /// PASID directory entry + PASID-table entry for `pasid`, validated (present, reserved,
  /// PGTT/AW/FSPM supported).
  Step<PasidContext> fetch_pasid_entry(const DeviceContext& ctx, uint32_t pasid,
                                       pt::WalkLog& log) const;

  /// Legacy-mode translation through the context entry (TT, AW, SLPTPTR, DID). `start`, when
  /// given, is where a paging-structure cache lets the second-stage walk begin.
  Result translate_legacy(const DeviceContext& ctx, const Request& req,
                          const pt::WalkStart* start = nullptr) const;
  /// Scalable-mode translation through a PASID entry (PGTT, SRE/ERE, walks). `start` applies
  /// to single-stage walks (PGTT first- or second-stage only); nested walks start at the top.
  /// `s2_cache`, when given, serves nested walks' first-stage table fetches.
  Result translate_pasid(const DeviceContext& ctx, const PasidContext& pc, const Request& req,
                         const pt::WalkStart* start = nullptr,
                         NestedStage2Cache* s2_cache = nullptr) const;

  // --- Formats for the walks (the model builds its paging-structure caches on them) ---------
  /// Second-stage format for an AW (1..3) with this unit's HAW/MGAW/SLLPS/SC.
  std::optional<pt::VtdSsFormat> second_stage_format(unsigned aw, bool legacy, bool slee,
                                                     bool slade) const;
  /// First-stage format for a PASID entry (FSPM, WPE, NXE, SMEP, EAFE, CAP.FS1GP).
  std::optional<pt::X86Format> first_stage_format(const PasidEntry& pe) const;

  /// Maps a walk fault to its reason code (legacy or scalable, first or second stage).
  /// `fs_top` / `ss_top` are the top levels of the first / second stage (a failed access to the
  /// top table is "pointer invalid": SFL.4 / SSL.4); `granted` the rights the walk had reached.
  static FaultReason reason_for_walk_fault(const pt::Fault& f, bool legacy, unsigned fs_top,
                                           unsigned ss_top, const pt::AccessReq& req,
                                           pt::Perms granted);

  /// The fault record data for `req` failing with `r` (FPD as given).
  Fault make_fault(const Request& req, FaultReason r, bool fpd) const;

 private:
  bool read_struct(uint64_t pa, uint64_t* dst, unsigned qwords, LogLevel lvl,
                   pt::WalkLog& log) const;

  Capabilities caps_;
  PhysMem* mem_;
};

}  // namespace isim::vtd
