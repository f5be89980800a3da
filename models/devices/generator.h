// The `generator` device: a DMA engine that issues a synthetic workload (address pattern,
// request size, read/write mix, closed-loop outstanding limit) until a count or the end of the
// run. It keeps up to `outstanding` requests in flight in loosely-timed fashion: each blocking
// transport returns its completion time, and the engine issues the next request as soon as a
// slot is free, without a thread per request.
//
// With `ats.enabled` the engine is an ATS-capable function: it looks each request up in its
// ATC (device TLB), sends a translation request to the IOMMU on a miss, caches the completion,
// and issues the DMA as a translated request (AT=10b) to the output address; the IOMMU's
// invalidation requests drop ATC entries. A request the ATC cannot serve (translation denied,
// not cacheable, or crossing the translated page) goes untranslated, as a device falls back
// when it may.
//
// With `driver.enabled` a host driver (static_mapping.h) maps the buffer 1:1 through the
// IOMMU's domain-API adapter and attaches the function (with ATS where the adapter enables it)
// before the first request; a failure ends the run with an error.
#pragma once

#include <memory>
#include <vector>

#include "hw/device_base.h"
#include "models/devices/address_pattern.h"
#include "models/devices/completion_queue.h"
#include "models/devices/device_tlb.h"
#include "models/devices/static_mapping.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

enum class DmaOp { read, write, mix };

template <>
struct cfg::EnumNames<DmaOp> {
  static constexpr std::pair<DmaOp, std::string_view> table[] = {
      {DmaOp::read, "read"},
      {DmaOp::write, "write"},
      {DmaOp::mix, "mix"},
  };
};

/// An ATS-capable function's ATC. Latencies are estimates (no public figure for a device ATC).
struct AtsDeviceParams {
  bool enabled = false;    ///< translate through ATS and keep an ATC
  CacheParams atc{64, 8};  ///< ATC geometry
  /// Translation sizes the ATC holds, bit n = 2^n bytes (4 KiB, 2 MiB, 1 GiB: what the IOMMUs
  /// modelled return); a completion of another size is used once and not cached.
  uint64_t page_sizes = (uint64_t{1} << 12) | (uint64_t{1} << 21) | (uint64_t{1} << 30);
  cfg::TimeValue lookup{2'000};          ///< ATC lookup before every request
  cfg::TimeValue invalidation{500'000};  ///< Invalidate Request arrival to its completion

  template <class V>
  void visit(V& v) {
    v.param("enabled", enabled, "use ATS: translation requests, an ATC, translated DMA");
    v.group("atc", atc, "address translation cache (device TLB) geometry");
    v.param("page_sizes", page_sizes, "translation sizes the ATC holds (bit n: 2^n bytes)",
            cfg::Unit::hex);
    v.param("lookup", lookup, "ATC lookup time per request");
    v.param("invalidation", invalidation, "invalidation request to completion sent");
  }
  template <class C>
  void validate(C& c) const {
    if ((page_sizes >> 12) == 0) c.fail("page_sizes", "needs a size of 4 KiB (bit 12) or more");
  }
};

struct GeneratorParams {
  AtsDeviceParams ats;         ///< ATS and the device TLB
  StaticMappingParams driver;  ///< a host driver mapping the buffer before the first request

  template <class V>
  void visit(V& v) {
    v.group("ats", ats, "ATS: device TLB and translation requests");
    v.group("driver", driver,
            "host driver of the IOMMU's type mapping the buffer 1:1 (ATS enabled with ats)");
  }
};

struct GeneratorWorkload {
  AccessPattern pattern = AccessPattern::random;  ///< address sequence
  uint64_t base = uint64_t{1} << 30;              ///< first byte of the buffer (bus address)
  uint64_t footprint = uint64_t{64} << 20;        ///< buffer size
  uint64_t size = 64;                             ///< bytes per request
  uint64_t stride = 4096;                         ///< strided pattern step
  DmaOp op = DmaOp::read;                         ///< request direction
  double write_fraction = 0.5;                    ///< share of writes when op is mix
  unsigned outstanding = 32;                      ///< closed-loop limit of requests in flight
  uint64_t count = 0;                             ///< requests to issue (0: until the run ends)
  int64_t pasid = -1;                             ///< PASID to tag requests with (-1: none)
  cfg::TimeValue start{0};                        ///< when the first request issues
  cfg::TimeValue duration{0};                     ///< issue for this long (0: until the end)
  double rate = 0;                                ///< open loop: requests per second (0: closed)
  double theta = 0.99;                            ///< zipf skew
  uint64_t block = 128 << 10;                     ///< storage block
  uint64_t burst = 4;                             ///< gpu requests per page visit
  uint64_t ring_entries = 256;                    ///< nic ring size
  uint64_t desc_size = 16;                        ///< nic descriptor size
  uint64_t vf_offset = 0;                         ///< SR-IOV: base moves this much per VF number

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("pattern", pattern,
            "address sequence: sequential, strided, random, zipf, storage, gpu, nic");
    v.param("base", base, "start of the DMA buffer (device-visible address)", Unit::address);
    v.param("footprint", footprint, "size of the DMA buffer", Unit::bytes,
            Range<uint64_t>{1, uint64_t{1} << 50});
    v.param("size", size, "bytes per request", Unit::bytes, Range<uint64_t>{1, 4096});
    v.param("stride", stride, "strided: distance between requests; nic: between packet buffers",
            Unit::bytes, Range<uint64_t>{1, uint64_t{1} << 40});
    v.param("op", op, "request direction");
    v.param("write_fraction", write_fraction, "share of writes when op is mix",
            Range<double>{0.0, 1.0});
    v.param("outstanding", outstanding, "requests in flight at most (closed loop)",
            Range<unsigned>{1, 4096});
    v.param("count", count, "requests to issue (0: until the run ends)");
    v.param("pasid", pasid, "PASID on every request (-1: no PASID)",
            Range<int64_t>{-1, (int64_t{1} << 20) - 1});
    v.param("start", start, "time of the first request");
    v.param("duration", duration, "issue requests for this long (0: until the run ends)");
    v.param("rate", rate, "open loop: requests per second (0: closed loop)",
            Range<double>{0.0, 1e12});
    v.param("theta", theta, "zipf: skew exponent", Range<double>{0.01, 10.0});
    v.param("block", block, "storage: block size (issued as size-byte requests)", Unit::bytes,
            Range<uint64_t>{1, uint64_t{1} << 40});
    v.param("burst", burst, "gpu: requests per randomly chosen 4 KiB page",
            Range<uint64_t>{1, 4096});
    v.param("ring_entries", ring_entries, "nic: descriptors in the ring",
            Range<uint64_t>{1, uint64_t{1} << 20});
    v.param("vf_offset", vf_offset, "SR-IOV VF n uses base + n * vf_offset", Unit::bytes);
    v.param("desc_size", desc_size, "nic: descriptor size", Unit::bytes, Range<uint64_t>{4, 4096});
  }
  template <class C>
  void validate(C& c) const {
    if (pattern != AccessPattern::nic && footprint % size)
      c.fail("footprint", "must be a multiple of size");
    if (pattern == AccessPattern::strided && (stride < size || stride % size))
      c.fail("stride", "must be a multiple of size");
    if (pattern == AccessPattern::storage && (block % size || block > footprint))
      c.fail("block", "must be a multiple of size and fit in the footprint");
    if (pattern == AccessPattern::gpu && (4096 % size || footprint < 4096))
      c.fail("size", "gpu: must divide 4KiB, with a footprint of at least 4KiB");
    if (pattern == AccessPattern::nic) {
      if (stride < size) c.fail("stride", "nic: the buffer stride must hold a packet (size)");
      AddressPattern::Params p;
      p.size = size;
      p.stride = stride;
      p.ring_entries = ring_entries;
      p.desc_size = desc_size;
      if (AddressPattern::nic_span(p) > footprint)
        c.fail("footprint", "nic: must hold the ring and ring_entries buffers of stride bytes");
    }
  }
};

/// The address pattern a workload describes (shared by every generator-workload device).
AddressPattern::Params pattern_params(const GeneratorWorkload& w);
/// SR-IOV: function `function`'s copy of a workload (its own buffer, `vf_offset` apart).
GeneratorWorkload with_function(GeneratorWorkload w, uint32_t function);

class Generator final : public DeviceBase {
 public:
  Generator(const ComponentSpec& spec, const GeneratorParams& p, BuildContext& ctx);

  Tick ats_invalidate(const AtsInvalidation& inv, Tick now) override;
  std::string run_error() const override { return run_error_; }

 private:
  void run() override;
  /// Through the ATC: rewrites `req` into a translated request when the ATC (or a translation
  /// request it makes now) covers it. `delay` advances by the lookup and any translation.
  void translate_with_ats(DmaRequest& req, uint64_t size, sc_core::sc_time& delay);

  GeneratorWorkload w_;
  sc_core::sc_time end_time_;  // no request issues at or after the end of the run
  AddressPattern pattern_;
  Rng rng_;
  std::vector<uint8_t> buffer_;
  // Completion times of the requests in flight, as a min-heap. A member, not a local of run():
  // the run usually ends with the thread suspended, and SystemC never unwinds its stack.
  CompletionQueue inflight_;  ///< completion times of the requests in flight
  stats::Counter& reads_;
  stats::Counter& writes_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
  stats::Counter& late_;
  stats::Histogram& latency_;
  stats::Scalar& active_time_;
  // ATS (when enabled).
  AtsDeviceParams ats_;
  std::unique_ptr<DeviceTlb> atc_;
  std::vector<uint8_t> treq_buf_;  // payload of translation requests (unused by the IOMMU)
  stats::Counter* translation_requests_ = nullptr;
  stats::Counter* translation_denied_ = nullptr;
  stats::Counter* untranslated_fallbacks_ = nullptr;
  std::unique_ptr<stats::Group> ats_group_;
  // The host driver mapping the buffer (when params.driver.enabled), and why it failed.
  std::unique_ptr<StaticMapping> mapping_;
  std::string run_error_;
};

void register_generator();

}  // namespace isim
