#include "models/tce/guest_driver.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>
#include <functional>
#include <span>

#include "base/bits.h"
#include "hw/sc_time_util.h"
#include "models/tce/tce_entry.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {
namespace {

AddressPattern::Params pattern_params(const TceGuestWorkload& w) {
  return {w.pattern, w.base, w.footprint, w.size, w.stride};
}

// The `tce` model numbers PE p window w as 0x80000000 + 2p + w (QEMU SPAPR_PCI_LIOBN, one PE
// per RID by default); the guest reads the same value from ibm,dma-window.
constexpr uint64_t kDefaultLiobnBase = 0x80000000u;

uint64_t pages_spanned(uint64_t pa, uint64_t len, unsigned lg2) {
  return ((pa + len - 1) >> lg2) - (pa >> lg2) + 1;
}

unsigned ceil_log2(uint64_t v) {
  const unsigned f = log2_floor(v);
  return lg2_size(f) == v ? f : f + 1;
}

}  // namespace

TceGuestDriver::TceGuestDriver(const ComponentSpec& spec, const TceGuestParams& p,
                               BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<TceGuestWorkload>(spec.workload)),
      mem_(ctx.memory),
      pattern_(pattern_params(w_), Rng(ctx.config.sim.seed, spec.name + ".pattern")),
      rng_(ctx.config.sim.seed, spec.name + ".op"),
      buffer_(w_.burst, static_cast<uint8_t>(p.fill)),
      hcall_stats_(stats(), "hcalls"),
      dmas_(stats().counter("dmas", "DMA buffers transferred (issued before the end of the run)",
                            "count")),
      transactions_(stats().counter("transactions", "bus transactions issued", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "transactions answered with an error", "count")),
      map_failures_(stats().counter("map_failures",
                                    "buffers not transferred: window full or a mapping call failed",
                                    "count")),
      fallbacks_(stats().counter(
          "ddw_fallbacks", "direct mode requested but dynamic mapping used instead", "count")),
      h_put_tce_(hcall_stats_.counter("H_PUT_TCE", "H_PUT_TCE calls issued", "count")),
      h_put_tce_indirect_(
          hcall_stats_.counter("H_PUT_TCE_INDIRECT", "H_PUT_TCE_INDIRECT calls issued", "count")),
      h_stuff_tce_(hcall_stats_.counter("H_STUFF_TCE", "H_STUFF_TCE calls issued", "count")),
      rtas_calls_(hcall_stats_.counter("rtas", "RTAS calls issued (DDW setup)", "count")),
      call_errors_(hcall_stats_.counter("errors", "hcalls or RTAS calls that failed", "count")),
      hcall_time_(hcall_stats_.scalar("hcall_time", "time blocked in hypercalls", "ps")),
      rtas_time_(hcall_stats_.scalar("rtas_time", "time blocked in RTAS calls", "ps")),
      direct_mode_(
          stats().scalar("direct_mode", "mapping mode used: 1 direct (DDW), 0 dynamic", "bool")),
      latency_(
          stats().histogram("latency", "buffer latency, first issue to last completion", "ps")),
      active_time_(stats().scalar("active_time", "completion time of the last transaction", "ps")) {
  // The IOMMU is built before any device: find it by its (top-level) module name.
  auto* obj = sc_core::sc_find_object(spec.iommu.c_str());
  papr_ = dynamic_cast<PaprInterface*>(obj);
  if (!papr_)
    throw cfg::ConfigError(spec.name +
                           ": tce-guest must sit behind an IOMMU with a PAPR "
                           "interface (type tce), not '" +
                           spec.iommu + "'");
  liobn32_ = p_.dma_window_liobn >= 0 ? static_cast<uint64_t>(p_.dma_window_liobn)
                                      : kDefaultLiobnBase + 2 * uint64_t{spec.rid};
  page32_lg2_ = log2_floor(p_.dma_window_page);
  used_.assign(p_.dma_window_size >> page32_lg2_, false);
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  end_time_ = from_ticks(ctx.config.sim.duration.ps);
}

void TceGuestDriver::sync() {
  if (local_) sc_core::wait(from_ticks(local_));
  base_ = to_ticks(sc_core::sc_time_stamp());
  local_ = 0;
}

PaprResult TceGuestDriver::call(bool rtas, std::string_view name,
                                std::initializer_list<uint64_t> args) {
  sync();
  const std::span<const uint64_t> a(args.begin(), args.size());
  const Tick t0 = to_ticks(sc_core::sc_time_stamp());
  PaprResult r = rtas ? papr_->rtas(name, a) : papr_->hcall(name, a);
  sync();
  const double spent = static_cast<double>(base_ - t0);
  if (rtas) {
    ++rtas_calls_;
    rtas_time_ += spent;
  } else {
    hcall_time_ += spent;
    if (name == "H_PUT_TCE") ++h_put_tce_;
    if (name == "H_PUT_TCE_INDIRECT") ++h_put_tce_indirect_;
    if (name == "H_STUFF_TCE") ++h_stuff_tce_;
  }
  if (!r.known || r.rets.empty() || r.rets[0] != 0) ++call_errors_;
  return r;
}

bool TceGuestDriver::put_indirect(uint64_t liobn, uint64_t ioba, unsigned page_lg2,
                                  const std::vector<uint64_t>& tces) {
  // The TCE list is one 4 KiB partition page of big-endian TCEs (LoPAPR H_PUT_TCE_INDIRECT).
  for (size_t i = 0; i < tces.size(); i += tce::kMaxIndirectTces) {
    const size_t n = std::min<size_t>(tce::kMaxIndirectTces, tces.size() - i);
    for (size_t j = 0; j < n; ++j) mem_.write_be64(p_.tce_list_addr + j * 8, tces[i + j]);
    const PaprResult r = call(false, "H_PUT_TCE_INDIRECT",
                              {liobn, ioba + (uint64_t{i} << page_lg2), p_.tce_list_addr, n});
    if (r.rets.empty() || r.rets[0] != 0) return false;
  }
  return true;
}

bool TceGuestDriver::setup_direct() {
  const uint64_t cfg_addr = tce::config_addr_of_rid(rid());
  const uint64_t hi = p_.buid >> 32, lo = p_.buid & 0xffffffffu;
  const PaprResult q = call(true, "ibm,query-pe-dma-window", {cfg_addr, hi, lo});
  if (q.rets.size() < 5 || q.rets[0] != 0) return false;
  // Outputs: status, windows available, largest block, page sizes, migration (5-cell form) or
  // with the block split in hi/lo words (LoPAPR 2.8 extension, 6 cells).
  const bool ext = q.rets.size() >= 6;
  const uint64_t avail = q.rets[1];
  const uint64_t largest = ext ? (q.rets[2] << 32 | q.rets[3]) : q.rets[2];
  const uint32_t mask = static_cast<uint32_t>(ext ? q.rets[4] : q.rets[3]);
  if (avail == 0) return false;
  // The largest offered page no bigger than partition memory and dividing it, so every TCE
  // maps memory the partition owns (the hypervisor rejects TCEs beyond it).
  unsigned page_lg2 = 0;
  for (unsigned s = p_.ddw_max_page_shift; s >= 12 && !page_lg2; --s)
    if ((tce::ddw_page_bit(s) & mask) && lg2_size(s) <= p_.memory_size &&
        p_.memory_size % lg2_size(s) == 0)
      page_lg2 = s;
  if (!page_lg2) return false;
  const uint64_t ntces = p_.memory_size >> page_lg2;
  if (ntces > largest) return false;
  const unsigned window_lg2 = std::max(ceil_log2(p_.memory_size), page_lg2 + 1);
  const PaprResult c =
      call(true, "ibm,create-pe-dma-window", {cfg_addr, hi, lo, page_lg2, window_lg2});
  if (c.rets.size() < 4 || c.rets[0] != 0) return false;
  const uint64_t liobn = c.rets[1];
  const uint64_t start = c.rets[2] << 32 | c.rets[3];
  // Direct mapping: TCE i maps physical page i read/write.
  std::vector<uint64_t> tces(ntces);
  for (uint64_t i = 0; i < ntces; ++i) tces[i] = tce::make_tce(i << page_lg2, true, true);
  if (!put_indirect(liobn, start, page_lg2, tces)) {
    call(true, "ibm,remove-pe-dma-window", {liobn});
    return false;
  }
  direct_offset_ = start;
  return true;
}

std::optional<uint64_t> TceGuestDriver::alloc_pages(uint64_t n) {
  const uint64_t total = used_.size();
  if (n == 0 || n > total) return std::nullopt;
  for (uint64_t tried = 0; tried < total; ++tried) {
    uint64_t first = (next_fit_ + tried) % total;
    if (first + n > total) continue;
    uint64_t k = 0;
    while (k < n && !used_[first + k]) ++k;
    if (k < n) {
      tried += k;
      continue;
    }
    for (k = 0; k < n; ++k) used_[first + k] = true;
    next_fit_ = (first + n) % total;
    return first;
  }
  return std::nullopt;
}

void TceGuestDriver::free_pages(uint64_t first, uint64_t n) {
  for (uint64_t k = 0; k < n; ++k) used_[first + k] = false;
}

std::optional<TceGuestDriver::Mapped> TceGuestDriver::map_dynamic(uint64_t pa, uint64_t len,
                                                                  bool device_writes) {
  const uint64_t n = pages_spanned(pa, len, page32_lg2_);
  auto first = alloc_pages(n);
  if (!first) return std::nullopt;
  Mapped m;
  m.ioba = *first << page32_lg2_;
  m.npages = n;
  // Linux grants read always and write unless the device only reads (DMA_TO_DEVICE).
  const uint64_t page0 = align_down(pa, page32_lg2_);
  std::vector<uint64_t> tces(n);
  for (uint64_t i = 0; i < n; ++i)
    tces[i] = tce::make_tce(page0 + (i << page32_lg2_), true, device_writes);
  bool ok = true;
  if (n > 1 && p_.multi_tce) {
    ok = put_indirect(liobn32_, m.ioba, page32_lg2_, tces);
  } else {
    for (uint64_t i = 0; i < n && ok; ++i) {
      const PaprResult r =
          call(false, "H_PUT_TCE", {liobn32_, m.ioba + (i << page32_lg2_), tces[i]});
      ok = !r.rets.empty() && r.rets[0] == 0;
    }
  }
  if (!ok) {
    unmap_dynamic(m);
    return std::nullopt;
  }
  m.ioba += pa - page0;
  return m;
}

void TceGuestDriver::unmap_dynamic(const Mapped& m) {
  const uint64_t ioba = align_down(m.ioba, page32_lg2_);
  if (m.npages > 1 && p_.multi_tce) {
    call(false, "H_STUFF_TCE", {liobn32_, ioba, 0, m.npages});
  } else {
    for (uint64_t i = 0; i < m.npages; ++i)
      call(false, "H_PUT_TCE", {liobn32_, ioba + (i << page32_lg2_), 0});
  }
  free_pages(ioba >> page32_lg2_, m.npages);
}

void TceGuestDriver::run() {
  if (w_.start.ps) sc_core::wait(from_ticks(w_.start.ps));
  base_ = to_ticks(sc_core::sc_time_stamp());
  if (p_.mode == TceMapMode::direct) {
    if (setup_direct()) {
      active_mode_ = TceMapMode::direct;
    } else {
      ++fallbacks_;
    }
  }
  direct_mode_.set(active_mode_ == TceMapMode::direct ? 1.0 : 0.0);
  const bool dynamic = active_mode_ == TceMapMode::dynamic;
  const Tick quantum = to_ticks(tlm_utils::tlm_quantumkeeper::get_global_quantum());
  const Tick end = to_ticks(end_time_);
  Tick last_done = 0;
  std::vector<Mapped>& inflight = inflight_;
  inflight.clear();
  const auto later = [](const Mapped& a, const Mapped& b) { return a.done > b.done; };
  auto retire_one = [&] {
    std::pop_heap(inflight.begin(), inflight.end(), later);
    const Mapped m = inflight.back();
    inflight.pop_back();
    if (m.done > base_ + local_) local_ = m.done - base_;
    if (dynamic) unmap_dynamic(m);
  };
  DmaRequest req;
  req.rid = rid();
  for (uint64_t n = 0; w_.count == 0 || n < w_.count; ++n) {
    if (inflight.size() >= w_.outstanding) retire_one();
    if (base_ + local_ >= end) break;
    req.write =
        w_.op == DmaOp::write || (w_.op == DmaOp::mix && rng_.uniform() < w_.write_fraction);
    const uint64_t pa = pattern_.next();
    Mapped m;
    if (dynamic) {
      auto mapped = map_dynamic(pa, w_.size, req.write);
      if (!mapped) {
        ++map_failures_;
        continue;
      }
      m = *mapped;
    } else {
      m.ioba = direct_offset_ + pa;
    }
    // The buffer's transactions issue back to back; it completes with its last one.
    const Tick issue = base_ + local_;
    Tick done = issue;
    for (uint64_t off = 0; off < w_.size; off += w_.burst) {
      const uint64_t len = std::min(w_.burst, w_.size - off);
      req.addr = m.ioba + off;
      sc_core::sc_time delay = from_ticks(local_);
      const DmaResult r = transport(req, std::span<uint8_t>(buffer_.data(), len), delay);
      ++transactions_;
      if (r.ok())
        bytes_ += len;
      else
        ++errors_;
      done = std::max(done, issue + to_ticks(r.latency));
    }
    ++dmas_;
    m.done = done;
    latency_.record(done - issue);
    last_done = std::max(last_done, done);
    // Published per buffer: the run may end while the thread is blocked in a call.
    active_time_.set(static_cast<double>(last_done));
    inflight.push_back(m);
    std::push_heap(inflight.begin(), inflight.end(), later);
    if (local_ >= quantum) sync();
  }
  while (!inflight.empty()) retire_one();
  active_time_.set(static_cast<double>(last_done));
  sync();
}

void register_tce_guest() {
  auto t = make_component_type<DeviceBase, TceGuestDriver, TceGuestParams>(
      "tce-guest",
      "DMA engine driven like Linux on pseries: dynamic TCE mapping per DMA or a direct DDW");
  t.parse_workload = params_parser<TceGuestWorkload>();
  t.describe_workload = [] { return cfg::describe_params<TceGuestWorkload>(); };
  device_types().add(std::move(t));
}

}  // namespace isim
