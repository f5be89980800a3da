#include "hw/pcie_link_params.h"

#include <algorithm>

namespace isim {

namespace {

// Per-lane transfer rate in tenths of GT/s and the line code (data bits per coded bits):
// 4.2.2 8b/10b for Gen1/2, 4.2.3 128b/130b from Gen3 (Gen5 included; Gen6 FLIT mode is not
// modelled).
struct GenInfo {
  uint64_t gt_x10;
  uint64_t data_bits;
  uint64_t coded_bits;
};
constexpr GenInfo kGens[] = {
    {25, 8, 10}, {50, 8, 10}, {80, 128, 130}, {160, 128, 130}, {320, 128, 130}};

uint64_t to_boundary(uint64_t addr, uint64_t boundary) {
  return boundary - (addr & (boundary - 1));
}

}  // namespace

TransferRate PcieTlpMath::rate() const {
  // Overheads add up as shares of the line rate: 1 - 2 DLLPs / dllp_interval - skp_length /
  // skp_interval, kept as an integer fraction so the timeline stays exact.
  const uint64_t di = p_.dllp_interval ? p_.dllp_interval : 1;
  const uint64_t si = p_.skp_interval ? p_.skp_interval : 1;
  uint64_t keep = di * si;
  if (p_.dllp_interval) keep -= 2 * kDllp * si;
  if (p_.skp_interval) keep -= p_.skp_length * di;
  const TransferRate line = line_rate();
  return TransferRate::ratio(line.bytes * keep, line.ticks * di * si);
}

TransferRate PcieTlpMath::line_rate() const {
  // bytes/s = lanes * GT/s * 1e9 * data/coded / 8; as bytes per ps-ratio:
  // (lanes * gt_x10 * data) bytes every (coded * 8 * 10 * 1000) ps.
  const GenInfo& g = kGens[std::clamp(p_.gen, 1u, 5u) - 1];
  return TransferRate::ratio(uint64_t{p_.width} * g.gt_x10 * g.data_bits,
                             g.coded_bits * 8 * 10 * 1000);
}

uint64_t PcieTlpMath::tlp_bytes(uint64_t addr, uint64_t payload, bool pasid,
                                bool completion) const {
  // Completions always have a 3DW header; requests use 4DW only for 64-bit addresses (2.2.4.1:
  // an address below 4 GiB must use the 3DW format).
  const uint64_t header = completion || addr < (uint64_t{1} << 32) ? kHeader3dw : kHeader4dw;
  return kFraming + (pasid ? kPrefix : 0) + header + payload + (p_.ecrc ? kEcrc : 0) + kLcrc;
}

TlpTraffic PcieTlpMath::write(uint64_t addr, uint64_t len, bool pasid) const {
  TlpTraffic t;
  for (uint64_t done = 0; done < len;) {
    const uint64_t a = addr + done;
    const uint64_t n = std::min({len - done, to_boundary(a, p_.mps), to_boundary(a, kBoundary)});
    t.up_bytes += tlp_bytes(a, n, pasid, false);
    ++t.up_tlps;
    done += n;
  }
  return t;
}

TlpTraffic PcieTlpMath::read(uint64_t addr, uint64_t len, bool pasid) const {
  TlpTraffic t;
  for (uint64_t done = 0; done < len;) {
    const uint64_t a = addr + done;
    const uint64_t n = std::min({len - done, to_boundary(a, p_.mrrs), to_boundary(a, kBoundary)});
    t.up_bytes += tlp_bytes(a, 0, pasid, false);
    ++t.up_tlps;
    // The completer's answer to this request: every completion but the last ends on an
    // RCB-aligned address (2.3.1.1); each carries at most one RCB or at most MPS.
    for (uint64_t c = 0; c < n;) {
      const uint64_t ca = a + c;
      uint64_t m = std::min(n - c, to_boundary(ca, p_.rcb));
      if (p_.completion_split == CompletionSplit::mps && n - c > p_.mps)
        m = ((ca + p_.mps) & ~(p_.rcb - 1)) - ca;
      else if (p_.completion_split == CompletionSplit::mps)
        m = n - c;
      t.down_bytes += tlp_bytes(ca, m, false, true);
      ++t.down_tlps;
      c += m;
    }
    done += n;
  }
  return t;
}

TlpTraffic PcieTlpMath::translation(uint64_t addr, bool pasid) const {
  TlpTraffic t;
  t.up_bytes = tlp_bytes(addr, 0, pasid, false);
  t.up_tlps = 1;
  t.down_bytes = tlp_bytes(addr, kAtsData, false, true);
  t.down_tlps = 1;
  return t;
}

uint64_t PcieTlpMath::ack_bytes(uint64_t& unacked, uint64_t tlps) const {
  if (p_.dllp_interval) return 0;
  unacked += tlps;
  const uint64_t pairs = unacked / p_.tlps_per_ack;
  unacked %= p_.tlps_per_ack;
  return pairs * 2 * kDllp;
}

}  // namespace isim
