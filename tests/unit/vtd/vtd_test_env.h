// Table builder for VT-d translator tests: root/context/PASID structures written with the
// production encoders into a SparseMemory, page tables through the pagetable Builder.
#pragma once

#include <gtest/gtest.h>

#include <cstring>

#include "hw/phys_allocator.h"
#include "hw/sparse_memory.h"
#include "models/vtd/translator.h"
#include "pagetable/builder.h"

namespace isim::vtd::test {

inline constexpr uint64_t kMemSize = uint64_t{1} << 40;  // 1 TiB; HAW 46 reaches beyond it

struct Env {
  SparseMemory mem{kMemSize};
  PhysAllocator alloc{0x10'0000, uint64_t{1} << 32};
  Capabilities caps = test_caps();
  uint64_t root = page();

  static Capabilities test_caps() {
    Capabilities c;
    c.sagaw = 0b1110;  // 3-, 4- and 5-level second stage
    c.fs5lp = true;
    c.ers = true;
    return c;
  }

  uint64_t page() {
    const uint64_t pa = *alloc.alloc(4096, 4096);
    static const uint8_t zero[4096] = {};
    mem.write(pa, zero, sizeof zero);
    return pa;
  }
  Translator translator() const { return Translator(caps, const_cast<SparseMemory&>(mem)); }
  UnitState legacy() const { return {rtaddr::make(root, Ttm::Legacy), true}; }
  UnitState scalable() const { return {rtaddr::make(root, Ttm::Scalable), true}; }

  void write_qws(uint64_t pa, const uint64_t* q, unsigned n) { mem.write(pa, q, size_t{n} * 8); }
  uint64_t read_qw(uint64_t pa) { return *mem.read_le64(pa); }

  // --- legacy -------------------------------------------------------------------------------
  uint64_t legacy_ctx_table(uint8_t bus) {
    const LegacyRootEntry re = LegacyRootEntry::decode({read_qw(root + bus * 16), 0});
    if (re.present) return re.ctp;
    const uint64_t t = page();
    write_qws(root + bus * 16, LegacyRootEntry{true, t}.encode().data(), 2);
    return t;
  }
  uint64_t set_legacy_context(uint16_t sid, const LegacyContextEntry& ce) {
    const uint64_t pa = legacy_ctx_table(sid >> 8) + (sid & 0xff) * 16;
    write_qws(pa, ce.encode().data(), 2);
    return pa;
  }

  // --- scalable -----------------------------------------------------------------------------
  uint64_t sm_ctx_table(uint8_t bus, uint8_t devfn) {
    Qw2 raw{read_qw(root + bus * 16), read_qw(root + bus * 16 + 8)};
    ScalableRootEntry re = ScalableRootEntry::decode(raw);
    if (re.present_for(devfn)) return re.ctp_for(devfn);
    const uint64_t t = page();
    if (devfn < 0x80)
      re.lower_present = true, re.lower_ctp = t;
    else
      re.upper_present = true, re.upper_ctp = t;
    write_qws(root + bus * 16, re.encode().data(), 2);
    return t;
  }
  /// A scalable context entry with a fresh PASID directory (PDTS = 0: PASIDs 0..8191).
  uint64_t set_sm_context(uint16_t sid, ScalableContextEntry ce) {
    if (ce.pasid_dir == 0) ce.pasid_dir = page();
    const uint64_t pa = sm_ctx_table(sid >> 8, sid & 0xff) + (sid & 0x7f) * 32;
    write_qws(pa, ce.encode().data(), 4);
    return pa;
  }
  ScalableContextEntry sm_context(uint16_t sid) {
    const uint64_t pa = sm_ctx_table(sid >> 8, sid & 0xff) + (sid & 0x7f) * 32;
    return ScalableContextEntry::decode({read_qw(pa), read_qw(pa + 8), 0, 0});
  }
  uint64_t set_pasid_entry(uint16_t sid, uint32_t pasid, const PasidEntry& pe) {
    const ScalableContextEntry ce = sm_context(sid);
    const uint64_t de_pa = ce.pasid_dir + PasidEntry::dir_index(pasid) * 8;
    PasidDirEntry de = PasidDirEntry::decode(read_qw(de_pa));
    if (!de.present) {
      de = {true, false, page()};
      const uint64_t v = de.encode();
      write_qws(de_pa, &v, 1);
    }
    const uint64_t pa = de.table + PasidEntry::table_index(pasid) * 64;
    write_qws(pa, pe.encode().data(), 8);
    return pa;
  }

  // --- page tables --------------------------------------------------------------------------
  pt::Builder<pt::VtdSsFormat> ss_tables(unsigned levels, bool legacy = true) {
    pt::VtdSsConfig c;
    c.levels = levels;
    c.haw = caps.haw;
    c.tm = legacy;
    return *pt::Builder<pt::VtdSsFormat>::create(pt::VtdSsFormat(c), mem, alloc);
  }
  pt::Builder<pt::X86Format> fs_tables(unsigned levels) {
    return *pt::Builder<pt::X86Format>::create(
        pt::X86Format(pt::vtd_first_stage_config(levels, caps.haw, true)), mem, alloc);
  }
};

inline Request rd(uint16_t sid, uint64_t addr) {
  Request r;
  r.sid = sid;
  r.addr = addr;
  return r;
}
inline Request wr(uint16_t sid, uint64_t addr) {
  Request r = rd(sid, addr);
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

}  // namespace isim::vtd::test
