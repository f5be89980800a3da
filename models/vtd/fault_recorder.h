// VT-d primary fault logging: fault recording registers, FSTS.PPF/PFO/FRI and the hardware's
// internal fault recording index. Pure C++ over the unit's RegBank; the model turns the
// outcome into a fault event (FECTL/FEDATA/FEADDR MSI).
//
// Source: Intel VT-d specification (rev 3.x/4.x) 7.2.1 "Primary Fault Logging", 7.3 "Fault
// Event Interrupts" (events on PPF and PFO), 11.4.9.1 FSTS, 11.4.9.4 FRCD:
//   QW0: FI 63:12 (page address of the faulting request);
//   QW1: SID 15:0, T2 28, PRIV 29, EXE 30, PP 31, FR 39:32, PV 59:40, AT 61:60, T1 62, F 63.
// (T2, T1): (0,0) write, (0,1) read, (1,0) page request, (1,1) AtomicOp.
//
// Recording (7.2.1): with PFO already set the fault is dropped; otherwise, if the record at the
// internal index still has F set, PFO is set and the fault dropped; otherwise the record is
// written with F set. If PPF was clear, FRI takes the index (and a fault event follows). The
// index then advances, wrapping at CAP.NFR+1. The index resets when translation (and interrupt
// remapping) is disabled. No compression of faults from the same requester is done.
#pragma once

#include <cstdint>

#include "hw/reg_bank.h"
#include "models/vtd/regs.h"
#include "models/vtd/root_entry.h"
#include "models/vtd/translator.h"

namespace isim::vtd {

/// The 128-bit FRCD value for a fault (F set).
Qw2 encode_frcd(const Fault& f);

class FaultRecorder {
 public:
  enum class Outcome : uint8_t {
    Recorded,       ///< written; PPF was already set (no new event)
    RecordedEvent,  ///< written; PPF went 0 -> 1: a fault event is due
    Overflow,       ///< not written; PFO went 0 -> 1: a fault event is due
    Dropped,        ///< not written: PFO was already set
  };

  FaultRecorder(RegBank& bank, const RegIds& ids) : bank_(&bank), ids_(ids) {}

  /// Records a fault (the caller has already honoured FPD).
  Outcome record(const Fault& f);
  /// PPF = OR of the F bits: call after software clears an F bit.
  void refresh_ppf();
  /// 7.2.1: the index resets when TES and IRES are both clear.
  void reset_index() { index_ = 0; }
  unsigned index() const { return index_; }

 private:
  bool pending(unsigned i) const;

  RegBank* bank_;
  RegIds ids_;
  unsigned index_ = 0;
};

}  // namespace isim::vtd
