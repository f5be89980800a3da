#include "models/amdvi/gcr3.h"

namespace isim::amdvi {

// 2.2.6: walk the GCR3 levels from GLX down to 0, each indexed by nine PASID bits.
Gcr3Lookup lookup_gcr3(PhysMem& mem, uint64_t root, unsigned glx, uint32_t pasid,
                       pt::WalkLog& log) {
  Gcr3Lookup r;
  const unsigned levels = glx + 1;
  if (gcr3_pasid_bits(levels) < 32 && (pasid >> gcr3_pasid_bits(levels)) != 0) {
    r.fault = Gcr3Fault::PasidOutOfRange;
    r.level = glx;
    return r;
  }
  uint64_t table = root & mask(51, 12);
  for (int level = static_cast<int>(glx); level >= 0; --level) {
    const unsigned l = static_cast<unsigned>(level);
    r.level = l;
    r.entry_pa = table + uint64_t{gcr3_index(pasid, l)} * kGcr3EntryBytes;
    const std::optional<uint64_t> v = mem.read_le64(r.entry_pa);
    log.reads.push(
        {r.entry_pa, v.value_or(0), static_cast<uint8_t>(kGcr3LogLevelBase + l), 0, v.has_value()});
    if (!v) {
      r.fault = Gcr3Fault::BusError;
      return r;
    }
    r.entry = *v;
    const Gcr3Entry e = Gcr3Entry::decode(*v);
    if (!e.valid) {
      r.fault = Gcr3Fault::NotValid;
      return r;
    }
    if (*v & Gcr3Entry::kReserved) {
      r.fault = Gcr3Fault::ReservedBit;
      return r;
    }
    table = e.addr;
  }
  r.gcr3 = table;
  return r;
}

}  // namespace isim::amdvi
