// Sparse simulated physical memory: backing pages are allocated on first write, so a 1 TiB
// address space costs only the pages a simulation touches. Reads of untouched pages return zero.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hw/phys_mem.h"

namespace isim {

class SparseMemory final : public PhysMem {
 public:
  static constexpr unsigned kPageLg2 = 12;
  static constexpr uint64_t kPageSize = uint64_t{1} << kPageLg2;

  /// A memory answering physical addresses [0, size).
  explicit SparseMemory(uint64_t size);
  ~SparseMemory() override;

  bool read(uint64_t pa, void* dst, size_t len) override;
  bool write(uint64_t pa, const void* src, size_t len) override;
  uint64_t size() const override { return size_; }

  /// Number of backing pages allocated so far (the host-memory cost of this memory).
  size_t touched_pages() const { return touched_; }

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
  // A two-level directory of pages: a leaf holds the pointers of 4096 consecutive pages
  // (16 MiB of address space, 32 KiB of host memory) and is allocated when one of them is
  // first written. Walks and DMA find a page in two dependent loads, with no hashing. The
  // top level is a flat array when it stays small (memories up to 16 TiB) and a hash map
  // above that, so even a 4 PiB address space costs only what is touched.
  static constexpr unsigned kLeafLg2 = 12;
  static constexpr uint64_t kMaxFlatTop = uint64_t{1} << 20;
  struct Leaf {
    std::array<Page*, size_t{1} << kLeafLg2> pages{};
  };

  Page* find(uint64_t pfn) const {
    const uint64_t top = pfn >> kLeafLg2;
    const Leaf* leaf = top < flat_top_.size() ? flat_top_[top].get() : find_leaf_slow(top);
    return leaf ? leaf->pages[pfn & ((uint64_t{1} << kLeafLg2) - 1)] : nullptr;
  }
  const Leaf* find_leaf_slow(uint64_t top) const;
  Page* find_or_alloc(uint64_t pfn);
  bool in_range(uint64_t pa, size_t len) const { return len <= size_ && pa <= size_ - len; }

  uint64_t size_;
  std::vector<std::unique_ptr<Leaf>> flat_top_;
  std::unordered_map<uint64_t, std::unique_ptr<Leaf>> sparse_top_;  // memories beyond 16 TiB
  // Pages are carved from slabs that double in size (16 pages up to 16 MiB), so pages touched
  // together sit together in host memory (fewer host TLB misses on walks) while a small
  // simulation still costs little.
  // Slabs come from calloc: large ones are fresh zero pages that the host commits only when
  // they are first written, so an unused tail of a slab costs no memory.
  static constexpr size_t kFirstSlabPages = 16;
  static constexpr size_t kMaxSlabPages = 4096;
  struct FreeSlab {
    void operator()(Page* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<Page[], FreeSlab>> slabs_;
  size_t slab_pages_ = 0;  // pages in the newest slab
  size_t slab_used_ = 0;   // pages of the newest slab handed out
  size_t touched_ = 0;
};

}  // namespace isim
