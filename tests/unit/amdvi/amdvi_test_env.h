// Table builder for AMD-Vi translator tests: device table entries and GCR3 tables written with
// the production encoders into a SparseMemory, page tables through the pagetable Builder.
#pragma once

#include <gtest/gtest.h>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/amdvi/translator.h"
#include "pagetable/builder.h"

namespace isim::amdvi::test {

inline constexpr uint64_t kMemSize = uint64_t{1} << 40;
/// Device table: Size = 0x1FF, 2 MiB, every 16-bit DeviceID.
inline constexpr unsigned kDevTabSizeField = 0x1ff;

struct Env {
  SparseMemory mem{kMemSize};
  PhysAllocator alloc{0x10'0000, uint64_t{1} << 32};
  Features f;
  uint64_t devtab = *alloc.alloc(uint64_t{2} << 20, 4096);
  uint64_t control = (uint64_t{1} << control::kIommuEn) | (uint64_t{1} << control::kGTEn);
  uint64_t excl_base = 0, excl_limit = 0;

  uint64_t page() {
    const uint64_t pa = *alloc.alloc(4096, 4096);
    static const uint8_t zero[4096] = {};
    mem.write(pa, zero, sizeof zero);
    return pa;
  }
  UnitState state() const {
    return UnitState::from_registers(devtab::make(devtab, kDevTabSizeField), control, excl_base,
                                     excl_limit);
  }
  Translator translator() const { return Translator(f, const_cast<SparseMemory&>(mem)); }
  Result go(const Request& r) const { return translator().translate(state(), r); }

  uint64_t dte_pa(uint16_t dev) const { return devtab + uint64_t{dev} * kDteBytes; }
  void set_raw_dte(uint16_t dev, const Qw4& q) { mem.write(dte_pa(dev), q.data(), kDteBytes); }
  void set_dte(uint16_t dev, const Dte& d) { set_raw_dte(dev, d.encode()); }

  pt::Builder<pt::AmdV1Format> host_tables(unsigned mode, bool level_skip = false) {
    pt::AmdV1Config c;
    c.mode = mode;
    pt::BuilderOptions o;
    o.level_skip = level_skip;
    return *pt::Builder<pt::AmdV1Format>::create(pt::AmdV1Format(c), mem, alloc, o);
  }
  pt::Builder<pt::X86Format> guest_tables(unsigned levels) {
    return *pt::Builder<pt::X86Format>::create(pt::X86Format(pt::amd_v2_config(levels)), mem,
                                               alloc);
  }

  /// Points `pasid` at guest CR3 `cr3` in the GCR3 hierarchy at `root` (GLX `glx`), creating
  /// the level-0 table when needed.
  void set_gcr3(uint64_t root, unsigned glx, uint32_t pasid, uint64_t cr3) {
    uint64_t table = root;
    if (glx == 1) {
      const uint64_t pa = root + gcr3_index(pasid, 1) * kGcr3EntryBytes;
      Gcr3Entry e = Gcr3Entry::decode(*mem.read_le64(pa));
      if (!e.valid) {
        e = {true, page()};
        mem.write_le64(pa, e.encode());
      }
      table = e.addr;
    }
    mem.write_le64(table + gcr3_index(pasid, 0) * kGcr3EntryBytes, Gcr3Entry{true, cr3}.encode());
  }
};

/// A valid, translating DTE for host tables.
inline Dte host_dte(uint64_t root, unsigned mode, uint16_t domain = 7, bool ir = true,
                    bool iw = true) {
  Dte d;
  d.v = d.tv = true;
  d.mode = mode;
  d.pt_root = root;
  d.domain_id = domain;
  d.ir = ir;
  d.iw = iw;
  return d;
}

inline Request rd(uint16_t dev, uint64_t addr) {
  Request r;
  r.device_id = dev;
  r.addr = addr;
  return r;
}
inline Request wr(uint16_t dev, uint64_t addr) {
  Request r = rd(dev, addr);
  r.read = false;
  r.write = true;
  return r;
}
inline Request with_pasid(Request r, uint32_t pasid, bool priv = false, bool exec = false) {
  r.pasid = pasid;
  r.priv = priv;
  r.exec = exec;
  return r;
}

}  // namespace isim::amdvi::test
