// Partitionable endpoints (PEs) and their two DMA windows: the hardware state the host bridge
// translates with and the hypervisor programs.
//
// IODA2/IODA3: a PE groups requester IDs that cannot be isolated from each other; translation
// state (the translation validation table, TVT) belongs to the PE, never to one function. Each
// PE has two TVEs: TVE #0 for bus addresses with bit 59 clear (the 32-bit default window at 0)
// and TVE #1 for bit 59 set (the 64-bit DDW at 1 << 59). Each TVE gives the window's size, TCE
// page size, table levels and root table address (IODA3 TVE TABLE_ADDR, NUM_LEVELS,
// TCE_TABLE_SIZE, IO_PSIZE).
//
// RID -> PE mapping: PE number = RID >> pe_rid_shift (shift 0: every function its own PE; shift 3:
// all functions of a device share one PE, like a multifunction device without ACS). The real
// PHB uses a RID translation table (RTT) filled by firmware; a shift is enough for the studies
// this model serves and keeps the config flat.
//
// LIOBNs (the PAPR name of a window): liobn_base + (PE << 1) + slot, after QEMU's
// SPAPR_PCI_LIOBN (0x80000000 | phb << 8 | window) extended with the PE number so one bridge can
// hold many PEs. A DDW created into a slot takes that slot's LIOBN.
//
// Atomicity: a PE's window set (PeWindows) is replaced as one value; a translation copies it
// once at its start, so a DMA sees the old set or the new set, never half of a change.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>

#include "models/tce/tce_entry.h"
#include "pagetable/fmt/tce.h"

namespace isim::tce {

/// One TVE: a DMA window of one PE.
struct TceWindow {
  bool enabled = false;
  uint32_t liobn = 0;
  uint64_t bus_base = 0;       ///< first bus address (window_base(slot))
  pt::TceFormat fmt{};         ///< page size, levels, window size (pt::TceConfig)
  uint64_t table_pa = 0;       ///< root table (TVE TABLE_ADDR)
  bool table_present = false;  ///< false: no table allocated yet (all TCEs read as invalid)

  unsigned page_lg2() const { return fmt.config().page_lg2; }
  unsigned window_lg2() const { return fmt.config().window_lg2; }
  uint64_t size() const { return lg2_size(window_lg2()); }
  bool contains(uint64_t bus) const { return bus >= bus_base && bus - bus_base < size(); }
};

/// The TVT entries of one PE, replaced as a whole on reconfiguration.
struct PeWindows {
  std::array<TceWindow, kWindowsPerPe> slot{};
  uint64_t generation = 0;  ///< bumped on every commit (for tests and traces)
};

struct PeState {
  PeWindows windows;
  bool frozen = false;  ///< EEH-style DMA freeze after an error (when enabled)
};

/// Where a LIOBN points.
struct LiobnRef {
  uint32_t pe = 0;
  unsigned slot = 0;
};

/// The PEs of one host bridge. PEs come into existence on first use with the default window
/// configuration (what firmware sets up at boot); until then they read as that configuration
/// with no table.
class PeMap {
 public:
  /// `default_window`: the slot-0 window every PE starts with (liobn and table filled per PE).
  PeMap(unsigned pe_rid_shift, uint32_t liobn_base, const TceWindow& default_window);

  uint32_t pe_of(uint16_t rid) const { return uint32_t{rid} >> rid_shift_; }
  uint32_t num_pes() const { return (uint32_t{0xffff} >> rid_shift_) + 1; }
  uint32_t liobn(uint32_t pe, unsigned slot) const { return liobn_base_ + (pe << 1) + slot; }
  /// The PE and slot a LIOBN names, or nullopt for a LIOBN of no PE.
  std::optional<LiobnRef> find_liobn(uint64_t liobn) const;

  /// State of an existing PE, or nullptr.
  PeState* find(uint32_t pe);
  const PeState* find(uint32_t pe) const;
  /// The PE's state, created with the boot-time defaults when new.
  PeState& get(uint32_t pe);
  /// The PE's windows as a DMA sees them right now (a copy: one atomic snapshot).
  PeWindows snapshot(uint32_t pe) const;
  /// The windows a PE has at boot (and after ibm,reset-pe-dma-window), without a table.
  PeWindows boot_windows(uint32_t pe) const;
  /// Replaces the PE's whole window set in one step.
  void commit(uint32_t pe, const PeWindows& w);

  const std::map<uint32_t, PeState>& all() const { return pes_; }

 private:
  unsigned rid_shift_;
  uint32_t liobn_base_;
  TceWindow default_window_;
  std::map<uint32_t, PeState> pes_;
};

}  // namespace isim::tce
