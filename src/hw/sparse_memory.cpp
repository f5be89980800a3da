#include "hw/sparse_memory.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace isim {

static_assert(std::endian::native == std::endian::little,
              "PhysMem's little-endian helpers assume a little-endian host");

SparseMemory::SparseMemory(uint64_t size) : size_(size) {
  const uint64_t pages = (size + kPageSize - 1) >> kPageLg2;
  const uint64_t tops = (pages + (uint64_t{1} << kLeafLg2) - 1) >> kLeafLg2;
  if (tops <= kMaxFlatTop) flat_top_.resize(tops);
}

SparseMemory::~SparseMemory() = default;

const SparseMemory::Leaf* SparseMemory::find_leaf_slow(uint64_t top) const {
  if (!flat_top_.empty()) return nullptr;  // a flat directory covers all of memory
  auto it = sparse_top_.find(top);
  return it == sparse_top_.end() ? nullptr : it->second.get();
}

SparseMemory::Page* SparseMemory::find_or_alloc(uint64_t pfn) {
  const uint64_t top = pfn >> kLeafLg2;
  std::unique_ptr<Leaf>& slot = flat_top_.empty() ? sparse_top_[top] : flat_top_[top];
  if (!slot) slot = std::make_unique<Leaf>();
  Page*& page = slot->pages[pfn & ((uint64_t{1} << kLeafLg2) - 1)];
  if (!page) {
    if (slab_used_ == slab_pages_) {
      slab_pages_ = slab_pages_ ? std::min(slab_pages_ * 2, kMaxSlabPages) : kFirstSlabPages;
      // Page is an array of bytes (an implicit-lifetime type): zeroed storage is a zero page.
      auto* slab = static_cast<Page*>(std::calloc(slab_pages_, sizeof(Page)));
      if (!slab) throw std::bad_alloc();
      slabs_.emplace_back(slab);
      slab_used_ = 0;
    }
    page = &slabs_.back()[slab_used_++];
    ++touched_;
  }
  return page;
}

bool SparseMemory::read(uint64_t pa, void* dst, size_t len) {
  if (!in_range(pa, len)) return false;
  // Page-table entries are 8-byte reads inside one page: a fixed-size copy here is several
  // times cheaper than the general loop's variable-length memcpy.
  if (len == 8 && (pa & (kPageSize - 1)) <= kPageSize - 8) {
    uint64_t v = 0;
    if (const Page* p = find(pa >> kPageLg2))
      std::memcpy(&v, p->bytes.data() + (pa & (kPageSize - 1)), 8);
    std::memcpy(dst, &v, 8);
    return true;
  }
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    const uint64_t off = pa & (kPageSize - 1);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(len, kPageSize - off));
    if (const Page* p = find(pa >> kPageLg2)) {
      std::memcpy(out, p->bytes.data() + off, chunk);
    } else {
      std::memset(out, 0, chunk);
    }
    out += chunk;
    pa += chunk;
    len -= chunk;
  }
  return true;
}

bool SparseMemory::write(uint64_t pa, const void* src, size_t len) {
  if (!in_range(pa, len)) return false;
  const auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    const uint64_t off = pa & (kPageSize - 1);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(len, kPageSize - off));
    std::memcpy(find_or_alloc(pa >> kPageLg2)->bytes.data() + off, in, chunk);
    in += chunk;
    pa += chunk;
    len -= chunk;
  }
  return true;
}

uint8_t* SparseMemory::page_for_write(uint64_t pa) {
  if (pa >= size_) return nullptr;
  return find_or_alloc(pa >> kPageLg2)->bytes.data();
}

const uint8_t* SparseMemory::page_for_read(uint64_t pa) {
  if (pa >= size_) return nullptr;
  Page* p = find(pa >> kPageLg2);
  return p ? p->bytes.data() : nullptr;
}

}  // namespace isim
