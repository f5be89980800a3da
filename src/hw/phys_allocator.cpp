#include "hw/phys_allocator.h"

#include "base/bits.h"

namespace isim {

std::optional<uint64_t> PhysAllocator::alloc(uint64_t size, uint64_t align) {
  if (size == 0 || !is_pow2(align)) return std::nullopt;
  auto it = free_.find(size);
  if (it != free_.end()) {
    auto& list = it->second;
    for (size_t i = list.size(); i-- > 0;) {
      if ((list[i] & (align - 1)) == 0) {
        const uint64_t pa = list[i];
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        in_use_ += size;
        return pa;
      }
    }
  }
  const uint64_t pa = (next_ + align - 1) & ~(align - 1);
  if (pa < next_ || pa > limit_ || limit_ - pa < size) return std::nullopt;
  next_ = pa + size;
  in_use_ += size;
  return pa;
}

void PhysAllocator::free(uint64_t pa, uint64_t size) {
  free_[size].push_back(pa);
  in_use_ -= size;
}

}  // namespace isim
