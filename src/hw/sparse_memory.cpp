#include "hw/sparse_memory.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace isim {

static_assert(std::endian::native == std::endian::little,
              "PhysMem's little-endian helpers assume a little-endian host");

SparseMemory::SparseMemory(uint64_t size) : size_(size) {}

SparseMemory::Page* SparseMemory::find(uint64_t pfn) {
  CacheSlot& slot = cache_[pfn & ((1u << kCacheLg2) - 1)];
  if (slot.pfn == pfn) return slot.page;
  auto it = pages_.find(pfn);
  if (it == pages_.end()) return nullptr;  // untouched pages are not cached: they may appear later
  slot = {pfn, it->second.get()};
  return slot.page;
}

SparseMemory::Page* SparseMemory::find_or_alloc(uint64_t pfn) {
  if (Page* p = find(pfn)) return p;
  auto page = std::make_unique<Page>();
  page->bytes.fill(0);
  Page* raw = page.get();
  pages_.emplace(pfn, std::move(page));
  cache_[pfn & ((1u << kCacheLg2) - 1)] = {pfn, raw};
  return raw;
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
