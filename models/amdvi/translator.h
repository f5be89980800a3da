// The AMD-Vi functional translator: given the unit's programmed state, a DMA request and the
// memory holding the device table, GCR3 tables and page tables, decode DTE -> (GCR3 -> v2 guest
// walk, nested over the v1 host table) or v1 host walk, and return the translation or the
// architected event, plus every memory read made on the way. No time, no caches, no SystemC
// (DESIGN.md principle 1).
//
// Sources: AMD IOMMU 48882 rev 3.x: 2.2.2 device table and DTE fields, 2.2.3 host (v1) page
// tables, 2.2.6 guest (v2) tables and GCR3, 2.2.7 nested (two-level) translation, 2.3 DMA
// request processing and the exclusion range, 2.5 events, 3.4.4 Control (IommuEn, GTEn).
//
// Steps, each a public function so the SystemC model can put a device-table cache, a GCR3
// cache, an IOTLB and page-directory caches between them:
//
//   fetch_dte -> [exclusion check] -> translate_host (GV = 0, or no PASID without GIoV)
//                                  -> fetch_gcr3 -> translate_guest (GV = 1)
//
// translate() chains them. Every read is appended to a pt::WalkLog; the DTE read is logged
// with stage 0 level 0, GCR3 reads with stage 0 and level kGcr3LogLevelBase + table level;
// page-table reads use stages 1 (guest v2) and 2 (host v1, also for host-only walks).
//
// What it can do: IommuEn=0 pass-through, V=0 pass-through, V=1/TV=0 blocking, Mode 0 with
// IR/IW, Mode 1..6 v1 walks with level skipping and NextLevel=7 pages, the exclusion range,
// GV with 1- and 2-level GCR3 tables, 4/5-level v2 tables with US/NX, GIoV, nested v2-over-v1,
// ATS translation requests (zero-permission answer for non-present pages) and translated
// requests gated by DTE.I, SA suppression. What it cannot do (yet): SE (needs per-device state:
// the model keeps it), PPR generation (the model owns the PPR log), interrupt remapping,
// host/guest A/D updates, SysMgt/IoCtl special address ranges.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "hw/phys_mem.h"
#include "models/amdvi/dte.h"
#include "models/amdvi/events.h"
#include "models/amdvi/gcr3.h"
#include "models/amdvi/regs.h"
#include "pagetable/fmt/amd_v1.h"
#include "pagetable/fmt/x86_64.h"
#include "pagetable/walk_types.h"

namespace isim::amdvi {

/// PCIe Address Type of a request.
enum class AtsType : uint8_t { Untranslated = 0, TranslationRequest = 1, Translated = 2 };

struct Request {
  uint16_t device_id = 0;         ///< requester ID (bus[15:8] dev[7:3] fn[2:0])
  std::optional<uint32_t> pasid;  ///< PASID TLP prefix, if any
  bool priv = false;              ///< privileged-mode requested (PASID prefix)
  bool exec = false;              ///< execute requested (PASID prefix)
  uint64_t addr = 0;
  bool read = true;
  bool write = false;
  AtsType at = AtsType::Untranslated;
};

/// What software has programmed, as the model latches it from the registers.
struct UnitState {
  uint64_t dev_tab_base = 0;     ///< Device Table Base[51:12]
  uint32_t dev_tab_entries = 0;  ///< from its Size field
  bool iommu_en = false;         ///< Control.IommuEn
  bool gt_en = false;            ///< Control.GTEn: DTE.GV is honoured only with it
  bool excl_en = false;          ///< Exclusion Base.ExEn
  bool excl_allow = false;       ///< Exclusion Base.Allow: every device, whatever DTE.EX
  uint64_t excl_base = 0;
  uint64_t excl_limit = 0;  ///< inclusive

  /// From raw register values (3.4.1, 3.4.4, 3.4.5).
  static UnitState from_registers(uint64_t dev_tab_base_reg, uint64_t control_reg,
                                  uint64_t excl_base_reg, uint64_t excl_limit_reg);
};

enum class TranslationType : uint8_t {
  Disabled,      ///< Control.IommuEn = 0: DMA passes untranslated
  Untranslated,  ///< DTE.V = 0: DMA passes untranslated
  Exclusion,     ///< the address is in the exclusion range
  ModeNone,      ///< DTE Mode 0: address unchanged, IR/IW apply
  Host,          ///< v1 host table
  Guest,         ///< v2 guest table alone (GV with Mode 0)
  Nested,        ///< v2 guest table over the v1 host table
  Translated,    ///< ATS-translated request allowed by DTE.I: no walk
};
const char* to_string(TranslationType t);

struct Translation {
  uint64_t oa = 0;
  uint8_t page_lg2 = 12;
  pt::Perms perms = pt::Perms::all();
  uint16_t domain_id = 0;
  bool pasid_valid = false;  ///< the translation is tagged with a PASID (guest / nested)
  uint32_t pasid = 0;
  TranslationType type = TranslationType::Disabled;
  bool iotlb = false;              ///< DTE.I: the device may cache it (ATS)
  bool untranslated_only = false;  ///< v1 leaf U bit: ATS answers must say "untranslated only"
  uint64_t gpa = 0;                ///< nested: the guest-physical address the v2 walk produced
};

/// The architected outcome of a failed request: the event to log (if any) and whether the
/// access is aborted. `log` is false when DTE.SA suppresses an IO_PAGE_FAULT.
struct Fault {
  Event event;
  bool log = true;
  bool se = false;  ///< DTE.SE: the model logs only the first IO_PAGE_FAULT per device
  pt::Fault walk;   ///< walk details when a page table was at fault
  bool any() const { return event.code != EventCode::None; }
};

struct Result {
  Translation tr;
  Fault fault;
  pt::WalkLog log;
  bool ok() const { return !fault.any(); }
};

/// A step's outcome: a value, or the fault that ends the request.
template <class T>
struct Step {
  T value{};
  Fault fault;
  bool ok() const { return !fault.any(); }
};

/// The decoded, validated DTE for one requester.
struct DeviceContext {
  uint16_t device_id = 0;
  uint64_t dte_pa = 0;
  Qw4 raw{};
  Dte dte;
};

/// Where a request goes once its DTE is known: finished (pass-through, exclusion, ATS
/// translated, or a fault), through the v1 host table, or through the GCR3 table for `pasid`.
struct Route {
  enum class Kind : uint8_t { Done, Host, Guest };
  Kind kind = Kind::Done;
  Result done;  ///< Kind::Done: the outcome (no memory reads logged)
  uint32_t pasid = 0;
};

/// The GCR3 entry serving one (device, PASID).
struct GuestContext {
  uint32_t pasid = 0;
  uint64_t gcr3 = 0;  ///< v2 root: GPA when nested, SPA otherwise
};

inline constexpr uint8_t kStructureStage = 0;
inline constexpr uint8_t kDteLogLevel = 0;
/// Stage numbers in logs and walk faults.
inline constexpr uint8_t kGuestStage = 1;
inline constexpr uint8_t kHostStage = 2;

class Translator {
 public:
  Translator(const Features& f, PhysMem& mem) : f_(f), mem_(&mem) {}

  const Features& features() const { return f_; }

  Result translate(const UnitState& st, const Request& req) const;

  // --- Steps ---------------------------------------------------------------------------------
  /// The DTE for `req.device_id`, read and checked (device table size, read error -> DEV_TAB_
  /// HARDWARE_ERROR, illegal DTE with V=1 -> ILLEGAL_DEV_TABLE_ENTRY).
  Step<DeviceContext> fetch_dte(const UnitState& st, const Request& req, pt::WalkLog& log) const;
  /// The 2.3 decisions between the DTE and the tables: IommuEn is assumed set (translate()
  /// handles it), ATS type checks against DTE.I, V = 0, TV = 0, the exclusion range, and the
  /// choice between the GCR3 (guest) path and the host path.
  Route route(const UnitState& st, const DeviceContext& ctx, const Request& req) const;
  /// Whether `req` falls in the exclusion range for this device (2.3.?: ExEn and (Allow or EX)).
  static bool excluded(const UnitState& st, const Dte& dte, uint64_t addr);
  /// Whether the request is translated through the GCR3 table (GV honoured and either a PASID
  /// or GIoV), and the PASID it uses (0 for GIoV).
  std::optional<uint32_t> guest_pasid(const UnitState& st, const Dte& dte,
                                      const Request& req) const;
  /// The GCR3 entry for `pasid` (PASmax and GLX range checks, V, reserved bits).
  Step<GuestContext> fetch_gcr3(const DeviceContext& ctx, uint32_t pasid, const Request& req,
                                pt::WalkLog& log) const;
  /// Host-only path: Mode 0 (IR/IW) or a v1 walk of Mode levels from the DTE root, or from
  /// `from` (a table a page-directory cache supplied, with the rights of the levels above).
  Result translate_host(const DeviceContext& ctx, const Request& req,
                        const pt::WalkStart* from = nullptr) const;
  /// Translates a GPA for a nested walk (a model's cached stage 2); appends its reads to the log.
  using Stage2Hook =
      std::function<pt::StageResult(uint64_t gpa, const pt::AccessReq& req, pt::WalkLog& log)>;
  /// Guest path: v2 walk from the GCR3 root; nested over the v1 table when Mode != 0, each GPA
  /// translated by `s2` when given (else by a v1 walk from the DTE root). `from` starts the v2
  /// walk at a cached table (its address a GPA when nested) with the rights above it.
  Result translate_guest(const DeviceContext& ctx, const GuestContext& g, const Request& req,
                         const Stage2Hook* s2 = nullptr, const pt::WalkStart* from = nullptr) const;
  /// Rights the v2 walk starts with from the root: the DTE's IR/IW without host translation
  /// (Mode 0), else none taken away (the host walk applies them).
  static pt::Perms guest_root_perms(const Dte& d) {
    return d.mode == kModeNone ? dte_perms(d) : pt::Perms::all();
  }

  // --- Formats (the model builds its page-directory caches on them) -------------------------
  std::optional<pt::AmdV1Format> host_format(unsigned mode) const;
  std::optional<pt::X86Format> guest_format(unsigned gpm) const;
  /// DTE IR/IW as rights (execute comes with read in host tables).
  static pt::Perms dte_perms(const Dte& d) { return pt::Perms::rwx(d.ir, d.iw, d.ir); }

 private:
  Fault io_page_fault(const DeviceContext& ctx, const Request& req, bool gn, uint32_t pasid) const;
  Fault walk_fault(const DeviceContext& ctx, const Request& req, const pt::Fault& wf, bool gn,
                   uint32_t pasid) const;

  Features f_;
  PhysMem* mem_;
};

}  // namespace isim::amdvi
