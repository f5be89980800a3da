// Sparse simulated physical memory: backing pages are allocated on first write, so a 1 TiB
// address space costs only the pages a simulation touches. Reads of untouched pages return zero.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "hw/phys_mem.h"

namespace isim {

class SparseMemory final : public PhysMem {
 public:
  static constexpr unsigned kPageLg2 = 12;
  static constexpr uint64_t kPageSize = uint64_t{1} << kPageLg2;

  /// A memory answering physical addresses [0, size).
  explicit SparseMemory(uint64_t size);

  bool read(uint64_t pa, void* dst, size_t len) override;
  bool write(uint64_t pa, const void* src, size_t len) override;
  uint64_t size() const override { return size_; }

  /// Number of backing pages allocated so far (the host-memory cost of this memory).
  size_t touched_pages() const { return pages_.size(); }

  /// Host pointer to the backing page holding pa, allocating it; nullptr if pa is out of range.
  /// Valid for the lifetime of this object (pages are never freed or moved).
  uint8_t* page_for_write(uint64_t pa);

  /// Host pointer to the backing page holding pa, or nullptr if the page was never written
  /// (its contents are zero) or pa is out of range.
  const uint8_t* page_for_read(uint64_t pa);

 private:
  struct Page {
    std::array<uint8_t, kPageSize> bytes;
  };
  // A direct-mapped cache of page-number -> page in front of the hash map: page-table walks
  // revisit a working set of table pages (thousands for a large mapping) and DMA streams a few
  // buffers, and this keeps them off the hash path. 4096 slots cover 16 MiB of touched pages in
  // 64 KiB of host memory.
  static constexpr unsigned kCacheLg2 = 12;
  struct CacheSlot {
    uint64_t pfn = ~uint64_t{0};
    Page* page = nullptr;
  };

  Page* find(uint64_t pfn);
  Page* find_or_alloc(uint64_t pfn);
  bool in_range(uint64_t pa, size_t len) const { return len <= size_ && pa <= size_ - len; }

  uint64_t size_;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
  std::array<CacheSlot, size_t{1} << kCacheLg2> cache_{};
};

}  // namespace isim
