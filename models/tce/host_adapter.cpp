#include "models/tce/host_adapter.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "base/bits.h"
#include "models/tce/tce_entry.h"

namespace isim::tce {

using host::DomainResult;
using host::DomainType;
using host::PtFormat;
using host::Status;

namespace {

// The TCE list of H_PUT_TCE_INDIRECT is one 4 KiB page (LoPAPR; Linux tce_buildmulti_pSeriesLP).
constexpr uint64_t kListBytes = uint64_t{1} << kTceListAlignLg2;
// Linux clears at most 512 TCEs per H_STUFF_TCE (tce_clearrange_multi_pSeriesLP), as many as a
// list holds.
constexpr uint64_t kMaxStuffTces = kMaxIndirectTces;
// Query outputs: status, windows available, largest block, page sizes, migration capable; the
// LoPAPR 2.8 extension splits the largest block into hi and lo words.
constexpr size_t kQueryOuts = 5;
constexpr size_t kQueryOutsExt = 6;
constexpr size_t kCreateOuts = 4;
constexpr unsigned kMinPageLg2 = 12;

unsigned ceil_log2(uint64_t v) {
  const unsigned f = log2_floor(v);
  return lg2_size(f) == v ? f : f + 1;
}

uint64_t hi32(uint64_t v) {
  return v >> 32;
}
uint64_t lo32(uint64_t v) {
  return v & 0xffffffffu;
}

bool ok(const PaprResult& r) {
  return r.known && !r.rets.empty() && r.rets[0] == 0;
}

/// Consecutive runs of `indices` (sorted): (first, count).
template <class It, class Key>
std::vector<std::pair<uint64_t, uint64_t>> runs(It begin, It end, Key key) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (It it = begin; it != end; ++it) {
    const uint64_t i = key(*it);
    if (!out.empty() && out.back().first + out.back().second == i)
      ++out.back().second;
    else
      out.emplace_back(i, 1);
  }
  return out;
}

}  // namespace

TceHostAdapter::TceHostAdapter(host::HostBus& bus, const AdapterOptions& opts)
    : bus_(bus), opts_(opts), pool_(opts.pool_base, opts.pool_limit) {}

TceHostAdapter::~TceHostAdapter() = default;

PaprResult TceHostAdapter::call(bool rtas, std::string_view name,
                                std::initializer_list<uint64_t> args) {
  const std::span<const uint64_t> a(args.begin(), args.size());
  const Tick t0 = bus_.now();
  PaprResult r = rtas ? papr_->rtas(name, a) : papr_->hcall(name, a);
  acounts_.call_time += bus_.now() - t0;
  if (rtas)
    ++acounts_.rtas_calls;
  else if (name == "H_PUT_TCE")
    ++acounts_.h_put_tce;
  else if (name == "H_PUT_TCE_INDIRECT")
    ++acounts_.h_put_tce_indirect;
  else if (name == "H_STUFF_TCE")
    ++acounts_.h_stuff_tce;
  if (!ok(r)) ++acounts_.call_errors;
  return r;
}

std::optional<TceHostAdapter::Query> TceHostAdapter::query(const PaprDmaInfo& info) {
  const PaprResult r =
      call(true, "ibm,query-pe-dma-window", {info.config_addr, hi32(info.buid), lo32(info.buid)});
  if (!ok(r) || r.rets.size() < kQueryOuts) return std::nullopt;
  Query q;
  q.available = r.rets[1];
  if (r.rets.size() >= kQueryOutsExt) {
    q.largest = r.rets[2] << 32 | lo32(r.rets[3]);
    q.page_mask = static_cast<uint32_t>(r.rets[4]);
  } else {
    q.largest = r.rets[2];
    q.page_mask = static_cast<uint32_t>(r.rets[3]);
  }
  return q;
}

Status TceHostAdapter::init(std::string* why) {
  if (up_) return Status::ok;
  auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return Status::hw_error;
  };
  papr_ = bus_.papr();
  if (papr_ == nullptr) return fail("the IOMMU has no PAPR hypervisor interface");
  const auto info = papr_->dma_info(0);
  if (!info) return fail("firmware describes no DMA window (ibm,dma-window)");
  firmware_ = *info;
  if (!is_pow2(firmware_.window_size) || firmware_.page_lg2 < kMinPageLg2)
    return fail("the default window is not a power-of-two size of 4 KiB or larger pages");
  if (firmware_.ddw) {
    // The bridge's DDW capabilities (page sizes, largest block), as Linux's enable_ddw asks.
    if (auto q = query(firmware_)) caps_ = *q;
  }
  const auto list = pool_.alloc(kListBytes, kListBytes);
  if (!list) return fail("driver memory exhausted (the TCE list page)");
  tce_list_ = *list;
  up_ = true;
  return Status::ok;
}

host::HwInfo TceHostAdapter::hw_info() {
  host::HwInfo h;
  h.vendor = host::Vendor::ibm_tce;
  h.paging_formats = {PtFormat::tce};
  if (!up_) init();
  if (!up_) return h;
  // No capability registers: what firmware and the DDW query tell the partition.
  h.cap_regs = {{"ibm,dma-window.size", firmware_.window_size},
                {"ibm,dma-window.page_shift", firmware_.page_lg2},
                {"ddw.windows_available", caps_.available},
                {"ddw.largest_block", caps_.largest},
                {"ddw.page_sizes", caps_.page_mask}};
  h.identity = direct_geometry(nullptr).has_value();
  return h;
}

DomainResult TceHostAdapter::refuse(std::string why) {
  ++counts_.refused;
  return {Status::not_supported, 0, std::move(why)};
}

TceHostAdapter::Domain* TceHostAdapter::find(host::DomainId id) {
  auto it = domains_.find(id);
  return it == domains_.end() ? nullptr : &it->second;
}

bool TceHostAdapter::uses_ddw(const Domain& d) const {
  return d.type == DomainType::identity || (d.type == DomainType::paging && d.geo.slot == 1);
}

std::optional<TceHostAdapter::Geometry> TceHostAdapter::direct_geometry(std::string* why) const {
  auto no = [&](std::string w) -> std::optional<Geometry> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  if (!firmware_.ddw) return no("firmware offers no Dynamic DMA Windows (ibm,ddw-applicable)");
  const uint64_t mem = firmware_.memory_size;
  // Linux enable_ddw: the largest offered page; here also one dividing memory, since the
  // hypervisor refuses a TCE whose page reaches past partition memory.
  unsigned page = 0;
  for (unsigned s = std::min(opts_.max_direct_page_lg2, kMaxWindowLg2 - 1);
       s >= kMinPageLg2 && page == 0; --s) {
    if ((ddw_page_bit(s) & caps_.page_mask) && lg2_size(s) <= mem && mem % lg2_size(s) == 0)
      page = s;
  }
  if (page == 0)
    return no(
        fmt::format("no DDW page size offered (mask 0x{:x}) divides the {} bytes of "
                    "partition memory",
                    caps_.page_mask, mem));
  const uint64_t ntces = mem >> page;
  if (ntces > caps_.largest)
    return no(
        fmt::format("a direct window over {} bytes of memory needs {} TCEs of 2^{} bytes; "
                    "the largest block offered is {}",
                    mem, ntces, page, caps_.largest));
  Geometry g;
  g.slot = 1;
  g.page_lg2 = page;
  g.window_lg2 = std::max(ceil_log2(mem), page + 1);  // Linux: order_base_2(memory)
  g.base = window_base(1);
  if (g.window_lg2 > kMaxWindowLg2) return no("partition memory exceeds a window");
  return g;
}

DomainResult TceHostAdapter::alloc_domain(const host::DomainRequest& req) {
  if (!up_) return {Status::invalid, 0, "driver not initialised"};
  Domain d;
  d.type = req.type;
  DomainResult res{Status::ok, 0, {}};
  switch (req.type) {
    case DomainType::paging: {
      if (req.format != PtFormat::tce)
        return refuse("TCE windows hold TCE tables only, not " +
                      std::string(to_string(req.format)));
      const unsigned page = req.page_lg2 != 0 ? req.page_lg2 : firmware_.page_lg2;
      const uint64_t size = req.aperture != 0 ? req.aperture : firmware_.window_size;
      if (page == firmware_.page_lg2 && size <= firmware_.window_size) {
        d.geo = {0, page, log2_floor(firmware_.window_size), firmware_.window_base};
      } else {
        // VFIO sPAPR TCE v2 / Linux enable_ddw: a larger window or another page size is a DDW.
        if (!firmware_.ddw)
          return refuse("a window beyond the default one needs a DDW; firmware offers none");
        if (page >= 64 || (ddw_page_bit(page) & caps_.page_mask) == 0)
          return refuse(fmt::format("DDW pages of 2^{} bytes are not offered (mask 0x{:x})", page,
                                    caps_.page_mask));
        const unsigned wl = std::max(ceil_log2(size), page + 1);
        if (wl > kMaxWindowLg2) return {Status::invalid, 0, "a DDW spans at most 2^59 bytes"};
        if (wl - page >= 64 || lg2_size(wl - page) > caps_.largest)
          return {Status::no_resources, 0,
                  fmt::format("the window needs 2^{} TCEs; the largest block offered is {}",
                              wl - page, caps_.largest)};
        d.geo = {1, page, wl, window_base(1)};
      }
      res.aperture_base = d.geo.base;
      res.aperture_size = d.geo.size();
      break;
    }
    case DomainType::identity: {
      std::string why;
      const auto g = direct_geometry(&why);
      if (!g) return refuse("no direct window: " + why);
      d.geo = *g;
      // Linux's direct mapping: TCE i maps real page i, read and write.
      const uint64_t n = firmware_.memory_size >> g->page_lg2;
      for (uint64_t i = 0; i < n; ++i)
        d.tces.emplace_hint(d.tces.end(), i, make_tce(i << g->page_lg2, true, true));
      res.dma_offset = g->base;
      res.aperture_base = g->base;
      res.aperture_size = firmware_.memory_size;
      break;
    }
    case DomainType::blocking:
      break;
    case DomainType::nested:
      return refuse(
          "TCE has no nested translation: a window is one level of TCE tables the hypervisor "
          "owns, with no user stage 1 over it");
  }
  res.id = next_++;
  domains_.emplace(res.id, std::move(d));
  ++counts_.domains;
  return res;
}

TceHostAdapter::Pe* TceHostAdapter::pe_of(uint16_t rid) {
  const auto info = papr_->dma_info(rid);
  if (!info) return nullptr;
  if (auto it = pes_.find(info->pe); it != pes_.end()) return &it->second;
  Pe pe;
  pe.info = *info;
  return &pes_.emplace(info->pe, pe).first->second;
}

uint64_t TceHostAdapter::liobn(const Pe& pe, const Geometry& g) const {
  return g.slot == 0 ? pe.info.liobn : pe.ddw_liobn;
}

bool TceHostAdapter::put_indirect(uint64_t liobn, uint64_t ioba, const std::vector<uint64_t>& tces,
                                  unsigned page_lg2) {
  for (size_t i = 0; i < tces.size(); i += kMaxIndirectTces) {
    const size_t n = std::min<size_t>(kMaxIndirectTces, tces.size() - i);
    // The list is big-endian TCEs in partition memory (LoPAPR H_PUT_TCE_INDIRECT).
    for (size_t j = 0; j < n; ++j) bus_.memory().write_be64(tce_list_ + j * 8, tces[i + j]);
    if (!ok(call(false, "H_PUT_TCE_INDIRECT",
                 {liobn, ioba + (uint64_t{i} << page_lg2), tce_list_, n})))
      return false;
  }
  return true;
}

bool TceHostAdapter::store(uint64_t liobn, const Geometry& g,
                           const std::map<uint64_t, uint64_t>& tces) {
  const bool multi = opts_.multi_tce && firmware_.multi_tce;
  for (const auto& [first, n] :
       runs(tces.begin(), tces.end(), [](const auto& e) { return e.first; })) {
    const uint64_t ioba = g.base + (first << g.page_lg2);
    auto it = tces.find(first);
    if (n > 1 && multi) {
      std::vector<uint64_t> v;
      v.reserve(n);
      for (uint64_t k = 0; k < n; ++k, ++it) v.push_back(it->second);
      if (!put_indirect(liobn, ioba, v, g.page_lg2)) return false;
      continue;
    }
    for (uint64_t k = 0; k < n; ++k, ++it)
      if (!ok(call(false, "H_PUT_TCE", {liobn, ioba + (k << g.page_lg2), it->second})))
        return false;
  }
  return true;
}

bool TceHostAdapter::clear(uint64_t liobn, const Geometry& g,
                           const std::vector<uint64_t>& indices) {
  const bool multi = opts_.multi_tce && firmware_.multi_tce;
  for (const auto& [first, n] :
       runs(indices.begin(), indices.end(), [](uint64_t i) { return i; })) {
    const uint64_t ioba = g.base + (first << g.page_lg2);
    if (n > 1 && multi) {
      for (uint64_t k = 0; k < n; k += kMaxStuffTces) {
        const uint64_t m = std::min(kMaxStuffTces, n - k);
        if (!ok(call(false, "H_STUFF_TCE", {liobn, ioba + (k << g.page_lg2), 0, m}))) return false;
      }
      continue;
    }
    for (uint64_t k = 0; k < n; ++k)
      if (!ok(call(false, "H_PUT_TCE", {liobn, ioba + (k << g.page_lg2), 0}))) return false;
  }
  return true;
}

bool TceHostAdapter::create_ddw(Pe& pe, const Geometry& g) {
  auto create = [&] {
    return call(
        true, "ibm,create-pe-dma-window",
        {pe.info.config_addr, hi32(pe.info.buid), lo32(pe.info.buid), g.page_lg2, g.window_lg2});
  };
  PaprResult r = create();
  if (!ok(r) && pe.info.ddw_reset) {
    // No free TVE although the driver made no DDW here: one was left by an earlier user (kexec,
    // firmware). A partition owns its PEs: reset them to the boot windows and try once more.
    const auto q = query(pe.info);
    if (q && q->available == 0 &&
        ok(call(true, "ibm,reset-pe-dma-window",
                {pe.info.config_addr, hi32(pe.info.buid), lo32(pe.info.buid)}))) {
      ++acounts_.window_gaps;
      r = create();
    }
  }
  if (!ok(r) || r.rets.size() < kCreateOuts) return false;
  pe.ddw = true;
  pe.ddw_liobn = r.rets[1];
  pe.ddw_geo = g;
  // The domain's IOVAs were promised at allocation: a window elsewhere cannot serve them.
  const uint64_t start = r.rets[2] << 32 | lo32(r.rets[3]);
  if (start != g.base) {
    remove_ddw(pe);
    return false;
  }
  return true;
}

bool TceHostAdapter::remove_ddw(Pe& pe) {
  if (!ok(call(true, "ibm,remove-pe-dma-window", {pe.ddw_liobn}))) return false;
  pe.ddw = false;
  return true;
}

Status TceHostAdapter::attach(host::DomainId domain, uint16_t rid, std::optional<uint32_t> pasid) {
  if (pasid) {
    ++counts_.refused;
    return Status::not_supported;  // a TCE window translates by PE; PCIe PASIDs mean nothing
  }
  Domain* d = find(domain);
  if (d == nullptr || !up_) return Status::invalid;
  Pe* pe = pe_of(rid);
  if (pe == nullptr) return Status::invalid;
  const uint32_t pe_num = pe->info.pe;
  if (pe->domain == domain) {
    ++counts_.attaches;
    return Status::ok;
  }
  Domain* old = pe->domain != 0 ? find(pe->domain) : nullptr;
  const bool new_slot0 = d->type == DomainType::paging && d->geo.slot == 0;
  const bool new_ddw = uses_ddw(*d);
  bool good = true;
  bool ddw_in_place = false;
  // Join: the new domain's TCEs go in first, over the old ones where both use the window.
  if (new_slot0) {
    good = store(pe->info.liobn, d->geo, d->tces);
  } else if (new_ddw) {
    if (pe->ddw && pe->ddw_geo == d->geo) {
      ddw_in_place = true;
      good = store(pe->ddw_liobn, d->geo, d->tces);
    } else {
      if (pe->ddw) {
        // Both TVEs in use (default window + the old DDW): the old DDW must go first.
        ++acounts_.window_gaps;
        good = remove_ddw(*pe);
      }
      good = good && create_ddw(*pe, d->geo) && store(pe->ddw_liobn, d->geo, d->tces);
    }
  }
  // Leave: what only the old domain mapped is cleared, a DDW it alone used removed.
  if (good && old != nullptr) {
    const bool old_slot0 = old->type == DomainType::paging && old->geo.slot == 0;
    if (old_slot0 || (uses_ddw(*old) && ddw_in_place)) {
      const bool shared = old_slot0 ? new_slot0 : true;
      std::vector<uint64_t> left;
      for (const auto& [i, t] : old->tces)
        if (!shared || !d->tces.contains(i)) left.push_back(i);
      good = clear(liobn(*pe, old->geo), old->geo, left);
    }
  }
  if (good && pe->ddw && !new_ddw) good = remove_ddw(*pe);
  if (!good) return Status::hw_error;
  if (old != nullptr) old->pes.erase(pe_num);
  d->pes.insert(pe_num);
  pe->domain = domain;
  ++counts_.attaches;
  return Status::ok;
}

Status TceHostAdapter::map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                           host::Prot prot) {
  Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  const Geometry& g = d->geo;
  const uint64_t page_mask = lg2_size(g.page_lg2) - 1;
  if (size == 0 || ((iova | pa | size) & page_mask) != 0) return Status::invalid;
  if (iova < g.base || size > g.size() || iova - g.base > g.size() - size) return Status::invalid;
  // The hypervisor accepts TCEs of partition memory only (H_PARAMETER otherwise).
  const uint64_t mem = firmware_.memory_size;
  if (pa >= mem || mem - pa < size) return Status::invalid;
  if (!prot.read && !prot.write) return Status::invalid;  // R = W = 0 is no mapping at all
  const uint64_t first = (iova - g.base) >> g.page_lg2;
  const uint64_t n = size >> g.page_lg2;
  // Mapping over a mapping is an error (iommufd: -EEXIST), never a silent replacement.
  if (auto it = d->tces.lower_bound(first); it != d->tces.end() && it->first < first + n)
    return Status::invalid;
  std::map<uint64_t, uint64_t> add;
  for (uint64_t k = 0; k < n; ++k)
    add.emplace_hint(add.end(), first + k, make_tce(pa + (k << g.page_lg2), prot.read, prot.write));
  for (uint32_t p : d->pes) {
    if (!store(liobn(pes_.at(p), g), g, add)) {
      // Linux frees what it mapped when an hcall fails; so do we, on every PE.
      std::vector<uint64_t> idx;
      for (const auto& [i, t] : add) idx.push_back(i);
      for (uint32_t q : d->pes) clear(liobn(pes_.at(q), g), g, idx);
      return Status::hw_error;
    }
  }
  d->tces.insert(add.begin(), add.end());
  ++counts_.maps;
  return Status::ok;
}

Status TceHostAdapter::unmap(host::DomainId domain, uint64_t iova, uint64_t size) {
  Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  const Geometry& g = d->geo;
  const uint64_t page_mask = lg2_size(g.page_lg2) - 1;
  if (size == 0 || ((iova | size) & page_mask) != 0) return Status::invalid;
  if (iova < g.base || size > g.size() || iova - g.base > g.size() - size) return Status::invalid;
  const uint64_t first = (iova - g.base) >> g.page_lg2;
  const uint64_t n = size >> g.page_lg2;
  const auto lo = d->tces.lower_bound(first);
  const auto hi = d->tces.lower_bound(first + n);
  if (static_cast<uint64_t>(std::distance(lo, hi)) != n) return Status::invalid;  // a hole
  std::vector<uint64_t> idx;
  idx.reserve(n);
  for (auto it = lo; it != hi; ++it) idx.push_back(it->first);
  bool good = true;
  for (uint32_t p : d->pes) good = clear(liobn(pes_.at(p), g), g, idx) && good;
  if (!good) return Status::hw_error;
  d->tces.erase(lo, hi);
  ++counts_.unmaps;
  return Status::ok;
}

Status TceHostAdapter::invalidate(host::DomainId domain, const host::InvalidateRequest& req) {
  if (find(domain) == nullptr) return Status::invalid;
  if (req.pasid) {
    ++counts_.refused;
    return Status::not_supported;
  }
  // Nothing to send: every TCE hcall returned only after the hypervisor killed the TCE cache
  // entries it changed (PAPR: the call's effect is complete on return), so nothing stale is
  // left to flush. Not counted as an invalidation: none reaches the hardware.
  return Status::ok;
}

}  // namespace isim::tce
