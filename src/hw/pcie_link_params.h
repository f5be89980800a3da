// Parameters of a PCIe link (src/hw/pcie_link.h) and the TLP arithmetic behind its timing,
// kept free of SystemC so it is unit-tested directly and shared with analytical checks.
//
// Sources: PCI Express Base Specification 6.0 — 4.2.2 (8b/10b, Gen1/2) and 4.2.3 (128b/130b,
// Gen3+) encodings; 4.2.3.1 / 4.2.2.1 framing (Gen1/2: STP and END symbols around the 2-byte
// sequence number; Gen3+: a 4-byte STP token that carries the sequence number); 3.6 (the TLP's
// 4-byte LCRC); 2.2.1 (3DW headers for addresses below 4 GiB, 4DW above; a 4-byte TLP Prefix,
// e.g. PASID, 6.20); 2.7 (optional 4-byte ECRC digest); 2.2.2 / 2.3.1.1 (Max_Payload_Size,
// Max_Read_Request_Size, requests must not cross 4 KiB boundaries, completions split at the
// Read Completion Boundary); 3.5 (DLLPs: 6 bytes plus 2 of framing); 10.2.3 (an ATS
// Translation Completion carries 8 bytes of data per translation); Base 5.0 Tables 3-7..3-9
// (Ack transmission latency limits) and Tables 2-46..2-48 (UpdateFC transmission latency
// guidelines), as pcie-bench cites them, behind dllp_interval; 4.2.7 (SKP Ordered Sets: Gen1/2 one
// of 4 symbols every 1180-1538 symbol times; Gen3+ 4.2.7.3 one of 16 symbols every 370-375 blocks),
// behind skp_interval.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "hw/resource_pool.h"
#include "sim/param_types.h"

namespace isim {

/// How a completer splits the data of one read request into completion TLPs (2.3.1.1).
enum class CompletionSplit : uint8_t {
  rcb,  ///< one completion per Read Completion Boundary (many root complexes return 64-byte
        ///< completions whatever the payload size allows)
  mps,  ///< completions as large as Max_Payload_Size, split only at RCB-aligned addresses
};

template <>
struct cfg::EnumNames<CompletionSplit> {
  static constexpr std::pair<CompletionSplit, std::string_view> table[] = {
      {CompletionSplit::rcb, "rcb"},
      {CompletionSplit::mps, "mps"},
  };
};

/// Bytes of one DLLP on the wire (3.5: 6 bytes plus 2 of framing).
inline constexpr uint64_t PcieDllpBytes = 8;

struct PcieLinkParams {
  unsigned gen = 3;     ///< PCIe generation 1-5 (2.5, 5, 8, 16, 32 GT/s)
  unsigned width = 8;   ///< lanes: 1, 2, 4, 8, 16 or 32
  uint64_t mps = 256;   ///< Max_Payload_Size in bytes (128..4096, a power of two)
  uint64_t mrrs = 512;  ///< Max_Read_Request_Size in bytes (128..4096, a power of two)
  uint64_t rcb = 64;    ///< Read Completion Boundary of the completer: 64 or 128 bytes
  CompletionSplit completion_split = CompletionSplit::rcb;  ///< completer's split policy
  bool ecrc = false;                                        ///< TLPs carry a 4-byte end-to-end CRC
  unsigned tlps_per_ack = 4;  ///< TLPs acknowledged (and flow-control updated) per DLLP pair
  /// When non-zero: each direction reserves one Ack and one UpdateFC DLLP per this many bytes
  /// of wire time (the other direction's acknowledgements with both directions busy, charged
  /// whatever the traffic), replacing the per-TLP acks of tlps_per_ack. 0: off (default).
  uint64_t dllp_interval = 0;
  uint64_t skp_interval = 0;           ///< symbol times between SKP Ordered Sets (0: not modelled)
  uint64_t skp_length = 4;             ///< symbols of one SKP Ordered Set (4.2.7: 4 for 8b/10b)
  Latency latency = Latency::ns(150);  ///< one-way PHY + propagation + port latency (estimate)
  cfg::Frequency clock{1000};          ///< clock for a latency given in cycles

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("gen", gen, "PCIe generation (1-5: 2.5, 5, 8, 16, 32 GT/s)", Range<unsigned>{1, 5});
    v.param("width", width, "lanes (1, 2, 4, 8, 16, 32)", Range<unsigned>{1, 32});
    v.param("mps", mps, "Max_Payload_Size", Unit::bytes, Range<uint64_t>{128, 4096});
    v.param("mrrs", mrrs, "Max_Read_Request_Size", Unit::bytes, Range<uint64_t>{128, 4096});
    v.param("rcb", rcb, "Read Completion Boundary (64 or 128)", Unit::bytes,
            Range<uint64_t>{64, 128});
    v.param("completion_split", completion_split,
            "read completions per RCB (rcb) or up to MPS at RCB-aligned splits (mps)");
    v.param("ecrc", ecrc, "TLPs carry a 4-byte ECRC digest");
    v.param("tlps_per_ack", tlps_per_ack, "TLPs per Ack + UpdateFC DLLP pair on the way back",
            Range<unsigned>{1, 64});
    v.param("dllp_interval", dllp_interval,
            "bytes per reserved Ack + UpdateFC DLLP pair on each direction (0: per-TLP acks)",
            Unit::bytes);
    v.param("skp_interval", skp_interval, "symbol times between SKP Ordered Sets (0: none)");
    v.param("skp_length", skp_length, "symbols per SKP Ordered Set");
    v.param("latency", latency, "one-way latency: PHY, propagation and ports");
    v.param("clock", clock, "clock for a latency written in cycles");
  }
  template <class C>
  void validate(C& c) const {
    if (width & (width - 1)) c.fail("width", "must be 1, 2, 4, 8, 16 or 32");
    if (mps & (mps - 1)) c.fail("mps", "must be a power of two");
    if (mrrs & (mrrs - 1)) c.fail("mrrs", "must be a power of two");
    if (rcb != 64 && rcb != 128) c.fail("rcb", "must be 64 or 128");
    if (dllp_interval != 0 && dllp_interval <= 4 * PcieDllpBytes)
      c.fail("dllp_interval", "must be 0 or leave room for data beside the DLLPs");
    if (skp_interval != 0 && skp_interval <= 2 * skp_length)
      c.fail("skp_interval", "must be 0 or more than twice skp_length");
  }
};

/// Byte counts of the TLPs one transaction puts on each direction of a link (DLLPs apart: a
/// link acknowledges TLPs across transactions, see ack_bytes()).
struct TlpTraffic {
  uint64_t up_bytes = 0;    ///< device -> root: bytes on the wire (after encoding framing)
  uint64_t down_bytes = 0;  ///< root -> device
  uint64_t up_tlps = 0;
  uint64_t down_tlps = 0;
};

/// TLP arithmetic for one link configuration.
class PcieTlpMath {
 public:
  static constexpr uint64_t kLcrc = 4;        // 3.6
  static constexpr uint64_t kFraming = 4;     // Gen1/2: STP + END + seq (2); Gen3+: STP token
  static constexpr uint64_t kHeader3dw = 12;  // 2.2.1
  static constexpr uint64_t kHeader4dw = 16;
  static constexpr uint64_t kPrefix = 4;            // one TLP Prefix (PASID)
  static constexpr uint64_t kEcrc = 4;              // 2.7
  static constexpr uint64_t kDllp = PcieDllpBytes;  // 3.5
  static constexpr uint64_t kAtsData = 8;           // 10.2.3: one translation
  static constexpr uint64_t kBoundary = 4096;       // requests never cross 4 KiB

  explicit PcieTlpMath(const PcieLinkParams& p) : p_(p) {}

  /// Data rate of one direction after line encoding, less the SKP Ordered Sets and the reserved
  /// DLLPs when those are configured: the rate left for TLPs.
  TransferRate rate() const;
  /// The rate after line encoding alone.
  TransferRate line_rate() const;
  /// Bytes a TLP with `payload` data bytes occupies on the wire.
  uint64_t tlp_bytes(uint64_t addr, uint64_t payload, bool pasid, bool completion) const;

  /// A memory write of `len` bytes at `addr`: posted TLPs of at most MPS, split at MPS-aligned
  /// and 4 KiB boundaries.
  TlpTraffic write(uint64_t addr, uint64_t len, bool pasid) const;
  /// A memory read: requests of at most MRRS up, completions per the split policy down.
  TlpTraffic read(uint64_t addr, uint64_t len, bool pasid) const;
  /// An ATS translation request and its one-translation completion.
  TlpTraffic translation(uint64_t addr, bool pasid) const;
  /// DLLP bytes for the opposite direction when `tlps` more TLPs arrive: an Ack and an
  /// UpdateFC per `tlps_per_ack` TLPs. `unacked` carries the remainder between calls. None when
  /// dllp_interval reserves the DLLPs' bandwidth instead.
  uint64_t ack_bytes(uint64_t& unacked, uint64_t tlps) const;

  const PcieLinkParams& params() const { return p_; }

 private:
  PcieLinkParams p_;
};

}  // namespace isim
