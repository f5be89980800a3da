#include "pasid/migration.h"

#include <fmt/format.h>

namespace isim::pasid {

namespace {
struct Placed {
  const VmPasid* src;
  uint32_t hpasid;
};

void roll_back(const std::vector<Placed>& placed, PasidAllocator& dst, const std::string& set,
               std::map<uint16_t, PasidTable*>& tables, PasidTranslationTable& tt) {
  for (const Placed& p : placed) {
    auto t = tables.find(p.src->rid);
    if (t != tables.end()) t->second->clear(p.hpasid);
    if (p.src->global) {
      dst.free_global(set, p.hpasid);
    } else {
      dst.free_local(set, p.src->rid, p.hpasid);
    }
    tt.unmap(p.src->gpasid);
  }
}
}  // namespace

MigrationReport migrate(const std::vector<VmPasid>& pasids, PasidAllocator& dst,
                        const std::string& vm_set, std::map<uint16_t, PasidTable*>& tables,
                        PasidTranslationTable& tt, const MigrationCosts& costs) {
  MigrationReport rep;
  std::vector<Placed> placed;
  auto fail = [&](std::string why) {
    roll_back(placed, dst, vm_set, tables, tt);
    rep.ok = false;
    rep.error = std::move(why);
    rep.remaps.clear();
    rep.reprogrammed = 0;
    rep.cost = 0;
    return rep;
  };
  if (!dst.set(vm_set)) return fail(fmt::format("no IOASID set '{}' at the destination", vm_set));

  for (const VmPasid& v : pasids) {
    uint32_t h = v.hpasid;
    if (!v.global) {
      const AllocResult r = dst.alloc_local(vm_set, v.rid, v.hpasid);
      if (!r.ok()) {
        if (r.error == Error::in_use) rep.conflicts.push_back(v.hpasid);
        return fail(fmt::format("RID-local PASID {:#x} on RID {:#06x}: {}", v.hpasid, v.rid,
                                to_string(r.error)));
      }
    } else {
      AllocResult r = dst.alloc_global_at(vm_set, v.hpasid);
      if (r.error == Error::in_use) {
        rep.conflicts.push_back(v.hpasid);
        if (v.must_keep)
          return fail(fmt::format(
              "global PASID {:#x} (guest PASID {:#x}) is taken at the destination and must keep "
              "its number",
              v.hpasid, v.gpasid));
        r = dst.alloc_global(vm_set);
        if (r.ok()) {
          rep.remaps.push_back({v.gpasid, v.hpasid, r.pasid});
          rep.cost += costs.translation_update;
        }
      }
      if (!r.ok())
        return fail(fmt::format("global PASID {:#x} (guest PASID {:#x}): {}", v.hpasid, v.gpasid,
                                to_string(r.error)));
      h = r.pasid;
    }
    placed.push_back({&v, h});
    tt.map(v.gpasid, h);
    auto t = tables.find(v.rid);
    if (t == tables.end())
      return fail(fmt::format("no PASID table for RID {:#06x} at the destination", v.rid));
    if (const TableError e = t->second->set(h, v.binding); e != TableError::none)
      return fail(
          fmt::format("programming PASID {:#x} on RID {:#06x}: {}", h, v.rid, to_string(e)));
    ++rep.reprogrammed;
    rep.cost += costs.entry_write + costs.invalidation;
  }
  rep.ok = true;
  return rep;
}

}  // namespace isim::pasid
