// Workers are processes spawned at run time.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/devices/buffer_loop.h"

#include <utility>

#include "base/bits.h"
#include "hw/sc_time_util.h"

namespace isim {

BufferLoop::BufferLoop(const GeneratorWorkload& w, uint64_t seed, const std::string& name,
                       sc_core::sc_mutex& lock, Ops ops, Stats stats)
    : w_(w),
      pattern_(pattern_params(w), Rng(seed, name + ".pattern")),
      rng_(seed, name + ".op"),
      lock_(lock),
      ops_(std::move(ops)),
      st_(stats) {}

bool BufferLoop::map_ring() {
  if (w_.pattern != AccessPattern::nic) return true;
  constexpr unsigned kPageLg2 = 12;  // coherent allocations are whole pages
  {
    sc_core::sc_scoped_lock l(lock_);
    ring_ = ops_.map(w_.base, align_up(w_.ring_entries * w_.desc_size, kPageLg2));
  }
  if (!ring_) ++st_.errors;
  return ring_.has_value();
}

void BufferLoop::run(Tick stop) {
  stop_ = stop;
  for (unsigned i = 1; i < w_.outstanding; ++i)
    sc_core::sc_spawn([this] { worker(); }, ("buffer" + std::to_string(i)).c_str());
  worker();
}

void BufferLoop::worker() {
  while (w_.count == 0 || issued_ < w_.count) {
    const Tick t0 = to_ticks(sc_core::sc_time_stamp());
    if (t0 >= stop_) break;
    ++issued_;
    const PatternAccess acc = pattern_.next_access();
    const bool write = acc.write ? *acc.write
                                 : w_.op == DmaOp::write ||
                                       (w_.op == DmaOp::mix && rng_.uniform() < w_.write_fraction);
    if (acc.write && ring_) {
      if (!ops_.dma(*ring_ + (acc.addr - w_.base), acc.size, write)) ++st_.errors;
      continue;
    }
    std::optional<uint64_t> addr;
    {
      sc_core::sc_scoped_lock l(lock_);
      addr = ops_.map(acc.addr, acc.size);
    }
    if (!addr) {
      ++st_.errors;
      continue;
    }
    const bool ok = ops_.dma(*addr, acc.size, write);
    {
      sc_core::sc_scoped_lock l(lock_);
      ops_.unmap(*addr, acc.size);
    }
    st_.latency.record(to_ticks(sc_core::sc_time_stamp()) - t0);
    if (ok) {
      ++st_.buffers;
      st_.bytes += acc.size;
    } else {
      ++st_.errors;
    }
    if (ops_.after) ops_.after(*addr, acc.size, write);
    st_.active_time.set(static_cast<double>(to_ticks(sc_core::sc_time_stamp())));
  }
}

}  // namespace isim
