// Functional (untimed) access to simulated physical memory.
//
// Everything that decodes guest-controlled structures (page walkers, table builders, rings,
// drivers) talks to memory through this interface, so it runs with or without a SystemC kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace isim {

class PhysMem {
 public:
  virtual ~PhysMem() = default;

  /// Copy len bytes at physical address pa into dst. Returns false (dst untouched) when any byte
  /// lies outside the memory: the caller turns that into its architecture's bus/abort error.
  virtual bool read(uint64_t pa, void* dst, size_t len) = 0;

  /// Copy len bytes from src to physical address pa. Returns false (nothing written) when any
  /// byte lies outside the memory.
  virtual bool write(uint64_t pa, const void* src, size_t len) = 0;

  /// Size of the physical address range [0, size) this memory answers.
  virtual uint64_t size() const = 0;

  // Little-endian helpers (every IOMMU here except TCE stores its structures little-endian).
  std::optional<uint64_t> read_le64(uint64_t pa) {
    uint64_t v;
    if (!read(pa, &v, sizeof v)) return std::nullopt;
    return v;  // the host is little-endian (checked at build time in sparse_memory.cpp)
  }
  std::optional<uint32_t> read_le32(uint64_t pa) {
    uint32_t v;
    if (!read(pa, &v, sizeof v)) return std::nullopt;
    return v;
  }
  bool write_le64(uint64_t pa, uint64_t v) { return write(pa, &v, sizeof v); }
  bool write_le32(uint64_t pa, uint32_t v) { return write(pa, &v, sizeof v); }

  // Big-endian helpers (POWER TCE tables are stored big-endian).
  std::optional<uint64_t> read_be64(uint64_t pa) {
    auto v = read_le64(pa);
    if (!v) return std::nullopt;
    return __builtin_bswap64(*v);
  }
  bool write_be64(uint64_t pa, uint64_t v) { return write_le64(pa, __builtin_bswap64(v)); }
};

}  // namespace isim
