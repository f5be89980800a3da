#include "hw/ring.h"

#include <stdexcept>
#include <string>

namespace isim {

namespace {

void check_size(size_t have, uint32_t want, const char* what) {
  if (have != want)
    throw std::invalid_argument(std::string("ring ") + what + ": buffer of " +
                                std::to_string(have) + " bytes for " + std::to_string(want) +
                                "-byte entries");
}

}  // namespace

RingGeometry::RingGeometry(uint64_t base, unsigned log2_entries, uint32_t entry_bytes)
    : base_(base), log2_entries_(log2_entries), entry_bytes_(entry_bytes) {
  if (entry_bytes == 0) throw std::invalid_argument("ring: entry size must be non-zero");
  if (log2_entries > kMaxLog2Entries)
    throw std::invalid_argument("ring: 2^" + std::to_string(log2_entries) +
                                " entries is more than the supported 2^" +
                                std::to_string(kMaxLog2Entries));
}

bool RingGeometry::read_slot(PhysMem& mem, uint64_t slot, std::span<std::byte> dst) const {
  check_size(dst.size(), entry_bytes_, "read");
  return mem.read(slot_addr(slot), dst.data(), dst.size());
}

bool RingGeometry::read_slot(PhysMem& mem, uint64_t slot, std::span<uint64_t> dst) const {
  // Entries are little-endian in memory and so is the host (checked in sparse_memory.cpp), so
  // the words can be copied as bytes.
  return read_slot(mem, slot, std::as_writable_bytes(dst));
}

bool RingGeometry::write_slot(PhysMem& mem, uint64_t slot, std::span<const std::byte> src) const {
  check_size(src.size(), entry_bytes_, "write");
  return mem.write(slot_addr(slot), src.data(), src.size());
}

bool RingGeometry::write_slot(PhysMem& mem, uint64_t slot, std::span<const uint64_t> src) const {
  return write_slot(mem, slot, std::as_bytes(src));
}

}  // namespace isim
