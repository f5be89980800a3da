// The `trace-player` device: replays the DMAs of a trace (src/trace/) that carry its requester
// ID, through the same DeviceBase::transport a generator uses, so the IOMMU sees them as it saw
// the recorded device's. Timing modes: `recorded` issues each DMA at its trace time, `scaled`
// at time * scale, `fast` as soon as one of `outstanding` slots is free; every mode keeps at
// most `outstanding` requests in flight (a DMA whose slot frees late issues late and is counted).
//
// Software events (map, unmap, invalidate, attach, fault) are counted, not applied: applying
// them needs a driver for the platform's IOMMU architecture.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw/device_base.h"
#include "sim/param_types.h"

namespace isim {

struct ComponentSpec;
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
  }
};

class TracePlayer final : public DeviceBase {
 public:
  TracePlayer(const ComponentSpec& spec, const TracePlayerParams& p, BuildContext& ctx);

 private:
  void run() override;

  TracePlayerParams p_;
  Tick end_;
  std::vector<uint8_t> buffer_;
  std::vector<Tick> inflight_;  // completion times, min-heap (see Generator)
  stats::Counter& reads_;
  stats::Counter& writes_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& late_;
  stats::Counter& software_;
  stats::Counter& skipped_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
};

void register_trace_player();

}  // namespace isim
