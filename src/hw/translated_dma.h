// What every translating IOMMU does with a DMA once it can translate one address: split the
// access at the pages it touches, translate every piece before moving a byte (a DMA blocked
// anywhere reaches memory nowhere), then forward the pieces downstream with the payload's
// data and restore the payload as the device sent it.
#pragma once

#include <tlm>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "base/bits.h"

namespace isim {

/// Where one byte went: its output address and the size of the page that maps it.
struct PageTranslation {
  uint64_t out = 0;
  unsigned page_lg2 = 12;
  bool razwi = false;  ///< terminated as read-as-zero / write-ignored (SMMUv3 5.5): no access
};

/// One page-contained piece of an access.
struct DmaPiece {
  uint64_t out;
  unsigned off;
  unsigned len;
  bool razwi;
};

/// Translates and forwards `tx`. `translate(addr)` returns the translation of `addr` (adding
/// its own time to the caller's delay), or nullopt when the access is blocked there (the model
/// has recorded the fault): then nothing moves and `tx` answers TLM_ADDRESS_ERROR_RESPONSE.
/// `scratch` is the model's reusable piece list. Returns whether the access was forwarded.
template <class Socket, class Translate>
bool forward_translated(tlm::tlm_generic_payload& tx, Socket& downstream, sc_core::sc_time& delay,
                        std::vector<DmaPiece>& scratch, Translate&& translate) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  scratch.clear();
  // A zero-length access is still translated once (it must not bypass the checks).
  for (unsigned done = 0; done < len || (len == 0 && scratch.empty());) {
    const uint64_t a = addr + done;
    const std::optional<PageTranslation> t = translate(a);
    if (!t) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return false;
    }
    const uint64_t room = t->page_lg2 >= 64
                              ? ~uint64_t{0} - a + 1
                              : align_down(a, t->page_lg2) + lg2_size(t->page_lg2) - a;
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(len - done, room));
    scratch.push_back({t->out, done, n, t->razwi});
    if (n == 0) break;
    done += n;
  }
  unsigned char* data = tx.get_data_ptr();
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  for (const DmaPiece& pc : scratch) {
    if (pc.razwi) {
      // Reads of a RAZ/WI piece return zeros, writes to it are dropped; no error response.
      if (tx.is_read()) std::memset(data + pc.off, 0, pc.len);
      continue;
    }
    tx.set_address(pc.out);
    tx.set_data_ptr(data + pc.off);
    tx.set_data_length(pc.len);
    tx.set_streaming_width(pc.len);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    downstream->b_transport(tx, delay);
    if (tx.get_response_status() != tlm::TLM_OK_RESPONSE) break;
  }
  const tlm::tlm_response_status status = tx.get_response_status();
  tx.set_address(addr);
  tx.set_data_ptr(data);
  tx.set_data_length(len);
  tx.set_streaming_width(len);
  tx.set_response_status(status);
  return true;
}

}  // namespace isim
