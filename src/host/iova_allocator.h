// An IOVA allocator with Linux's behaviour (drivers/iommu/iova.c), single-CPU view:
//
// - the address space is [base, limit) in `granule` pages; allocations are whole pages and,
//   below 2^rcache_orders pages, rounded up to a power of two and aligned to it (size_aligned);
// - slow path: a range allocator that hands out the highest free, aligned range below limit
//   (Linux searches its rbtree top-down from the cached node), costing `tree_base` plus
//   `tree_per_level` per level of a balanced tree of the live ranges;
// - fast path: per size order, a `loaded` and a `prev` magazine of up to `mag_size` freed
//   page numbers and a depot of at most `depot_mags` full magazines (Linux iova_rcache:
//   IOVA_MAG_SIZE, MAX_GLOBAL_MAGS). alloc pops loaded, else swaps in prev, else takes a depot
//   magazine, else goes to the tree; free pushes to loaded, else swaps with a non-full prev,
//   else moves the full loaded to the depot, else returns the loaded magazine's ranges to the
//   tree. A freed IOVA is therefore reused last-in first-out, as in Linux.
//
// Pure C++: costs are returned, the caller charges the time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/time.h"

namespace isim::host {

/// Costs are ESTIMATES of a ~3 GHz core (Linux alloc_iova_fast on a hit is tens of ns; the
/// rbtree path a few hundred).
struct IovaParams {
  uint64_t base = uint64_t{1} << 20;   ///< lowest IOVA handed out (Linux keeps page 0 unused)
  uint64_t limit = uint64_t{1} << 32;  ///< IOVAs lie below this (Linux tries DMA32 first)
  unsigned granule_lg2 = 12;           ///< IOVA page size, log2
  unsigned rcache_orders = 6;          ///< cached size orders (IOVA_RANGE_CACHE_MAX_SIZE)
  unsigned mag_size = 127;             ///< page numbers per magazine (IOVA_MAG_SIZE)
  unsigned depot_mags = 32;            ///< full magazines in the depot (MAX_GLOBAL_MAGS)
  Tick rcache_cost = 20'000;           ///< an alloc or free served by a magazine
  Tick tree_base = 150'000;            ///< a tree alloc or free, fixed part
  Tick tree_per_level = 15'000;        ///< per level of the tree walked
};

struct IovaCounts {
  uint64_t allocs = 0;
  uint64_t rcache_hits = 0;  ///< allocs a magazine served
  uint64_t tree_allocs = 0;
  uint64_t frees = 0;
  uint64_t rcache_frees = 0;  ///< frees kept in a magazine
  uint64_t tree_frees = 0;    ///< ranges returned to the tree (uncached sizes, depot overflow)
  uint64_t failures = 0;      ///< allocs with no room
  Tick cost = 0;              ///< total software cost of allocs and frees
};

class IovaAllocator {
 public:
  explicit IovaAllocator(const IovaParams& p);

  struct Alloc {
    uint64_t iova = 0;
    uint64_t size = 0;  ///< bytes reserved (pages, rounded as above)
    Tick cost = 0;
  };
  /// Reserves room for `bytes`; nullopt when the space is exhausted.
  std::optional<Alloc> alloc(uint64_t bytes);
  /// Releases a reservation from alloc() (same iova and requested byte count); its cost.
  Tick free(uint64_t iova, uint64_t bytes);

  const IovaCounts& counts() const { return counts_; }
  /// Live ranges the tree holds (magazine contents included, as in Linux).
  size_t tree_ranges() const { return tree_.size(); }

 private:
  struct Cache {
    std::vector<uint64_t> loaded, prev;
    std::vector<std::vector<uint64_t>> depot;
  };
  uint64_t pages_for(uint64_t bytes) const;
  Tick tree_cost() const;
  std::optional<uint64_t> tree_alloc(uint64_t pages);
  void tree_free(uint64_t pfn);

  IovaParams p_;
  std::map<uint64_t, uint64_t> tree_;  ///< start pfn -> pages
  std::vector<Cache> caches_;          ///< per order
  IovaCounts counts_;
};

}  // namespace isim::host
