// The hypervisor side of the PAPR TCE interface, as pure C++ (no SystemC, no time): the four
// TCE hypercalls and the Dynamic DMA Window RTAS calls, with their real argument lists and
// status codes. The partition never writes hardware TCE tables: these calls do, through
// TceTable, and then ask for a TCE kill so cached translations follow.
//
// Argument and output lists (LoPAPR "I/O Virtualization" hcalls and the RTAS DDW calls; digest
// /work/shared/reference/amdvi-tce-traces-iommufd.md 2.2 and 2.3):
//   H_PUT_TCE          (liobn, ioba, tce)                 -> (status)
//   H_GET_TCE          (liobn, ioba)                      -> (status, tce)
//   H_PUT_TCE_INDIRECT (liobn, ioba, tce_list, npages)    -> (status)
//   H_STUFF_TCE        (liobn, ioba, tce_value, npages)   -> (status)
//   ibm,query-pe-dma-window  (config_addr, buid_hi, buid_lo)
//        -> (status, windows_available, largest_block, page_sizes, migration_capable), or with
//           the LoPAPR 2.8 query-output extension (status, windows_available, largest_block_hi,
//           largest_block_lo, page_sizes, migration_capable)
//   ibm,create-pe-dma-window (config_addr, buid_hi, buid_lo, page_shift, window_shift)
//        -> (status, liobn, start_hi, start_lo)
//   ibm,remove-pe-dma-window (liobn) -> (status)
//   ibm,reset-pe-dma-window  (config_addr, buid_hi, buid_lo [, limited_addr_mode]) -> (status)
// Status rules (H_PARAMETER / RTAS parameter error) are documented on each method and in
// SPEC_COVERAGE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "models/tce/pe.h"
#include "models/tce/tce_table.h"

namespace isim::tce {

/// A TCE kill the hypervisor issues after changing tables (IODA2/IODA3 TCE kill; PHB4
/// OPAL_PCI_TCE_KILL: pages of one window, one PE, or everything).
struct TceKill {
  enum class Scope { pages, pe, all } scope = Scope::pages;
  uint32_t pe = 0;
  unsigned slot = 0;
  uint64_t offset = 0;  ///< pages: first window offset (bus address - window base)
  uint64_t npages = 0;  ///< pages: count, in the window's page size
};

/// What the hypervisor is configured with (filled from the SystemC model's params).
struct HvConfig {
  uint32_t buid_hi = 0;  ///< PHB bus unit ID, as RTAS callers pass it in two words
  uint32_t buid_lo = 0;
  uint32_t ddw_page_mask = 0;      ///< DDW page sizes offered (kDdwPageSizeBits)
  uint64_t ddw_max_tces = 0;       ///< largest_available_block reported and accepted
  unsigned max_levels = 5;         ///< deepest table the hypervisor builds
  unsigned table_level_bits = 0;   ///< index bits per table level the hypervisor aims for
  unsigned oa_bits = 52;           ///< real address width of TCEs
  uint64_t partition_mem_end = 0;  ///< TCEs may map only real addresses below this
  bool query_out_ext = false;      ///< answer query with 6 outputs (LoPAPR 2.8 extension)
};

/// Outputs of one call plus what the cost model needs.
struct CallOutcome {
  std::vector<uint64_t> rets;  ///< status first (register images)
  bool known = true;           ///< false: no call of that name
  uint64_t tces_written = 0;   ///< TCE stores made
  uint64_t kills = 0;          ///< TCE kills issued
  int64_t status() const { return rets.empty() ? 0 : static_cast<int64_t>(rets[0]); }
};

class TceHypervisor {
 public:
  using KillSink = std::function<void(const TceKill&)>;

  /// `mem`: the whole physical memory; `tables`: the hypervisor's pool for TCE tables
  /// (outside partition memory); `kill`: called for each TCE kill.
  TceHypervisor(PeMap& pes, PhysMem& mem, PhysAllocator& tables, const HvConfig& cfg,
                KillSink kill);
  ~TceHypervisor();

  /// Dispatch by name ("H_PUT_TCE", "ibm,create-pe-dma-window", ...).
  CallOutcome hcall(std::string_view name, std::span<const uint64_t> args);
  CallOutcome rtas(std::string_view name, std::span<const uint64_t> args);

  // --- hypercalls; each returns a CallOutcome with r3 first ---------------------------------
  /// H_PARAMETER: unknown LIOBN or disabled window, ioba not page aligned or outside the
  /// window, TCE with bits set between bit 2 and the page size, a valid TCE mapping memory at or
  /// beyond partition_mem_end or unaligned RPN.
  CallOutcome put_tce(uint64_t liobn, uint64_t ioba, uint64_t tce);
  /// H_PARAMETER: unknown LIOBN, ioba unaligned or outside the window.
  CallOutcome get_tce(uint64_t liobn, uint64_t ioba);
  /// H_PARAMETER additionally: npages > 512, tce_list not 4 KiB aligned or outside partition
  /// memory, ioba + npages beyond the window, any listed TCE invalid. All TCEs are checked
  /// before any is stored (KVM order), so a failing call changes nothing.
  CallOutcome put_tce_indirect(uint64_t liobn, uint64_t ioba, uint64_t tce_list, uint64_t npages);
  /// Stores tce_value into npages consecutive TCEs. H_PARAMETER: as put_tce plus a range beyond
  /// the window.
  CallOutcome stuff_tce(uint64_t liobn, uint64_t ioba, uint64_t tce_value, uint64_t npages);

  // --- RTAS Dynamic DMA Windows -----------------------------------------------------------
  CallOutcome query_pe_dma_window(std::span<const uint64_t> args);
  CallOutcome create_pe_dma_window(std::span<const uint64_t> args);
  CallOutcome remove_pe_dma_window(std::span<const uint64_t> args);
  CallOutcome reset_pe_dma_window(std::span<const uint64_t> args);

  /// The hypervisor's table for a window, or nullptr (tests, debug).
  const TceTable* table(uint32_t pe, unsigned slot) const;

 private:
  struct Target {
    uint32_t pe = 0;
    unsigned slot = 0;
    TceWindow win;
  };
  /// The enabled window a LIOBN names.
  std::optional<Target> find_window(uint64_t liobn);
  /// The PE an RTAS (config_addr, buid_hi, buid_lo) names, or nullopt (wrong BUID).
  std::optional<uint32_t> find_pe(std::span<const uint64_t> args) const;
  /// ioba..ioba+npages pages inside the window and page aligned; the first index.
  std::optional<uint64_t> check_range(const TceWindow& w, uint64_t ioba, uint64_t npages) const;
  bool tce_ok(const TceWindow& w, uint64_t tce) const;
  /// The table behind a window, allocating it on first use; nullptr if the pool is empty.
  TceTable* table_for(const Target& t);
  void kill_pages(const Target& t, uint64_t index, uint64_t npages, CallOutcome& out);
  void kill_pe(uint32_t pe, CallOutcome& out);
  /// Number of enabled windows of a PE.
  unsigned active_windows(uint32_t pe) const;
  unsigned levels_for(unsigned index_bits) const;

  PeMap& pes_;
  PhysMem& mem_;
  PhysAllocator& alloc_;
  HvConfig cfg_;
  KillSink kill_;
  std::map<std::pair<uint32_t, unsigned>, TceTable> tables_;
};

}  // namespace isim::tce
