// A PHB with its hypervisor for the pure-C++ TCE tests: 4 GiB of memory, the top 256 MiB the
// hypervisor's table pool, every RID its own PE, the QEMU default window (1 GiB of 4 KiB TCEs).
#pragma once

#include <memory>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/tce/papr_calls.h"
#include "models/tce/pe.h"
#include "models/tce/translator.h"

namespace isim::tce::test {

inline constexpr uint64_t kMemSize = uint64_t{1} << 32;
inline constexpr uint64_t kPoolBase = 0xf0000000;
inline constexpr uint32_t kLiobnBase = 0x80000000;
inline constexpr uint32_t kBuidHi = 0x08000000;
inline constexpr uint32_t kBuidLo = 0x20000000;
inline constexpr int64_t kHParam = -4;

inline TceWindow default_window() {
  pt::TceConfig c;
  c.page_lg2 = 12;
  c.window_lg2 = 30;
  TceWindow w;
  w.enabled = true;
  w.fmt = pt::TceFormat(c);
  return w;
}

inline HvConfig hv_config() {
  HvConfig c;
  c.buid_hi = kBuidHi;
  c.buid_lo = kBuidLo;
  c.ddw_page_mask = 0x01 | 0x02 | 0x04 | 0x40 | 0x100;  // 4K 64K 16M 256M 2M
  c.ddw_max_tces = uint64_t{1} << 31;
  c.max_levels = 5;
  c.table_level_bits = 13;
  c.partition_mem_end = kPoolBase;
  return c;
}

struct Phb {
  explicit Phb(unsigned rid_shift = 0, bool freeze = false)
      : pes(rid_shift, kLiobnBase, default_window()),
        hv(pes, mem, pool, hv_config(), [this](const TceKill& k) { kills.push_back(k); }),
        xl(pes, mem, TranslatorOptions{freeze}) {}

  // On the heap: SparseMemory's page directory is too large for a test's stack.
  std::unique_ptr<SparseMemory> mem_owner = std::make_unique<SparseMemory>(kMemSize);
  SparseMemory& mem = *mem_owner;
  PhysAllocator pool{kPoolBase, kMemSize};
  PeMap pes;
  std::vector<TceKill> kills;
  TceHypervisor hv;
  TceTranslator xl;

  int64_t status(const CallOutcome& o) const { return o.status(); }
  uint32_t liobn(uint32_t pe, unsigned slot) const { return pes.liobn(pe, slot); }
};

}  // namespace isim::tce::test
