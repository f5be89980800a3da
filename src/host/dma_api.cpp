#include "host/dma_api.h"

#include <algorithm>

namespace isim::host {

namespace {

constexpr std::pair<DmaPolicy, std::string_view> kPolicyNames[] = {
    {DmaPolicy::passthrough, "passthrough"},
    {DmaPolicy::static_map, "static"},
    {DmaPolicy::strict, "strict"},
    {DmaPolicy::deferred, "deferred"},
};

/// Holds the driver lock for a scope.
class Locked {
 public:
  explicit Locked(DriverLock* l) : l_(l) {
    if (l_) l_->lock();
  }
  ~Locked() {
    if (l_) l_->unlock();
  }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  DriverLock* l_;
};

}  // namespace

std::string_view to_string(DmaPolicy p) {
  for (const auto& [v, n] : kPolicyNames)
    if (v == p) return n;
  return "?";
}

std::optional<DmaPolicy> dma_policy_from_string(std::string_view s) {
  for (const auto& [v, n] : kPolicyNames)
    if (n == s) return v;
  return std::nullopt;
}

DmaApi::DmaApi(IommuDriver& drv, HostBus& bus, const DmaApiParams& p, DriverLock* lock)
    : drv_(drv), bus_(bus), p_(p), lock_(lock), iova_(p.iova) {}

std::string DmaApi::setup(uint16_t rid, uint64_t area_base, uint64_t area_size) {
  const uint64_t g = uint64_t{1} << p_.iova.granule_lg2;
  area_base_ = area_base / g * g;
  area_size_ = (area_base + area_size + g - 1) / g * g - area_base_;
  DomainRequest req;
  req.type = p_.policy == DmaPolicy::passthrough ? DomainType::identity : DomainType::paging;
  req.format = p_.format;
  Locked l(lock_);
  const DomainResult d = drv_.alloc_domain(req);
  if (d.status != Status::ok)
    return std::string(to_string(req.type)) + " domain: " + std::string(to_string(d.status)) +
           (d.why.empty() ? "" : " (" + d.why + ")");
  domain_ = d.id;
  dma_offset_ = d.dma_offset;
  if (d.aperture_size != 0 && p_.policy != DmaPolicy::passthrough) {
    // dma-iommu (iommu_dma_init_domain): IOVAs come from the domain's aperture only.
    IovaParams ip = p_.iova;
    ip.base = std::max(ip.base, d.aperture_base);
    ip.limit = std::min(ip.limit, d.aperture_base + d.aperture_size);
    if (ip.limit <= ip.base)
      return "the domain's aperture does not overlap the IOVA range [iova_base, iova_limit)";
    iova_ = IovaAllocator(ip);
  }
  if (p_.policy == DmaPolicy::static_map) {
    // Everything the device will use, mapped once, 1:1. With static_page, one map call per page
    // of that size, so no larger page is used (Linux intel_iommu=sp_off maps 4 KiB pages only).
    const uint64_t pg = std::max(g, p_.static_page);
    const uint64_t base = p_.static_page ? area_base_ / pg * pg : area_base_;
    const uint64_t end =
        p_.static_page ? (area_base_ + area_size_ + pg - 1) / pg * pg : area_base_ + area_size_;
    const uint64_t step = p_.static_page ? pg : end - base;
    for (uint64_t a = base; a < end; a += step)
      if (drv_.map(domain_, a, a, step, Prot{}) != Status::ok)
        return "static: mapping the buffer area failed";
    bus_.pause(p_.map_cost + ((end - base) / g) * p_.pte_cost);
  }
  const Status s = drv_.attach(domain_, rid);
  if (s != Status::ok) return "attach: " + std::string(to_string(s));
  return {};
}

uint64_t DmaApi::page_count(uint64_t dma, uint64_t size) const {
  const unsigned lg = p_.iova.granule_lg2;
  return ((dma + size - 1) >> lg) - (dma >> lg) + 1;
}

std::optional<uint64_t> DmaApi::map(uint64_t pa, uint64_t size, Prot prot) {
  const Tick t0 = bus_.now();
  ++counts_.maps;
  std::optional<uint64_t> out;
  switch (p_.policy) {
    case DmaPolicy::passthrough:
      out = pa + dma_offset_;
      break;
    case DmaPolicy::static_map:
      if (pa >= area_base_ && size <= area_size_ && pa - area_base_ <= area_size_ - size) out = pa;
      break;
    case DmaPolicy::strict:
    case DmaPolicy::deferred: {
      poll();
      const uint64_t g = uint64_t{1} << p_.iova.granule_lg2;
      const uint64_t pa_page = pa / g * g;
      const uint64_t len = page_count(pa, size) * g;
      const auto a = iova_.alloc(len);
      if (!a) break;
      Status s;
      {
        Locked l(lock_);
        s = drv_.map(domain_, a->iova, pa_page, len, prot);
      }
      bus_.pause(a->cost + p_.map_cost + (len / g) * p_.pte_cost);
      if (s != Status::ok) {
        bus_.pause(iova_.free(a->iova, len));
        break;
      }
      live_[a->iova] = len;
      out = a->iova + (pa - pa_page);
      break;
    }
  }
  if (!out) ++counts_.map_errors;
  counts_.map_time += bus_.now() - t0;
  return out;
}

bool DmaApi::invalidate(const InvalidateRequest& r) {
  const Tick t0 = bus_.now();
  Status s;
  {
    Locked l(lock_);
    s = drv_.invalidate(domain_, r);
  }
  ++counts_.invalidations;
  counts_.invalidation_time += bus_.now() - t0;
  return s == Status::ok;
}

void DmaApi::unmap(uint64_t dma, uint64_t size) {
  const Tick t0 = bus_.now();
  ++counts_.unmaps;
  if (p_.policy == DmaPolicy::strict || p_.policy == DmaPolicy::deferred) {
    const uint64_t g = uint64_t{1} << p_.iova.granule_lg2;
    auto it = live_.find(dma / g * g);
    if (it != live_.end() && dma + size <= it->first + it->second) {
      const uint64_t iova = it->first, len = it->second;
      live_.erase(it);
      {
        Locked l(lock_);
        drv_.unmap(domain_, iova, len);
      }
      bus_.pause(p_.unmap_cost + (len / g) * p_.pte_cost);
      if (p_.policy == DmaPolicy::strict) {
        // iommu_dma_unmap: the IOVA may only be reused once the IOTLB has dropped it.
        invalidate({iova, len, std::nullopt});
        bus_.pause(iova_.free(iova, len));
      } else {
        fq_.push_back({iova, len, bus_.now()});
        if (fq_.size() >= p_.fq_size)
          flush_locked(false);
        else
          poll();
      }
    }
  }
  counts_.unmap_time += bus_.now() - t0;
}

void DmaApi::poll() {
  if (!fq_.empty() && bus_.now() >= fq_.front().unmapped_at + p_.fq_timeout) flush_locked(true);
}

void DmaApi::flush() {
  flush_locked(false);
}

void DmaApi::flush_locked(bool timeout) {
  if (fq_.empty()) return;
  // fq_flush_iotlb: one invalidation of the whole domain, then every queued IOVA is freed.
  invalidate({0, 0, std::nullopt});
  const Tick done = bus_.now();
  ++counts_.fq_flushes;
  if (timeout) ++counts_.fq_timeouts;
  Tick cost = 0;
  for (const Pending& e : fq_) {
    const Tick w = done - e.unmapped_at;
    ++counts_.stale_entries;
    counts_.stale_window_total += w;
    counts_.stale_window_max = std::max(counts_.stale_window_max, w);
    cost += iova_.free(e.iova, e.size);
  }
  fq_.clear();
  bus_.pause(cost);
}

std::optional<Tick> DmaApi::next_deadline() const {
  if (fq_.empty()) return std::nullopt;
  return fq_.front().unmapped_at + p_.fq_timeout;
}

bool DmaApi::note_access(uint64_t dma, uint64_t size) {
  for (const Pending& e : fq_) {
    if (dma < e.iova + e.size && e.iova < dma + size) {
      ++counts_.stale_accesses;
      return true;
    }
  }
  return false;
}

}  // namespace isim::host
