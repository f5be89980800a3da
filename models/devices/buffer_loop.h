// The buffer loop of the host-driven DMA devices (`dma-api`, `viommu-dma`): `outstanding`
// workers each take the workload pattern's next access, map the buffer through the device's
// software (its DMA API, or a guest's behind a vIOMMU), DMA it, unmap it and record the
// buffer, until the workload's `count` buffers were started or the run reaches its stop time. A
// NIC pattern's descriptor-ring accesses go to the ring, mapped once (dma_alloc_coherent).
//
// Mapping calls go one at a time under the device's lock (a DMA API's own serialisation); the
// DMAs of different workers overlap. State lives here, not in the workers: a worker suspended
// when the run ends is never unwound.
#pragma once

#include <systemc>

#include <functional>
#include <optional>
#include <string>

#include "base/rng.h"
#include "base/time.h"
#include "hw/stats/stats.h"
#include "models/devices/address_pattern.h"
#include "models/devices/generator.h"

namespace isim {

class BufferLoop {
 public:
  /// What mapping and DMA mean for the device.
  struct Ops {
    /// Maps [addr, addr + size) for DMA (under the lock): the DMA address, or nullopt.
    std::function<std::optional<uint64_t>(uint64_t addr, uint64_t size)> map;
    /// Unmaps what map() returned (under the lock).
    std::function<void(uint64_t dma_addr, uint64_t size)> unmap;
    /// One DMA; true when it completed without error.
    std::function<bool(uint64_t addr, uint64_t size, bool write)> dma;
    /// After a buffer was recorded, outside the lock (optional).
    std::function<void(uint64_t dma_addr, uint64_t size, bool write)> after;
  };
  /// The device's stats the loop records into.
  struct Stats {
    stats::Counter& buffers;
    stats::Counter& bytes;
    stats::Counter& errors;
    stats::Histogram& latency;   ///< per buffer: map, DMA and unmap
    stats::Scalar& active_time;  ///< when the last buffer completed
  };

  /// `name` and `seed` give the pattern's and the read/write choice's random streams.
  BufferLoop(const GeneratorWorkload& w, uint64_t seed, const std::string& name,
             sc_core::sc_mutex& lock, Ops ops, Stats stats);

  /// Maps a NIC pattern's descriptor ring (nothing to do for other patterns); false when the
  /// map failed (counted as an error).
  bool map_ring();
  /// Runs the workers until `stop` (and the count): `outstanding - 1` spawned, one in the
  /// calling thread, which returns when its own loop ends.
  void run(Tick stop);

 private:
  void worker();

  const GeneratorWorkload& w_;
  AddressPattern pattern_;
  Rng rng_;
  sc_core::sc_mutex& lock_;
  Ops ops_;
  Stats st_;
  std::optional<uint64_t> ring_;  ///< NIC: the descriptor ring's DMA address
  Tick stop_ = 0;                 ///< no buffer starts at or after this time
  uint64_t issued_ = 0;           ///< buffers started (against the workload's count)
};

}  // namespace isim
