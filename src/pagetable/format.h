// The PageTableFormat concept: everything the one walker and the one builder need to know about
// a page-table format, plus adapters that supply defaults for the optional hooks.
//
// A format is a small value type holding its configuration (levels, address widths, enabled
// page sizes, feature bits), validated when it is constructed. See README.md, "Adding a format".
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>

#include "base/bits.h"
#include "hw/phys_mem.h"
#include "pagetable/pt_types.h"
#include "pagetable/walk_types.h"

namespace isim::pt {

enum class EntryType : uint8_t { Table, Leaf, Fault };

/// One entry decoded at one level.
struct Decoded {
  EntryType type = EntryType::Fault;
  FaultKind fault = FaultKind::NotPresent;  ///< type == Fault
  uint8_t next_level = 0;  ///< Table: level of the table pointed to (< level; AMD may skip)
  uint8_t page_lg2 = 0;    ///< Leaf: size of the page/block mapped
  uint64_t addr = 0;       ///< Table: next table address; Leaf: page base OA (page-aligned)
  Perms perms;             ///< rights this entry allows; the walker ANDs them along the walk

  static constexpr Decoded make_table(uint64_t table_pa, unsigned next_level, Perms p) {
    return {EntryType::Table, FaultKind::None, static_cast<uint8_t>(next_level), 0, table_pa, p};
  }
  static constexpr Decoded make_leaf(uint64_t page_oa, unsigned page_lg2, Perms p) {
    return {EntryType::Leaf, FaultKind::None, 0, static_cast<uint8_t>(page_lg2), page_oa, p};
  }
  static constexpr Decoded make_fault(FaultKind k) {
    return {EntryType::Fault, k, 0, 0, 0, Perms()};
  }
};

// clang-format off
/// Required members. `level` is always <= top_level().
template <class F>
concept PageTableFormat = std::copy_constructible<F> &&
    requires(const F& f, uint64_t entry, unsigned level, uint64_t addr, const MapAttrs& attrs) {
  /// Short name for logs and the registry ("x86_64", "vtd_ss", "amd_v1", ...).
  { F::kName } -> std::convertible_to<const char*>;
  /// Level of the root table for this configuration.
  { f.top_level() } -> std::convertible_to<unsigned>;
  /// log2 of the VA span one entry at `level` covers (12 + 9 * level for 4 KiB x86 tables).
  { f.item_lg2sz(level) } -> std::convertible_to<unsigned>;
  /// log2 of the number of entries in a table at `level` (the top table may have fewer, or more
  /// when several tables are concatenated, as Arm stage 2 allows).
  { f.num_items_lg2(level) } -> std::convertible_to<unsigned>;
  /// Decode an entry (reserved-bit checks, leaf/table/invalid, OA, size, rights).
  { f.decode(entry, level) } -> std::same_as<Decoded>;
  /// Whether a leaf may be written at `level` in this configuration (builder side).
  { f.can_have_leaf(level) } -> std::convertible_to<bool>;
  /// Bit k set: the builder can map 2^k-byte pages in this configuration.
  { f.page_size_bitmap() } -> std::convertible_to<uint64_t>;
  /// Output addresses are below 2^oa_lg2().
  { f.oa_lg2() } -> std::convertible_to<unsigned>;
  /// Entry at `level` pointing to a table at `next_level` (next_level < level - 1 only when
  /// supports_level_skip()).
  { f.encode_table(addr, level, level) } -> std::convertible_to<uint64_t>;
  /// Leaf at `level` mapping the granule at `addr` of a 2^page_lg2 page; nullopt when `attrs`
  /// cannot be expressed. For a page larger than item_lg2sz(level) the builder writes one entry
  /// per item, each with the OA of its own item (formats that replicate ignore the low bits).
  { f.encode_leaf(addr, level, level, attrs) } -> std::same_as<std::optional<uint64_t>>;
};
// clang-format on

// ---- Optional hooks. A format defines the member to override the default. ----------------

/// Entry size; default 8 bytes.
template <PageTableFormat F>
constexpr unsigned entry_lg2(const F& f) {
  if constexpr (requires { f.entry_lg2(); }) {
    return f.entry_lg2();
  } else {
    return 3;
  }
}

/// Entry load; default little-endian 64-bit (TCE overrides with big-endian).
template <PageTableFormat F>
inline std::optional<uint64_t> load_entry(const F& f, PhysMem& mem, uint64_t pa) {
  if constexpr (requires { f.load_entry(mem, pa); }) {
    return f.load_entry(mem, pa);
  } else {
    return mem.read_le64(pa);
  }
}

/// Entry store; default little-endian 64-bit.
template <PageTableFormat F>
inline bool store_entry(const F& f, PhysMem& mem, uint64_t pa, uint64_t v) {
  if constexpr (requires { f.store_entry(mem, pa, v); }) {
    return f.store_entry(mem, pa, v);
  } else {
    return mem.write_le64(pa, v);
  }
}

/// Input addresses the top table can index: 2^va_lg2 (capped at 64).
template <PageTableFormat F>
constexpr unsigned va_lg2(const F& f) {
  const unsigned top = f.top_level();
  const unsigned v = f.item_lg2sz(top) + f.num_items_lg2(top);
  return v > 64 ? 64 : v;
}

/// Input-address check; default: va must be below 2^va_lg2, else AddressSize. x86 checks
/// canonical form; Arm reports a translation fault instead.
template <PageTableFormat F>
constexpr FaultKind check_input(const F& f, uint64_t va) {
  if constexpr (requires { f.check_input(va); }) {
    return f.check_input(va);
  } else {
    const unsigned w = va_lg2(f);
    return (w >= 64 || (va >> w) == 0) ? FaultKind::None : FaultKind::AddressSize;
  }
}

/// Final adjustment of the combined rights at the leaf (x86 SMEP, Arm WXN/PAN); default none.
template <PageTableFormat F>
constexpr Perms finalize_perms(const F& f, Perms p, uint64_t leaf, unsigned level) {
  if constexpr (requires { f.finalize_perms(p, leaf, level); }) {
    return f.finalize_perms(p, leaf, level);
  } else {
    return p;
  }
}

/// Hardware accessed/dirty update of one walked entry; returns the new value (the same value
/// when nothing changes). Default: the format has no hardware-updated flags.
template <PageTableFormat F>
constexpr uint64_t hw_update(const F& f, uint64_t entry, unsigned level, bool is_leaf,
                             const AccessReq& req) {
  if constexpr (requires { f.hw_update(entry, level, is_leaf, req); }) {
    return f.hw_update(entry, level, is_leaf, req);
  } else {
    return entry;
  }
}

/// Whether table entries may skip levels (AMD-Vi v1 NextLevel); default no.
template <PageTableFormat F>
constexpr bool supports_level_skip(const F& f) {
  if constexpr (requires { f.supports_level_skip(); }) {
    return f.supports_level_skip();
  } else {
    return false;
  }
}

/// log2 bytes of a table at `level`.
template <PageTableFormat F>
constexpr unsigned table_size_lg2(const F& f, unsigned level) {
  return f.num_items_lg2(level) + entry_lg2(f);
}

/// Required alignment of a table at `level`; default its own size (Arm concatenated tables and
/// small top tables are aligned to their size; x86/VT-d/AMD tables are 4 KiB pages).
template <PageTableFormat F>
constexpr unsigned table_align_lg2(const F& f, unsigned level) {
  if constexpr (requires { f.table_align_lg2(level); }) {
    return f.table_align_lg2(level);
  } else {
    return table_size_lg2(f, level);
  }
}

// ---- Derived geometry ------------------------------------------------------------------------

/// Index of `va` in a table at `level`. Bits above the table's span are ignored here; the input
/// check and the level-skip check decide whether they are allowed.
template <PageTableFormat F>
constexpr uint64_t table_index(const F& f, uint64_t va, unsigned level) {
  const unsigned shift = f.item_lg2sz(level);
  const unsigned n = f.num_items_lg2(level);
  return shift >= 64 ? 0 : (va >> shift) & ((uint64_t{1} << n) - 1);
}

/// The level whose entries map a 2^page_lg2 page (one entry, or 2^(page_lg2 - item_lg2sz)
/// replicated entries), or nullopt when no level of this configuration can.
template <PageTableFormat F>
constexpr std::optional<unsigned> leaf_level_for(const F& f, unsigned page_lg2) {
  const unsigned top = f.top_level();
  for (unsigned l = 0; l <= top; ++l) {
    const unsigned lo = f.item_lg2sz(l);
    const unsigned hi = lo + f.num_items_lg2(l);  // exclusive
    if (page_lg2 >= lo && page_lg2 < hi && f.can_have_leaf(l)) return l;
  }
  return std::nullopt;
}

}  // namespace isim::pt
