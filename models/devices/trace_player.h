// The `trace-player` device: replays the DMAs of a trace (src/trace/) that carry its requester
// ID, through the same DeviceBase::transport a generator uses, so the IOMMU sees them as it saw
// the recorded device's. Timing modes: `recorded` issues each DMA at its trace time, `scaled`
// at time * scale, `fast` as soon as one of `outstanding` slots is free; every mode keeps at
// most `outstanding` requests in flight (a DMA whose slot frees late issues late and is counted).
//
// With `driver`, the map, unmap, invalidate and attach events of the player's requester ID are
// applied, in file order with its DMAs and at their trace times, through the host driver of
// the IOMMU the player sits behind (replay_host.h: domains, rounding, unmap flushes); without
// it they are counted as ignored. Fault events are counted (what the capture saw), not checked.
//
// A DMA with `out=` is checked: the physical address memory received its first byte at must
// equal it (a DMA that faulted, or reached no memory, does not match). Mismatches are counted;
// with `check_out` the first one, named by trace file and line, fails the run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw/device_base.h"
#include "models/devices/replay_host.h"
#include "sim/param_types.h"

namespace isim {

struct ComponentSpec;
namespace trace {
class Reader;
}
struct BuildContext;

enum class ReplayTiming { recorded, scaled, fast };

template <>
struct cfg::EnumNames<ReplayTiming> {
  static constexpr std::pair<ReplayTiming, std::string_view> table[] = {
      {ReplayTiming::recorded, "recorded"},
      {ReplayTiming::scaled, "scaled"},
      {ReplayTiming::fast, "fast"},
  };
};

struct TracePlayerParams {
  std::string file;                              ///< trace to play (text, binary or imported)
  std::string format = "auto";                   ///< auto, text, binary, qemu, ftrace
  ReplayTiming timing = ReplayTiming::recorded;  ///< when each DMA issues
  double scale = 1.0;                            ///< scaled: trace time multiplier
  unsigned outstanding = 64;                     ///< requests in flight at most
  bool skip_bad = false;                         ///< skip malformed trace lines
  bool check_out = true;       ///< a DMA whose output address differs from out= fails the run
  bool driver = false;         ///< apply map/unmap/invalidate/attach through a host driver
  bool flush_on_unmap = true;  ///< driver: invalidate each unmapped range at once
  uint64_t granule = 4096;     ///< driver: maps and unmaps are rounded out to this page size
  cfg::TimeValue mmio_cost{300'000};         ///< driver: CPU cost per register access
  uint64_t pool_base = uint64_t{768} << 20;  ///< driver memory (without host_driver:)
  uint64_t pool_size = uint64_t{64} << 20;   ///< size of that memory
  bool scalable = false;                     ///< driver: ask for VT-d scalable mode

  template <class V>
  void visit(V& v) {
    v.param("file", file, "trace file to replay");
    v.param("format", format, "trace format: auto, text, binary, qemu, ftrace");
    v.param("timing", timing, "recorded (trace times), scaled (times * scale), fast");
    v.param("scale", scale, "scaled: multiplier applied to trace times",
            cfg::Range<double>{1e-6, 1e6});
    v.param("outstanding", outstanding, "requests in flight at most",
            cfg::Range<unsigned>{1, 4096});
    v.param("skip_bad", skip_bad, "skip and count malformed trace lines instead of failing");
    v.param("check_out", check_out,
            "fail the run when a DMA's output address differs from its out= (else count it)");
    v.param("driver", driver,
            "apply map/unmap/invalidate/attach events through the IOMMU's host driver");
    v.param("flush_on_unmap", flush_on_unmap,
            "driver: invalidate every unmapped range at once (else only invalidate events do)");
    v.param("granule", granule, "driver: maps and unmaps are rounded out to this page size",
            cfg::Unit::bytes, cfg::Range<uint64_t>{4096, uint64_t{1} << 30});
    v.param("mmio_cost", mmio_cost, "driver: CPU cost per register access beyond the bus time");
    v.param("pool_base", pool_base,
            "driver memory (the IOMMU's host_driver: wins; users behind one IOMMU agree)",
            cfg::Unit::address);
    v.param("pool_size", pool_size, "size of the driver memory", cfg::Unit::bytes,
            cfg::Range<uint64_t>{uint64_t{1} << 20, uint64_t{1} << 40});
    v.param("scalable", scalable,
            "driver: ask for VT-d scalable mode (the IOMMU's driver runs so if any user asks)");
  }
  template <class C>
  void validate(C& c) const {
    if (granule & (granule - 1)) c.fail("granule", "must be a power of two");
  }
};

class TracePlayer final : public DeviceBase {
 public:
  TracePlayer(const ComponentSpec& spec, const TracePlayerParams& p, BuildContext& ctx);

  std::string run_error() const override;

 private:
  void run() override;
  /// Compares a completed DMA's output address with the trace's out= (`reader` says where the
  /// event came from).
  void check_out(const trace::Event& e, const DmaResult& r, const trace::Reader& reader);

  TracePlayerParams p_;
  Tick end_;
  std::vector<uint8_t> buffer_;
  std::vector<Tick> inflight_;  // completion times, min-heap (see Generator)
  stats::Counter& reads_;
  stats::Counter& writes_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& late_;
  std::shared_ptr<ReplayHost> host_;
  std::string first_mismatch_;
  std::string first_failure_;
  stats::Counter& skipped_;
  stats::Counter& out_checked_;
  stats::Counter& out_mismatches_;
  stats::Group software_;
  stats::Counter& sw_maps_;
  stats::Counter& sw_unmaps_;
  stats::Counter& sw_invalidations_;
  stats::Counter& sw_attaches_;
  stats::Counter& sw_faults_;
  stats::Counter& sw_ignored_;
  stats::Counter& sw_failed_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
};

void register_trace_player();

}  // namespace isim
