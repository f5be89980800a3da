// Member definitions of Builder<Fmt>. Include only from a .cpp that instantiates Builder for a
// format (builder_instances.cpp does it for the formats in this library).
#pragma once

#include <algorithm>
#include <array>

#include "base/bits.h"
#include "pagetable/builder.h"

namespace isim::pt {

template <PageTableFormat Fmt>
std::optional<Builder<Fmt>> Builder<Fmt>::create(const Fmt& fmt, PhysMem& mem, PhysAllocator& alloc,
                                                 const BuilderOptions& opts) {
  Builder b(fmt, mem, alloc, 0, opts);
  MapStatus err = MapStatus::Ok;
  const std::optional<uint64_t> root = b.alloc_table(fmt.top_level(), &err);
  if (!root) return std::nullopt;
  b.root_ = *root;
  return b;
}

template <PageTableFormat Fmt>
Builder<Fmt>::Builder(const Fmt& fmt, PhysMem& mem, PhysAllocator& alloc, uint64_t root_pa,
                      const BuilderOptions& opts)
    : fmt_(fmt),
      mem_(&mem),
      alloc_(&alloc),
      root_(root_pa),
      tables_(root_pa ? 1 : 0),
      opts_(opts) {}

template <PageTableFormat Fmt>
bool Builder<Fmt>::zero(uint64_t pa, uint64_t bytes) {
  static constexpr std::array<uint8_t, 4096> kZeros{};
  while (bytes > 0) {
    const uint64_t n = std::min<uint64_t>(bytes, kZeros.size());
    if (!mem_->write(pa, kZeros.data(), n)) return false;
    pa += n;
    bytes -= n;
  }
  return true;
}

template <PageTableFormat Fmt>
std::optional<uint64_t> Builder<Fmt>::alloc_table(unsigned level, MapStatus* err) {
  const uint64_t size = lg2_size(table_size_lg2(fmt_, level));
  const std::optional<uint64_t> pa = alloc_->alloc(size, lg2_size(table_align_lg2(fmt_, level)));
  if (!pa) {
    *err = MapStatus::NoTableMemory;
    return std::nullopt;
  }
  if (!zero(*pa, size)) {
    alloc_->free(*pa, size);
    *err = MapStatus::BusError;
    return std::nullopt;
  }
  ++tables_;
  return pa;
}

template <PageTableFormat Fmt>
void Builder<Fmt>::free_table(uint64_t pa, unsigned level) {
  alloc_->free(pa, lg2_size(table_size_lg2(fmt_, level)));
  --tables_;
}

template <PageTableFormat Fmt>
bool Builder<Fmt>::table_empty(uint64_t pa, unsigned level) const {
  const uint64_t n = lg2_size(fmt_.num_items_lg2(level));
  const unsigned esz = entry_lg2(fmt_);
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, pa + (i << esz));
    if (!v) return false;
    const Decoded d = fmt_.decode(*v, level);
    if (d.type != EntryType::Fault || d.fault != FaultKind::NotPresent) return false;
  }
  return true;
}

template <PageTableFormat Fmt>
typename Builder<Fmt>::Found Builder<Fmt>::locate(uint64_t va) const {
  Found f;
  f.va = va;
  unsigned level = fmt_.top_level();
  uint64_t table = root_;
  const unsigned esz = entry_lg2(fmt_);
  for (;;) {
    const uint64_t slot = table + (table_index(fmt_, va, level) << esz);
    f.path[f.hops++] = {table, slot, level};
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, slot);
    if (!v) {
      f.status = MapStatus::BusError;
      return f;
    }
    f.level = level;
    f.slot_pa = slot;
    f.entry = *v;
    f.d = fmt_.decode(*v, level);
    if (f.d.type == EntryType::Fault) {
      if (f.d.fault != FaultKind::NotPresent) f.status = MapStatus::BadTable;
      return f;
    }
    if (f.d.type == EntryType::Leaf) {
      f.leaf = true;
      return f;
    }
    if (f.d.next_level >= level || f.hops >= kMaxLevels) {
      f.status = MapStatus::BadTable;
      return f;
    }
    if (f.d.next_level + 1u < level) {
      const unsigned lo = fmt_.item_lg2sz(f.d.next_level) + fmt_.num_items_lg2(f.d.next_level);
      if (bits(va, fmt_.item_lg2sz(level) - 1, lo) != 0) return f;  // unreachable: a hole
    }
    table = f.d.addr;
    level = f.d.next_level;
  }
}

template <PageTableFormat Fmt>
MapStatus Builder<Fmt>::insert_intermediate(uint64_t slot_pa, unsigned level, const Decoded& skip) {
  // The skipping entry served only VAs whose skipped indices are zero, so the new table at
  // level-1 takes it over as its entry 0 (still skipping if more than one level remains).
  const unsigned mid = level - 1;
  MapStatus err = MapStatus::Ok;
  const std::optional<uint64_t> n = alloc_table(mid, &err);
  if (!n) return err;
  if (!store_entry(fmt_, *mem_, *n, fmt_.encode_table(skip.addr, mid, skip.next_level)) ||
      !store_entry(fmt_, *mem_, slot_pa, fmt_.encode_table(*n, level, mid))) {
    free_table(*n, mid);
    return MapStatus::BusError;
  }
  return MapStatus::Ok;
}

template <PageTableFormat Fmt>
MapStatus Builder<Fmt>::map(uint64_t va, uint64_t oa, uint64_t size, const MapAttrs& attrs) {
  if (!is_pow2(size)) return MapStatus::SizeNotSupported;
  const unsigned pg = log2_floor(size);
  if (!bit(fmt_.page_size_bitmap(), pg)) return MapStatus::SizeNotSupported;
  const std::optional<unsigned> target = leaf_level_for(fmt_, pg);
  if (!target) return MapStatus::SizeNotSupported;
  if (!is_aligned(va, pg) || !is_aligned(oa, pg)) return MapStatus::Misaligned;
  const uint64_t last = va + (size - 1);
  if (last < va || check_input(fmt_, va) != FaultKind::None ||
      check_input(fmt_, last) != FaultKind::None) {
    return MapStatus::VaOutOfRange;
  }
  const uint64_t oa_last = oa + (size - 1);
  const unsigned oa_w = fmt_.oa_lg2();
  if (oa_last < oa || (oa_w < 64 && (oa_last >> oa_w) != 0)) return MapStatus::OaOutOfRange;
  if (!fmt_.encode_leaf(oa, *target, pg, attrs)) return MapStatus::AttrsNotSupported;

  const unsigned esz = entry_lg2(fmt_);
  const bool skip = opts_.level_skip && supports_level_skip(fmt_);
  unsigned level = fmt_.top_level();
  uint64_t table = root_;
  while (level > *target) {
    const uint64_t slot = table + (table_index(fmt_, va, level) << esz);
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, slot);
    if (!v) return MapStatus::BusError;
    const Decoded d = fmt_.decode(*v, level);
    if (d.type == EntryType::Fault) {
      if (d.fault != FaultKind::NotPresent) return MapStatus::BadTable;
      unsigned next = level - 1;
      while (skip && next > *target && table_index(fmt_, va, next) == 0) --next;
      MapStatus err = MapStatus::Ok;
      const std::optional<uint64_t> t = alloc_table(next, &err);
      if (!t) return err;
      if (!store_entry(fmt_, *mem_, slot, fmt_.encode_table(*t, level, next))) {
        free_table(*t, next);
        return MapStatus::BusError;
      }
      table = *t;
      level = next;
      continue;
    }
    if (d.type == EntryType::Leaf) return MapStatus::AlreadyMapped;
    if (d.next_level >= level) return MapStatus::BadTable;
    if (d.next_level + 1u < level) {
      const unsigned lo = fmt_.item_lg2sz(d.next_level) + fmt_.num_items_lg2(d.next_level);
      if (d.next_level < *target || bits(va, fmt_.item_lg2sz(level) - 1, lo) != 0) {
        const MapStatus s = insert_intermediate(slot, level, d);
        if (s != MapStatus::Ok) return s;
        continue;  // follow the slot again, now one level at a time
      }
    }
    table = d.addr;
    level = d.next_level;
  }

  const unsigned isz = fmt_.item_lg2sz(level);
  const uint64_t count = lg2_size(pg - isz);
  const uint64_t first = table + (table_index(fmt_, va, level) << esz);
  for (uint64_t i = 0; i < count; ++i) {
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, first + (i << esz));
    if (!v) return MapStatus::BusError;
    const Decoded d = fmt_.decode(*v, level);
    if (d.type != EntryType::Fault) return MapStatus::AlreadyMapped;
    if (d.fault != FaultKind::NotPresent) return MapStatus::BadTable;
  }
  for (uint64_t i = 0; i < count; ++i) {
    const std::optional<uint64_t> e = fmt_.encode_leaf(oa + (i << isz), level, pg, attrs);
    if (!e) return MapStatus::AttrsNotSupported;
    if (!store_entry(fmt_, *mem_, first + (i << esz), *e)) return MapStatus::BusError;
  }
  return MapStatus::Ok;
}

template <PageTableFormat Fmt>
MapStatus Builder<Fmt>::map_range(uint64_t va, uint64_t oa, uint64_t len, const MapAttrs& attrs) {
  const uint64_t sizes = fmt_.page_size_bitmap();
  uint64_t done = 0;
  while (done < len) {
    const uint64_t cva = va + done;
    const uint64_t coa = oa + done;
    const uint64_t rem = len - done;
    MapStatus s = MapStatus::Misaligned;
    for (unsigned pg = 64; pg-- > 0;) {
      if (!bit(sizes, pg) || lg2_size(pg) > rem || !is_aligned(cva, pg) || !is_aligned(coa, pg)) {
        continue;
      }
      s = map(cva, coa, lg2_size(pg), attrs);
      if (s == MapStatus::Ok) done += lg2_size(pg);
      break;
    }
    if (s != MapStatus::Ok) {
      if (done > 0) unmap(va, done);
      return s;
    }
  }
  return MapStatus::Ok;
}

template <PageTableFormat Fmt>
MapStatus Builder<Fmt>::collect(uint64_t va, uint64_t len, std::vector<Found>* leaves) const {
  if (len == 0) return MapStatus::Ok;
  const unsigned g = fmt_.item_lg2sz(0);
  if (!is_aligned(va, g) || !is_aligned(len, g)) return MapStatus::Misaligned;
  const uint64_t last = va + (len - 1);
  if (last < va) return MapStatus::VaOutOfRange;
  uint64_t cur = va;
  for (;;) {
    if (check_input(fmt_, cur) != FaultKind::None) return MapStatus::VaOutOfRange;
    const Found f = locate(cur);
    if (f.status != MapStatus::Ok) return f.status;
    uint64_t span_last;
    if (f.leaf) {
      const uint64_t base = leaf_va(f);
      span_last = base + (lg2_size(f.d.page_lg2) - 1);
      if (base < va || span_last > last) return MapStatus::PartialLeaf;
      leaves->push_back(f);
    } else {
      const unsigned s = fmt_.item_lg2sz(f.level);
      span_last = s >= 64 ? ~uint64_t{0} : align_down(cur, s) + (lg2_size(s) - 1);
    }
    if (span_last >= last) return MapStatus::Ok;
    cur = span_last + 1;
  }
}

template <PageTableFormat Fmt>
void Builder<Fmt>::prune(const Found& f) {
  for (unsigned i = f.hops - 1; i >= 1; --i) {
    const Hop& h = f.path[i];
    const Hop& parent = f.path[i - 1];
    // Another leaf's pruning may already have freed this table: check the parent still
    // points here before touching it.
    const std::optional<uint64_t> pv = load_entry(fmt_, *mem_, parent.slot_pa);
    if (!pv) return;
    const Decoded pd = fmt_.decode(*pv, parent.level);
    if (pd.type != EntryType::Table || pd.addr != h.table) return;
    if (!table_empty(h.table, h.level)) return;
    if (!store_entry(fmt_, *mem_, parent.slot_pa, 0)) return;
    free_table(h.table, h.level);
  }
}

template <PageTableFormat Fmt>
uint64_t Builder<Fmt>::leaf_first_slot(const Found& f) const {
  const uint64_t table = f.path[f.hops - 1].table;
  return table + (table_index(fmt_, leaf_va(f), f.level) << entry_lg2(fmt_));
}

template <PageTableFormat Fmt>
UnmapResult Builder<Fmt>::unmap(uint64_t va, uint64_t len) {
  UnmapResult r;
  std::vector<Found> leaves;
  r.status = collect(va, len, &leaves);
  if (!r.ok()) return r;
  const unsigned esz = entry_lg2(fmt_);
  for (const Found& f : leaves) {
    const uint64_t first = leaf_first_slot(f);
    const uint64_t count = leaf_count(f);
    for (uint64_t i = 0; i < count; ++i) {
      if (!store_entry(fmt_, *mem_, first + (i << esz), 0)) {
        r.status = MapStatus::BusError;
        return r;
      }
    }
    r.removed.push_back(
        {leaf_va(f), f.d.addr, f.d.page_lg2, static_cast<uint8_t>(f.level), f.entry});
    r.bytes += lg2_size(f.d.page_lg2);
  }
  if (opts_.free_empty_tables) {
    for (auto it = leaves.rbegin(); it != leaves.rend(); ++it) prune(*it);
  }
  return r;
}

template <PageTableFormat Fmt>
MapStatus Builder<Fmt>::protect(uint64_t va, uint64_t len, const MapAttrs& attrs) {
  std::vector<Found> leaves;
  const MapStatus s = collect(va, len, &leaves);
  if (s != MapStatus::Ok) return s;
  for (const Found& f : leaves) {
    if (!fmt_.encode_leaf(f.d.addr, f.level, f.d.page_lg2, attrs)) {
      return MapStatus::AttrsNotSupported;
    }
  }
  const unsigned esz = entry_lg2(fmt_);
  for (const Found& f : leaves) {
    const uint64_t first = leaf_first_slot(f);
    const uint64_t count = leaf_count(f);
    const unsigned isz = fmt_.item_lg2sz(f.level);
    for (uint64_t i = 0; i < count; ++i) {
      const std::optional<uint64_t> e =
          fmt_.encode_leaf(f.d.addr + (i << isz), f.level, f.d.page_lg2, attrs);
      if (!e) return MapStatus::AttrsNotSupported;
      if (!store_entry(fmt_, *mem_, first + (i << esz), *e)) return MapStatus::BusError;
    }
  }
  return MapStatus::Ok;
}

template <PageTableFormat Fmt>
void Builder<Fmt>::list_subtree(uint64_t table, unsigned level, uint64_t va_base,
                                std::vector<Mapping>* out) const {
  const uint64_t n = lg2_size(fmt_.num_items_lg2(level));
  const unsigned esz = entry_lg2(fmt_);
  const unsigned isz = fmt_.item_lg2sz(level);
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, table + (i << esz));
    if (!v) continue;
    const Decoded d = fmt_.decode(*v, level);
    uint64_t va = va_base + (isz >= 64 ? 0 : (i << isz));
    if (d.type == EntryType::Table && d.next_level < level) {
      list_subtree(d.addr, d.next_level, va, out);
    } else if (d.type == EntryType::Leaf) {
      const uint64_t replicas = lg2_size(d.page_lg2 - isz);
      if ((i & (replicas - 1)) != 0) continue;  // replicated entries of one page count once
      if (check_input(fmt_, va) != FaultKind::None) {
        // Formats with sign-extended VAs (x86 canonical form): the top half maps the top.
        const uint64_t ext = sign_extend(va, va_lg2(fmt_) - 1);
        if (check_input(fmt_, ext) == FaultKind::None) va = ext;
      }
      out->push_back({va, d.addr, d.page_lg2, static_cast<uint8_t>(level), *v});
    }
  }
}

template <PageTableFormat Fmt>
std::vector<Mapping> Builder<Fmt>::mappings() const {
  std::vector<Mapping> out;
  if (tables_ != 0) list_subtree(root_, fmt_.top_level(), 0, &out);
  std::sort(out.begin(), out.end(), [](const Mapping& a, const Mapping& b) { return a.va < b.va; });
  return out;
}

template <PageTableFormat Fmt>
void Builder<Fmt>::free_subtree(uint64_t table, unsigned level) {
  const uint64_t n = lg2_size(fmt_.num_items_lg2(level));
  const unsigned esz = entry_lg2(fmt_);
  for (uint64_t i = 0; i < n; ++i) {
    const std::optional<uint64_t> v = load_entry(fmt_, *mem_, table + (i << esz));
    if (!v) continue;
    const Decoded d = fmt_.decode(*v, level);
    if (d.type == EntryType::Table && d.next_level < level) free_subtree(d.addr, d.next_level);
  }
  free_table(table, level);
}

template <PageTableFormat Fmt>
void Builder<Fmt>::destroy() {
  if (tables_ == 0) return;
  free_subtree(root_, fmt_.top_level());
  root_ = 0;
}

}  // namespace isim::pt
