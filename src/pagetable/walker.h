// The one page-table walker, generic over PageTableFormat, and nested (two-stage) composition.
//
// Hot path: no heap allocation, entries read through PhysMem (one virtual call per entry),
// per-level state in inline arrays, everything else inlined into the caller.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "base/bits.h"
#include "hw/phys_mem.h"
#include "pagetable/format.h"
#include "pagetable/walk_types.h"

namespace isim::pt {

/// A stage-2 translator for nested walks: translates an IPA for `req`, appends the memory reads
/// it made (if any: a nested-TLB hit makes none) to `log`, and returns the translation or the
/// fault. Stage2Walker below is the default, which just walks stage 2.
template <class S>
concept Stage2Translator = requires(S& s, uint64_t ipa, const AccessReq& req, WalkLog& log) {
  { s(ipa, req, log) } -> std::same_as<StageResult>;
};

namespace detail {

struct NoStage2 {};

/// The request a nested walk makes of stage 2 when it fetches a stage-1 table entry: a read by
/// the translation hardware itself.
inline constexpr AccessReq kTableFetch = AccessReq::r(/*priv=*/true);

inline void fill_fault(Fault& f, FaultKind k, uint8_t stage, unsigned level, uint64_t va,
                       uint64_t entry_pa, uint64_t entry) {
  f = Fault{};
  f.kind = k;
  f.stage = stage;
  f.level = static_cast<uint8_t>(level);
  f.va = va;
  f.entry_pa = entry_pa;
  f.entry = entry;
}

/// Stage-2 fault met while serving stage 1: keep stage 2's details, say what it was translating.
inline void lift_s2_fault(Fault& out, const Fault& s2, uint64_t va, uint64_t ipa, bool on_table,
                          unsigned s1_level) {
  out = s2;
  out.stage = 2;
  out.va = va;
  out.ipa = ipa;
  out.on_s1_table = on_table;
  out.s1_level = static_cast<uint8_t>(on_table ? s1_level : 0);
}

/// One stage, written into `tr`/`fault` in place (results are large: no copies on the hot
/// path). With S2 != NoStage2, every table-entry address is an IPA translated through *s2
/// before the read. Returns true on success.
template <PageTableFormat Fmt, class S2>
inline bool walk_stage_impl(const Fmt& f, PhysMem& mem, const WalkStart& start, uint64_t va,
                            const AccessReq& req, const WalkOptions& opt, Translation& tr,
                            Fault& fault, WalkLog& log, S2* s2) {
  constexpr bool kNested = !std::is_same_v<S2, NoStage2>;
  const unsigned top = f.top_level();
  unsigned level = start.level == WalkStart::kTopLevel ? top : start.level;

  if (level > top) {
    fill_fault(fault, FaultKind::AddressSize, opt.stage, level, va, 0, 0);
    return false;
  }
  if (const FaultKind k = check_input(f, va); k != FaultKind::None) {
    fill_fault(fault, k, opt.stage, level, va, 0, 0);
    return false;
  }

  // Entries used so far, for the accessed/dirty pass once the translation is known to succeed.
  struct Step {
    uint64_t pa;
    uint64_t ipa;
    uint64_t value;
    uint8_t level;
    Perms s2_perms;
  };
  std::array<Step, kMaxLevels> path;
  unsigned depth = 0;

  uint64_t table = start.table;
  Perms perms = start.perms;
  const unsigned esz_lg2 = entry_lg2(f);

  for (;;) {
    const uint64_t slot = table + (table_index(f, va, level) << esz_lg2);
    uint64_t entry_pa = slot;
    Perms s2_perms = Perms::all();
    if constexpr (kNested) {
      if (!(depth == 0 && start.table_is_pa)) {
        const StageResult t = (*s2)(slot, kTableFetch, log);
        if (!t.ok()) {
          lift_s2_fault(fault, t.fault, va, slot, /*on_table=*/true, level);
          return false;
        }
        entry_pa = t.tr.oa;
        s2_perms = t.tr.perms;
      }
    }

    const std::optional<uint64_t> v = load_entry(f, mem, entry_pa);
    log.reads.push(
        {entry_pa, v.value_or(0), static_cast<uint8_t>(level), opt.stage, v.has_value()});
    if (!v) {
      fill_fault(fault, FaultKind::BusError, opt.stage, level, va, entry_pa, 0);
      return false;
    }
    const uint64_t e = *v;
    if (opt.update_ad) path[depth] = {entry_pa, slot, e, static_cast<uint8_t>(level), s2_perms};
    ++depth;

    const Decoded d = f.decode(e, level);
    if (d.type == EntryType::Fault) {
      fill_fault(fault, d.fault, opt.stage, level, va, entry_pa, e);
      return false;
    }
    perms = perms & d.perms;

    if (d.type == EntryType::Table) {
      // Levels strictly decrease, so a walk ends within top+1 reads even over hostile tables.
      if (d.next_level >= level || depth >= kMaxLevels) {
        fill_fault(fault, FaultKind::ReservedBit, opt.stage, level, va, entry_pa, e);
        return false;
      }
      if (d.next_level + 1u < level) {
        // AMD IOMMU 48882 2.2.3: the VA bits that would index the skipped levels must be zero.
        const unsigned lo = f.item_lg2sz(d.next_level) + f.num_items_lg2(d.next_level);
        const unsigned hi = f.item_lg2sz(level);  // exclusive
        if (hi > lo && bits(va, hi - 1, lo) != 0) {
          fill_fault(fault, FaultKind::SkippedBitsNonZero, opt.stage, level, va, entry_pa, e);
          return false;
        }
      }
      table = d.addr;
      level = d.next_level;
      continue;
    }

    // Leaf.
    perms = finalize_perms(f, perms, e, level);
    const uint64_t offset_mask = d.page_lg2 >= 64 ? ~uint64_t{0} : lg2_size(d.page_lg2) - 1;
    tr.oa = d.addr | (va & offset_mask);
    tr.leaf = e;
    tr.leaf_pa = entry_pa;
    tr.perms = perms;
    tr.page_lg2 = d.page_lg2;
    tr.level = static_cast<uint8_t>(level);

    const Perms need = req.needed();
    if (!perms.has(need)) {
      fill_fault(fault, FaultKind::Permission, opt.stage, level, va, entry_pa, e);
      fault.missing = need.without(perms.bits());
      return false;
    }

    if (opt.update_ad) {
      for (unsigned i = 0; i < depth; ++i) {
        const Step& s = path[i];
        const uint64_t nv = hw_update(f, s.value, s.level, i + 1 == depth, req);
        if (nv == s.value) continue;
        if constexpr (kNested) {
          // The update is a write by the walker to a stage-1 table page: stage 2 must allow it.
          if (!s.s2_perms.any(Perms::kPrivWrite)) {
            Fault s2f;
            fill_fault(s2f, FaultKind::Permission, 2, 0, s.ipa, 0, 0);
            s2f.missing = Perms(Perms::kPrivWrite);
            lift_s2_fault(fault, s2f, va, s.ipa, /*on_table=*/true, s.level);
            return false;
          }
        }
        const bool ok = store_entry(f, mem, s.pa, nv);
        log.writes.push({s.pa, nv, s.level, opt.stage, ok});
        if (!ok) {
          fill_fault(fault, FaultKind::BusError, opt.stage, s.level, va, s.pa, s.value);
          return false;
        }
      }
    }
    return true;
  }
}

}  // namespace detail

/// Walk one stage, appending reads/writes to `log` (lets a model keep one log across context
/// fetches and walks). The building block of walk() and of Stage2Walker.
template <PageTableFormat Fmt>
inline StageResult walk_stage(const Fmt& f, PhysMem& mem, const WalkStart& start, uint64_t va,
                              const AccessReq& req, const WalkOptions& opt, WalkLog& log) {
  StageResult r;
  detail::walk_stage_impl(f, mem, start, va, req, opt, r.tr, r.fault, log,
                          static_cast<detail::NoStage2*>(nullptr));
  return r;
}

/// Single-stage walk from `start` (the root, or an intermediate table a paging-structure cache
/// supplied).
template <PageTableFormat Fmt>
inline WalkResult walk(const Fmt& f, PhysMem& mem, const WalkStart& start, uint64_t va,
                       const AccessReq& req, const WalkOptions& opt = {}) {
  WalkResult r;
  detail::walk_stage_impl(f, mem, start, va, req, opt, r.tr, r.fault, r.log,
                          static_cast<detail::NoStage2*>(nullptr));
  return r;
}

/// Single-stage walk from the root table.
template <PageTableFormat Fmt>
inline WalkResult walk(const Fmt& f, PhysMem& mem, uint64_t root_table_pa, uint64_t va,
                       const AccessReq& req, const WalkOptions& opt = {}) {
  WalkStart start;
  start.table = root_table_pa;
  return walk(f, mem, start, va, req, opt);
}

/// The default stage-2 translator: a plain stage-2 walk from `root`.
template <PageTableFormat F2>
struct Stage2Walker {
  F2 fmt;
  PhysMem* mem;
  WalkStart root;
  WalkOptions opts{};

  Stage2Walker(const F2& f, PhysMem& m, uint64_t root_pa, WalkOptions o = {})
      : fmt(f), mem(&m), opts(o) {
    root.table = root_pa;
    opts.stage = 2;
  }
  Stage2Walker(const F2& f, PhysMem& m, const WalkStart& start, WalkOptions o = {})
      : fmt(f), mem(&m), root(start), opts(o) {
    opts.stage = 2;
  }

  StageResult operator()(uint64_t ipa, const AccessReq& req, WalkLog& log) const {
    return walk_stage(fmt, *mem, root, ipa, req, opts, log);
  }
};

/// Nested translation: every stage-1 table-entry address and the final stage-1 output are
/// translated by `s2` before use. The log holds every read in order; for 4+4 levels that is
/// 4 x (4 stage-2 + 1 stage-1) + 4 stage-2 = 24 reads. Stage-2 faults carry stage = 2, the IPA
/// being translated, and whether it was a stage-1 table fetch (with its stage-1 level).
template <PageTableFormat F1, Stage2Translator S2>
inline WalkResult walk_nested(const F1& s1, PhysMem& mem, const WalkStart& s1_start, uint64_t va,
                              const AccessReq& req, S2&& s2, const WalkOptions& s1_opts = {}) {
  using S2T = std::remove_reference_t<S2>;
  WalkResult r;
  if (!detail::walk_stage_impl(s1, mem, s1_start, va, req, s1_opts, r.s1, r.fault, r.log,
                               static_cast<S2T*>(&s2))) {
    return r;
  }
  const Translation& a = r.s1;
  const StageResult b = s2(a.oa, req, r.log);
  if (!b.ok()) {
    detail::lift_s2_fault(r.fault, b.fault, va, a.oa, /*on_table=*/false, 0);
    return r;
  }
  r.s2 = b.tr;
  r.tr = b.tr;
  r.tr.page_lg2 = a.page_lg2 < b.tr.page_lg2 ? a.page_lg2 : b.tr.page_lg2;
  r.tr.perms = a.perms & b.tr.perms;
  return r;
}

/// Nested translation with the default stage-2 walker from `s2_root_pa`.
template <PageTableFormat F1, PageTableFormat F2>
inline WalkResult walk_nested(const F1& s1, const F2& s2, PhysMem& mem, uint64_t s1_root_ipa,
                              uint64_t s2_root_pa, uint64_t va, const AccessReq& req,
                              const WalkOptions& s1_opts = {}, const WalkOptions& s2_opts = {}) {
  WalkStart start;
  start.table = s1_root_ipa;
  return walk_nested(s1, mem, start, va, req, Stage2Walker<F2>(s2, mem, s2_root_pa, s2_opts),
                     s1_opts);
}

}  // namespace isim::pt
