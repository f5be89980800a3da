#include "host/iova_allocator.h"

#include <bit>
#include <iterator>

namespace isim::host {

IovaAllocator::IovaAllocator(const IovaParams& p) : p_(p), caches_(p.rcache_orders) {}

uint64_t IovaAllocator::pages_for(uint64_t bytes) const {
  const uint64_t g = uint64_t{1} << p_.granule_lg2;
  uint64_t pages = (bytes + g - 1) / g;
  if (pages == 0) pages = 1;
  // iova.c alloc_iova_fast: sizes the rcache holds are rounded up to a power of two.
  if (pages < (uint64_t{1} << p_.rcache_orders)) pages = std::bit_ceil(pages);
  return pages;
}

Tick IovaAllocator::tree_cost() const {
  const unsigned levels = std::bit_width(tree_.size() + 1);
  return p_.tree_base + p_.tree_per_level * levels;
}

std::optional<uint64_t> IovaAllocator::tree_alloc(uint64_t pages) {
  // Highest free range of `pages` below limit, aligned to its power-of-two size when
  // size-aligned (iova.c __alloc_and_insert_iova_range searches top-down).
  const uint64_t lo = p_.base >> p_.granule_lg2;
  uint64_t hi = p_.limit >> p_.granule_lg2;  // exclusive end of the gap being considered
  const uint64_t align = std::has_single_bit(pages) ? pages : 1;
  auto it = tree_.end();
  for (;;) {
    const uint64_t gap_lo = it == tree_.begin() ? lo : std::prev(it)->first + std::prev(it)->second;
    if (hi >= pages && hi - pages >= gap_lo) {
      const uint64_t start = (hi - pages) / align * align;
      if (start >= gap_lo && start >= lo) {
        tree_.emplace(start, pages);
        return start;
      }
    }
    if (it == tree_.begin()) return std::nullopt;
    --it;
    hi = it->first;
  }
}

void IovaAllocator::tree_free(uint64_t pfn) {
  tree_.erase(pfn);
}

std::optional<IovaAllocator::Alloc> IovaAllocator::alloc(uint64_t bytes) {
  const uint64_t pages = pages_for(bytes);
  const unsigned order = std::bit_width(pages) - 1;
  ++counts_.allocs;
  if (std::has_single_bit(pages) && order < caches_.size()) {
    Cache& c = caches_[order];
    if (c.loaded.empty() && !c.prev.empty()) std::swap(c.loaded, c.prev);
    if (c.loaded.empty() && !c.depot.empty()) {
      c.loaded = std::move(c.depot.back());
      c.depot.pop_back();
    }
    if (!c.loaded.empty()) {
      const uint64_t pfn = c.loaded.back();
      c.loaded.pop_back();
      ++counts_.rcache_hits;
      counts_.cost += p_.rcache_cost;
      return Alloc{pfn << p_.granule_lg2, pages << p_.granule_lg2, p_.rcache_cost};
    }
  }
  const Tick cost = tree_cost();
  counts_.cost += cost;
  const auto pfn = tree_alloc(pages);
  if (!pfn) {
    ++counts_.failures;
    return std::nullopt;
  }
  ++counts_.tree_allocs;
  return Alloc{*pfn << p_.granule_lg2, pages << p_.granule_lg2, cost};
}

Tick IovaAllocator::free(uint64_t iova, uint64_t bytes) {
  const uint64_t pages = pages_for(bytes);
  const unsigned order = std::bit_width(pages) - 1;
  const uint64_t pfn = iova >> p_.granule_lg2;
  ++counts_.frees;
  Tick cost = 0;
  if (std::has_single_bit(pages) && order < caches_.size()) {
    Cache& c = caches_[order];
    if (c.loaded.size() >= p_.mag_size) {
      if (c.prev.size() < p_.mag_size) {
        std::swap(c.loaded, c.prev);
      } else if (c.depot.size() < p_.depot_mags) {
        c.depot.push_back(std::move(c.loaded));
        c.loaded.clear();
      } else {
        // iova_magazine_free_pfns: the whole loaded magazine goes back to the tree.
        for (uint64_t f : c.loaded) {
          cost += tree_cost();
          tree_free(f);
          ++counts_.tree_frees;
        }
        c.loaded.clear();
      }
    }
    c.loaded.push_back(pfn);
    ++counts_.rcache_frees;
    cost += p_.rcache_cost;
  } else {
    cost += tree_cost();
    tree_free(pfn);
    ++counts_.tree_frees;
  }
  counts_.cost += cost;
  return cost;
}

}  // namespace isim::host
