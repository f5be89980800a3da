// The functional TCE translator (pure C++, no time): a DMA (requester ID, bus address,
// direction) -> PE -> window by address -> TCE walk -> real address, or a blocked result with
// the reason. The SystemC model puts the TCE cache around the three steps (select, walk,
// check); translate() composes them without a cache.
//
// IODA2/IODA3 decode: the RID picks the PE; address bit 59 picks TVE #0 or #1 (a set bit 60 or
// above is no DMA address at all: IODA3 reserves it for MSIs and errors); the window must be
// enabled and contain the address; the TCE walk (pt::TceFormat) gives the page and rights.
// Errors the PHB reports and the model blocks: address outside both windows, invalid TCE
// (R = W = 0, also a missing lower table), direction not granted, a table read outside memory.
// With freeze_on_error (EEH), the PE is frozen on the first error and every later DMA of the
// PE is blocked until software thaws it.
#pragma once

#include <cstdint>
#include <optional>

#include "hw/phys_mem.h"
#include "models/tce/pe.h"
#include "pagetable/walk_types.h"

namespace isim::tce {

enum class BlockReason : uint8_t {
  none,
  outside_windows,  ///< bus address in no enabled window of the PE
  invalid_tce,      ///< TCE (or an indirect TCE on the way) has R = W = 0
  permission,       ///< the TCE does not grant this direction
  table_error,      ///< table read outside memory, or an address too wide
  frozen,           ///< the PE is frozen (EEH) after an earlier error
};
const char* to_string(BlockReason r);

struct TceRequest {
  uint16_t rid = 0;
  uint64_t addr = 0;  ///< bus address
  bool write = false;
};

/// The window a DMA selects.
struct WindowHit {
  uint32_t pe = 0;
  unsigned slot = 0;
  TceWindow win;
  uint64_t offset = 0;  ///< bus address - window base: what the table indexes
};

/// A TCE fetched for one page of a window (what the TCE cache holds).
struct TceFetch {
  uint64_t tce = 0;
  unsigned page_lg2 = 12;
  unsigned reads = 0;                       ///< table entries read by the walk
  pt::Fault fault;                          ///< kind None: a valid TCE
  uint64_t read_pa[pt::kMaxLogReads] = {};  ///< addresses read, in order (for timing)
};

struct TceResult {
  BlockReason reason = BlockReason::none;
  uint32_t pe = 0;
  unsigned slot = 0;
  uint64_t out = 0;  ///< real address (when not blocked)
  unsigned page_lg2 = 0;
  uint64_t tce = 0;
  unsigned reads = 0;
  bool ok() const { return reason == BlockReason::none; }
};

struct TranslatorOptions {
  bool freeze_on_error = false;
};

class TceTranslator {
 public:
  TceTranslator(PeMap& pes, PhysMem& mem, TranslatorOptions opt = {});

  /// Step 1: PE and window. nullopt with *why set when blocked (frozen PE, no window).
  std::optional<WindowHit> select(const TceRequest& req, BlockReason* why) const;
  /// Step 2: fetch the TCE for the page holding hit.offset (a table walk).
  TceFetch fetch(const WindowHit& hit) const;
  /// Step 3: the result of using `tce` (valid) for the request.
  static TceResult check(const WindowHit& hit, uint64_t tce, const TceRequest& req);

  /// All three, with the error policy applied.
  TceResult translate(const TceRequest& req);

  /// Applies the error policy (freeze the PE when enabled) to a blocked DMA of `pe`.
  void on_error(uint32_t pe, BlockReason r);
  /// Lifts an EEH freeze (software's recovery).
  void thaw(uint32_t pe);
  bool frozen(uint32_t pe) const;

 private:
  PeMap& pes_;
  PhysMem& mem_;
  TranslatorOptions opt_;
};

}  // namespace isim::tce
