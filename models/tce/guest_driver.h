// The `tce-guest` device: a DMA engine driven the way Linux on pseries drives a PCI function
// behind a PAPR TCE host bridge (behaviour of arch/powerpc/platforms/pseries/iommu.c):
//
// - dynamic: every DMA buffer is mapped through the boot-time 32-bit window (the
//   ibm,dma-window property: LIOBN, bus base 0, size) with H_PUT_TCE, or H_PUT_TCE_INDIRECT for
//   a multi-page buffer, the DMA goes to the returned bus address, and the buffer is unmapped
//   once its DMA completes (H_PUT_TCE with 0, or H_STUFF_TCE 0 for several pages).
// - direct (Dynamic DMA Windows): at start, ibm,query-pe-dma-window then
//   ibm,create-pe-dma-window with the largest offered page size that fits partition memory and a
//   window covering it, populated once with H_PUT_TCE_INDIRECT in 512-TCE lists; afterwards a
//   DMA goes to window start + physical address with no hypercall. When no window is available
//   or the largest block cannot cover memory (or creating/populating fails), the driver falls
//   back to dynamic mode and counts it.
//
// Calls go through the PaprInterface of the IOMMU the device sits behind and block this thread
// for their cost. DMAs are loosely timed like the generator's (closed loop of `outstanding`
// buffers in flight); the thread synchronises with the kernel before every call.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "hw/device_base.h"
#include "hw/papr_if.h"
#include "hw/phys_mem.h"
#include "models/devices/address_pattern.h"
#include "models/devices/generator.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

enum class TceMapMode { dynamic, direct };

template <>
struct cfg::EnumNames<TceMapMode> {
  static constexpr std::pair<TceMapMode, std::string_view> table[] = {
      {TceMapMode::dynamic, "dynamic"},
      {TceMapMode::direct, "direct"},
  };
};

/// What the partition's firmware tells the driver (device tree) and how the driver behaves.
/// Defaults match the `tce` model's defaults and Linux's choices.
struct TceGuestParams {
  TceMapMode mode = TceMapMode::dynamic;     ///< mapping strategy
  uint64_t memory_size = uint64_t{1} << 30;  ///< partition memory [0, size) a DDW must cover
  /// ibm,dma-window LIOBN of the default window (-1: 0x80000000 + 2 * RID, the `tce` model's
  /// numbering with one PE per RID).
  int64_t dma_window_liobn = -1;
  uint64_t dma_window_size = uint64_t{1} << 30;  ///< ibm,dma-window size (bus base 0)
  uint64_t dma_window_page = uint64_t{1} << 12;  ///< TCE page size of the default window
  uint64_t buid = 0x800000020000000ull;          ///< PHB BUID for the RTAS calls
  bool multi_tce = true;  ///< firmware offers H_PUT_TCE_INDIRECT / H_STUFF_TCE (hcall-multi-tce)
  unsigned ddw_max_page_shift = 34;  ///< largest DDW page the driver accepts (Linux: 16 GiB)
  /// Partition page holding the TCE list for H_PUT_TCE_INDIRECT (4 KiB aligned).
  uint64_t tce_list_addr = 0x1000;
  unsigned fill = 0xa5;  ///< byte value the engine writes

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("mode", mode, "dynamic: map/unmap per DMA; direct: DDW mapping all memory once");
    v.param("memory_size", memory_size, "partition memory a direct window must cover", Unit::bytes,
            Range<uint64_t>{4096, uint64_t{1} << 50});
    v.param("dma_window_liobn", dma_window_liobn,
            "LIOBN of the default window (-1: 0x80000000 + 2 * RID)",
            Range<int64_t>{-1, int64_t{0xffffffff}});
    v.param("dma_window_size", dma_window_size, "size of the default window at bus 0", Unit::bytes,
            Range<uint64_t>{4096, uint64_t{1} << 32});
    v.param("dma_window_page", dma_window_page, "TCE page size of the default window", Unit::bytes,
            Range<uint64_t>{4096, uint64_t{1} << 30});
    v.param("buid", buid, "host bridge BUID passed to RTAS (hi, lo words)", Unit::hex);
    v.param("multi_tce", multi_tce, "use H_PUT_TCE_INDIRECT / H_STUFF_TCE for several pages");
    v.param("ddw_max_page_shift", ddw_max_page_shift, "largest DDW page shift the driver uses",
            Range<unsigned>{12, 34});
    v.param("tce_list_addr", tce_list_addr, "4 KiB partition page for indirect TCE lists",
            Unit::address);
    v.param("fill", fill, "byte value the engine writes", Range<unsigned>{0, 255});
  }
  template <class C>
  void validate(C& c) const {
    if (tce_list_addr % 4096) c.fail("tce_list_addr", "must be 4 KiB aligned");
    if (dma_window_page & (dma_window_page - 1)) c.fail("dma_window_page", "must be a power of 2");
    if (dma_window_size % dma_window_page)
      c.fail("dma_window_size", "must be a multiple of dma_window_page");
  }
};

/// The DMA buffers: `base` and `footprint` are physical (partition) addresses.
struct TceGuestWorkload {
  AccessPattern pattern = AccessPattern::sequential;  ///< buffer address sequence
  uint64_t base = uint64_t{256} << 20;                ///< first byte of the buffer area (physical)
  uint64_t footprint = uint64_t{64} << 20;            ///< size of the buffer area
  uint64_t size = 4096;                               ///< bytes per DMA buffer
  uint64_t stride = 4096;                             ///< strided pattern step
  uint64_t burst = 4096;                              ///< bytes per bus transaction of a buffer
  DmaOp op = DmaOp::read;                             ///< DMA direction (device view)
  double write_fraction = 0.5;                        ///< share of writes when op is mix
  unsigned outstanding = 8;                           ///< buffers mapped and in flight at most
  uint64_t count = 0;                                 ///< buffers to transfer (0: until the end)
  cfg::TimeValue start{0};                            ///< when the driver starts

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("pattern", pattern, "buffer address sequence");
    v.param("base", base, "start of the buffer area (physical address)", Unit::address);
    v.param("footprint", footprint, "size of the buffer area", Unit::bytes,
            Range<uint64_t>{1, uint64_t{1} << 50});
    v.param("size", size, "bytes per DMA buffer", Unit::bytes, Range<uint64_t>{1, 1 << 21});
    v.param("stride", stride, "distance between strided buffers", Unit::bytes,
            Range<uint64_t>{1, uint64_t{1} << 40});
    v.param("burst", burst, "bytes per bus transaction", Unit::bytes, Range<uint64_t>{1, 4096});
    v.param("op", op, "DMA direction");
    v.param("write_fraction", write_fraction, "share of writes when op is mix",
            Range<double>{0.0, 1.0});
    v.param("outstanding", outstanding, "buffers mapped and in flight at most (closed loop)",
            Range<unsigned>{1, 4096});
    v.param("count", count, "buffers to transfer (0: until the run ends)");
    v.param("start", start, "time the driver starts (DDW setup included)");
  }
  template <class C>
  void validate(C& c) const {
    if (footprint % size) c.fail("footprint", "must be a multiple of size");
    if (pattern == AccessPattern::strided && (stride < size || stride % size))
      c.fail("stride", "must be a multiple of size");
  }
};

class TceGuestDriver final : public DeviceBase {
 public:
  TceGuestDriver(const ComponentSpec& spec, const TceGuestParams& p, BuildContext& ctx);

 private:
  /// A buffer mapped for DMA, unmapped when its last transaction completes.
  struct Mapped {
    Tick done = 0;
    uint64_t ioba = 0;
    uint64_t npages = 0;
  };

  void run() override;
  // Buffers in flight, earliest completion first; unmapped (dynamic) when they retire. A member,
  // not a local of run(): the run usually ends with the thread suspended, and SystemC never
  // unwinds its stack.
  std::vector<Mapped> inflight_;
  /// ibm,query/create-pe-dma-window and the one-time population; false: fall back.
  bool setup_direct();
  /// Maps [pa, pa + len) through the default window; nullopt when it is full or a call fails.
  std::optional<Mapped> map_dynamic(uint64_t pa, uint64_t len, bool device_writes);
  void unmap_dynamic(const Mapped& m);
  /// H_PUT_TCE_INDIRECT of `tces` at `ioba` in 512-entry lists; false on an error.
  bool put_indirect(uint64_t liobn, uint64_t ioba, unsigned page_lg2,
                    const std::vector<uint64_t>& tces);
  PaprResult call(bool rtas, std::string_view name, std::initializer_list<uint64_t> args);
  /// Waits out the thread's local time offset (calls take kernel time).
  void sync();

  // IOBA allocator: one bit per default-window page, next fit.
  std::optional<uint64_t> alloc_pages(uint64_t n);
  void free_pages(uint64_t first, uint64_t n);

  TceGuestParams p_;
  TceGuestWorkload w_;
  PaprInterface* papr_ = nullptr;
  PhysMem& mem_;
  sc_core::sc_time end_time_;
  AddressPattern pattern_;
  Rng rng_;
  std::vector<uint8_t> buffer_;
  uint64_t liobn32_ = 0;
  unsigned page32_lg2_ = 12;
  std::vector<bool> used_;
  uint64_t next_fit_ = 0;
  TceMapMode active_mode_ = TceMapMode::dynamic;
  uint64_t direct_offset_ = 0;  // bus address of physical 0 in the direct window
  Tick base_ = 0;               // kernel time at the last synchronisation
  Tick local_ = 0;              // how far the thread runs ahead of it

  stats::Group hcall_stats_;
  stats::Counter& dmas_;
  stats::Counter& transactions_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& map_failures_;
  stats::Counter& fallbacks_;
  stats::Counter& h_put_tce_;
  stats::Counter& h_put_tce_indirect_;
  stats::Counter& h_stuff_tce_;
  stats::Counter& rtas_calls_;
  stats::Counter& call_errors_;
  stats::Scalar& hcall_time_;
  stats::Scalar& rtas_time_;
  stats::Scalar& direct_mode_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
};

void register_tce_guest();

}  // namespace isim
