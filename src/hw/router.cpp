#include "hw/router.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace isim {

Router::Router(sc_core::sc_module_name name, stats::Group& parent)
    : sc_module(name),
      stats_(parent, "bus"),
      decode_errors_(stats_.counter("decode_errors", "accesses to no mapped region", "count")) {
  in.register_b_transport(this, &Router::b_transport);
  in.register_transport_dbg(this, &Router::transport_dbg);
}

void Router::map(const std::string& name, uint64_t base, uint64_t size, unsigned port,
                 bool relative) {
  if (size == 0 || base + size - 1 < base)
    throw std::invalid_argument(fmt::format("region {} has a bad size", name));
  for (const auto& r : regions_) {
    if (base <= r.base + r.size - 1 && r.base <= base + size - 1)
      throw std::invalid_argument(fmt::format("region {} [{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})",
                                              name, base, base + size, r.name, r.base,
                                              r.base + r.size));
  }
  regions_.push_back({name, base, size, port, relative});
  std::sort(regions_.begin(), regions_.end(),
            [](const Region& a, const Region& b) { return a.base < b.base; });
  last_ = nullptr;
}

const Router::Region* Router::decode(uint64_t addr) const {
  if (last_ && addr - last_->base < last_->size) return last_;
  auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                             [](uint64_t a, const Region& r) { return a < r.base; });
  if (it == regions_.begin()) return nullptr;
  --it;
  if (addr - it->base >= it->size) return nullptr;
  last_ = &*it;
  return last_;
}

void Router::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const Region* r = decode(addr);
  // An access must lie wholly inside one region; straddling two targets is a decode error.
  if (!r || tx.get_data_length() > r->size - (addr - r->base)) {
    ++decode_errors_;
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (r->relative) tx.set_address(addr - r->base);
  out[r->port]->b_transport(tx, delay);
  tx.set_address(addr);
}

unsigned Router::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const Region* r = decode(addr);
  if (!r || tx.get_data_length() > r->size - (addr - r->base)) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (r->relative) tx.set_address(addr - r->base);
  const unsigned n = out[r->port]->transport_dbg(tx);
  tx.set_address(addr);
  return n;
}

}  // namespace isim
