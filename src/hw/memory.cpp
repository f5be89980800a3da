#include "hw/memory.h"

#include <fmt/format.h>

#include "base/bits.h"
#include "hw/dma_attrs.h"
#include "hw/sc_time_util.h"

namespace isim {

Memory::Memory(sc_core::sc_module_name name, const MemoryParams& p, stats::Group& parent)
    : sc_module(name),
      p_(p),
      latency_(p.latency.to_ticks(p.clock.mhz)),
      interleave_lg2_(log2_floor(p.interleave)),
      store_(p.size),
      stats_(parent, basename()),
      reads_(stats_.counter("reads", "read requests", "count")),
      writes_(stats_.counter("writes", "write requests", "count")),
      bytes_read_(stats_.counter("bytes_read", "bytes read", "bytes")),
      bytes_written_(stats_.counter("bytes_written", "bytes written", "bytes")),
      errors_(stats_.counter("errors", "accesses outside memory", "count")),
      queue_delay_(stats_.histogram("queue_delay", "wait for a busy channel", "ps")) {
  channels_.reserve(p.channels);
  for (unsigned c = 0; c < p.channels; ++c) {
    channels_.emplace_back(TransferRate::per_second(p.channel_bandwidth.bytes_per_s));
    stats::Group& g = stats_.add_group(fmt::format("channel{}", c));
    const TimelineStats& ts = channels_.back().stats();
    g.counter_ref("wait", &ts.total_wait, "total time requests waited for the channel", "ps");
    g.counter_ref("busy", &ts.busy, "time the channel moved data", "ps");
  }
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
}

Tick Memory::access_time(uint64_t addr, uint64_t bytes, Tick arrive) {
  return book(addr, bytes, arrive, to_ticks(sc_core::sc_time_stamp()));
}

Tick Memory::book(uint64_t addr, uint64_t bytes, Tick arrive, Tick now) {
  // Channel chosen by the interleave granule the access starts in: DMA requests are at most a
  // few hundred bytes, so splitting the rare straddling request would not change the picture.
  const size_t ch = (addr >> interleave_lg2_) % channels_.size();
  channels_[ch].retire_before(now);
  const auto booking = channels_[ch].transfer(arrive, bytes);
  queue_delay_.record(booking.start - arrive);
  return booking.end + latency_;
}

void Memory::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (tx.get_byte_enable_ptr() || tx.get_streaming_width() < len) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  const bool ok = tx.is_read() ? store_.read(addr, tx.get_data_ptr(), len)
                               : store_.write(addr, tx.get_data_ptr(), len);
  if (!ok) {
    ++errors_;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (DmaAttrs* a = tx.get_extension<DmaAttrs>()) {
    ++device_accesses_;
    if (!a->out_seen) {
      a->out_seen = true;
      a->out = addr;  // mapped at 0, not relative: the bus address is the physical address
    }
  }
  if (tx.is_read()) {
    ++reads_;
    bytes_read_ += len;
  } else {
    ++writes_;
    bytes_written_ += len;
  }
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  const Tick arrive = now + to_ticks(delay);
  const Tick done = book(addr, len, arrive, now);
  delay += from_ticks(done - arrive);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  const bool ok = tx.is_read() ? store_.read(addr, tx.get_data_ptr(), len)
                               : store_.write(addr, tx.get_data_ptr(), len);
  tx.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return ok ? len : 0;
}

}  // namespace isim
