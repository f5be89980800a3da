// A VM's RAM as the guest sees it: guest-physical [0, size) is system-physical [base, base +
// size). Guest drivers store their tables through it, and a hypervisor reads them through it;
// an access that leaves the range fails as one beyond memory does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/phys_mem.h"

namespace isim {

class GuestRam final : public PhysMem {
 public:
  GuestRam(PhysMem& host, uint64_t base, uint64_t size) : host_(host), base_(base), size_(size) {}
  bool read(uint64_t gpa, void* dst, size_t len) override {
    return inside(gpa, len) && host_.read(base_ + gpa, dst, len);
  }
  bool write(uint64_t gpa, const void* src, size_t len) override {
    return inside(gpa, len) && host_.write(base_ + gpa, src, len);
  }
  uint64_t size() const override { return size_; }
  /// Where guest-physical 0 is.
  uint64_t base() const { return base_; }

 private:
  bool inside(uint64_t gpa, size_t len) const { return len <= size_ && gpa <= size_ - len; }
  PhysMem& host_;
  uint64_t base_;
  uint64_t size_;
};

}  // namespace isim
