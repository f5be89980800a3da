// VT-d page request descriptors as hardware writes them into the page request queue.
//
// Source: Intel VT-d specification (rev 3.x/4.x) 7.5.1 "Page Request Descriptor" (32 bytes):
//   QW0: type 7:0 (1: page request), PP 8 (PASID present), PDP 9 (private data present),
//        RID 31:16, PASID 51:32, EXE 52 (execute requested), PMR 53 (privileged mode)
//   QW1: RD 0, WR 1, LPIG 2 (last page in group), PRGI 11:3, ADDR 63:12
//   QW2/QW3: private data (not produced: the PCIe page request carries none here).
#pragma once

#include <array>
#include <cstdint>

namespace isim::vtd {

inline constexpr unsigned kPageRequestBytes = 32;
inline constexpr uint64_t kPageRequestType = 1;

struct PageRequestDesc {
  uint16_t rid = 0;
  bool pp = false;
  uint32_t pasid = 0;
  bool exe = false;
  bool pmr = false;
  bool rd = false;
  bool wr = false;
  bool lpig = false;
  uint16_t prgi = 0;
  uint64_t addr = 0;

  std::array<uint64_t, 4> encode() const {
    uint64_t q0 = kPageRequestType | (uint64_t{pp} << 8) | (uint64_t{rid} << 16);
    q0 |= (uint64_t{pasid} & 0xfffff) << 32;
    q0 |= (uint64_t{exe} << 52) | (uint64_t{pmr} << 53);
    uint64_t q1 = uint64_t{rd} | (uint64_t{wr} << 1) | (uint64_t{lpig} << 2);
    q1 |= (uint64_t{prgi} & 0x1ff) << 3;
    q1 |= addr & ~uint64_t{0xfff};
    return {q0, q1, 0, 0};
  }
};

}  // namespace isim::vtd
