#include "hw/pcie_msg.h"

#include <bit>

namespace isim {

namespace {

constexpr uint64_t kSBit = uint64_t{1} << 11;

uint64_t range_mask(unsigned lg2) {
  return lg2 >= 64 ? ~uint64_t{0} : (uint64_t{1} << lg2) - 1;
}

}  // namespace

uint64_t AtsInvalidation::wire_address() const {
  if (size_lg2 <= kPageLg2) return addr & ~range_mask(kPageLg2);
  // PCIe 10.3.1: ones from bit 12 up to bit lg2-2, a zero at bit lg2-1, the address above.
  const unsigned lg2 = size_lg2 > kAllLg2 ? kAllLg2 : size_lg2;
  const uint64_t ones = range_mask(lg2 - 1) & ~range_mask(kPageLg2);
  return (addr & ~range_mask(lg2)) | ones | kSBit;
}

AtsInvalidation AtsInvalidation::from_wire(uint64_t field) {
  AtsInvalidation inv;
  if (!(field & kSBit)) {
    inv.addr = field & ~range_mask(kPageLg2);
    inv.size_lg2 = kPageLg2;
    return inv;
  }
  const unsigned ones = static_cast<unsigned>(std::countr_one(field >> kPageLg2));
  inv.size_lg2 = ones + kPageLg2 + 1 >= kAllLg2 ? kAllLg2 : ones + kPageLg2 + 1;
  inv.addr = field & ~range_mask(inv.size_lg2);
  return inv;
}

bool AtsInvalidation::covers(uint64_t a, unsigned lg2) const {
  if (lg2 > size_lg2) return false;
  return (a & ~range_mask(size_lg2)) == addr;
}

bool AtsInvalidation::overlaps(uint64_t a, unsigned lg2) const {
  const unsigned big = lg2 > size_lg2 ? lg2 : size_lg2;
  return (a & ~range_mask(big)) == (addr & ~range_mask(big));
}

}  // namespace isim
