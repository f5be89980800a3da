// Trace recording and replay around a platform run:
// - TraceRecorder: the DmaObserver `iommu-sim run --record-trace FILE` installs; one trace
//   event per DMA in the order devices complete them, with (record_out) the physical address
//   memory received each one's first byte at as its out=.
// - make_replay_config(): the platform of `iommu-sim replay TRACE --config CONFIG`: each device
//   whose requester ID appears in the trace becomes a trace-player with the same name, IOMMU,
//   link and RID (so the platform is otherwise the same); RIDs the config lacks get a player
//   behind the first IOMMU; devices the trace does not mention are kept. The players behind an
//   IOMMU for which the trace holds map/unmap/invalidate/attach events apply them through a
//   host driver (unless ignore_software).
#pragma once

#include <memory>
#include <string>

#include "hw/device_base.h"
#include "models/devices/trace_player.h"
#include "sim/platform_config.h"
#include "trace/trace_io.h"

namespace isim {

class TraceRecorder final : public DmaObserver {
 public:
  TraceRecorder(const std::string& path, bool record_out);
  ~TraceRecorder() override;
  void on_dma(const DeviceBase& dev, const DmaRequest& req, uint64_t size, uint64_t issue,
              const DmaResult& result) override;
  /// Completes the file; returns the number of events written.
  uint64_t finish();

 private:
  std::unique_ptr<trace::Writer> writer_;
  bool record_out_;
  uint64_t count_ = 0;
  bool finished_ = false;
};

struct ReplayOptions {
  std::string trace;
  std::string format = "auto";
  ReplayTiming timing = ReplayTiming::recorded;
  double scale = 1.0;
  unsigned outstanding = 64;
  bool skip_bad = false;
  bool check_out = true;         ///< a DMA whose output address differs from out= fails the run
  bool ignore_software = false;  ///< play only the DMAs: never apply software events
  bool flush_on_unmap = true;    ///< each unmap invalidates its range at once
};

/// Rewrites `config` for a replay of `opts.trace` (reads the trace once for its RIDs).
void make_replay_config(PlatformConfig& config, const ReplayOptions& opts);

}  // namespace isim
