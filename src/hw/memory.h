// DRAM as a timed TLM target: a sparse store behind a set of interleaved channels. A request's
// completion time is its arrival, plus queueing behind earlier transfers on its channel (a
// bandwidth timeline per channel), plus its data transfer, plus the idle access latency.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <tlm>

#include <memory>
#include <vector>

#include "hw/memory_params.h"
#include "hw/resource_pool.h"
#include "hw/sparse_memory.h"
#include "hw/stats/stats.h"

namespace isim {

class Memory final : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> socket{"socket"};

  Memory(sc_core::sc_module_name name, const MemoryParams& p, stats::Group& parent);

  /// Functional (zero-time) access to the contents: loading, software models, walkers.
  SparseMemory& store() { return store_; }

  /// Accesses that carried a device's DmaAttrs (DMA that reached memory), as opposed to the
  /// IOMMUs' own table walks and queue traffic and the CPU's accesses.
  uint64_t device_accesses() const { return device_accesses_; }

  /// Completion time of a `bytes`-long access to `addr` arriving at `arrive`; books the channel.
  Tick access_time(uint64_t addr, uint64_t bytes, Tick arrive);

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  /// access_time() with the kernel's time `now` already read (b_transport has it).
  Tick book(uint64_t addr, uint64_t bytes, Tick arrive, Tick now);

  MemoryParams p_;
  Tick latency_;
  unsigned interleave_lg2_;
  SparseMemory store_;
  std::vector<BandwidthTimeline> channels_;
  uint64_t device_accesses_ = 0;
  stats::Group stats_;
  stats::Counter& reads_;
  stats::Counter& writes_;
  stats::Counter& bytes_read_;
  stats::Counter& bytes_written_;
  stats::Counter& errors_;
  stats::Histogram& queue_delay_;
};

}  // namespace isim
