// Allocation of simulated physical memory for software models (drivers, table builders, test
// harnesses): a bump allocator over a region with a free list per block size, so tables freed
// by unmap are reused the way a kernel page allocator would.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace isim {

class PhysAllocator {
 public:
  /// Hands out memory from [base, limit).
  PhysAllocator(uint64_t base, uint64_t limit) : next_(base), limit_(limit) {}

  /// A block of `size` bytes aligned to `align` (both powers of two, align >= size is typical
  /// for page tables), or nullopt when the region is exhausted. Contents are not cleared: the
  /// caller zeroes the block in simulated memory if the format needs it.
  std::optional<uint64_t> alloc(uint64_t size, uint64_t align);

  /// Returns a block obtained from alloc() with the same size.
  void free(uint64_t pa, uint64_t size);

  uint64_t bytes_in_use() const { return in_use_; }

 private:
  uint64_t next_;
  uint64_t limit_;
  uint64_t in_use_ = 0;
  std::map<uint64_t, std::vector<uint64_t>> free_;  // size -> freed block addresses
};

}  // namespace isim
