#include "models/tce/tce_table.h"

#include <algorithm>
#include <vector>

namespace isim::tce {

namespace {

bool zero_fill(PhysMem& mem, uint64_t pa, uint64_t bytes) {
  static const std::vector<uint8_t> kZero(4096, 0);
  for (uint64_t off = 0; off < bytes; off += kZero.size()) {
    const uint64_t n = std::min<uint64_t>(kZero.size(), bytes - off);
    if (!mem.write(pa + off, kZero.data(), n)) return false;
  }
  return true;
}

}  // namespace

TceTable::TceTable(const pt::TceFormat& fmt, PhysMem& mem, PhysAllocator& alloc, uint64_t root)
    : fmt_(fmt), mem_(&mem), alloc_(&alloc), root_(root), tables_{root} {}

TceTable::TceTable(TceTable&& o) noexcept
    : fmt_(o.fmt_), mem_(o.mem_), alloc_(o.alloc_), root_(o.root_), tables_(std::move(o.tables_)) {
  o.tables_.clear();
}

TceTable& TceTable::operator=(TceTable&& o) noexcept {
  if (this != &o) {
    release();
    fmt_ = o.fmt_;
    mem_ = o.mem_;
    alloc_ = o.alloc_;
    root_ = o.root_;
    tables_ = std::move(o.tables_);
    o.tables_.clear();
  }
  return *this;
}

TceTable::~TceTable() {
  release();
}

void TceTable::release() {
  for (uint64_t pa : tables_) alloc_->free(pa, table_bytes());
  tables_.clear();
}

uint64_t TceTable::table_bytes() const {
  return lg2_size(fmt_.num_items_lg2(0) + 3);
}
uint64_t TceTable::table_align() const {
  return lg2_size(fmt_.table_align_lg2(0));
}
uint64_t TceTable::bytes() const {
  return tables_.size() * table_bytes();
}

std::optional<uint64_t> TceTable::alloc_table() {
  auto pa = alloc_->alloc(table_bytes(), table_align());
  if (!pa) return std::nullopt;
  if (!zero_fill(*mem_, *pa, table_bytes())) {
    alloc_->free(*pa, table_bytes());
    return std::nullopt;
  }
  return pa;
}

std::optional<TceTable> TceTable::create(const pt::TceFormat& fmt, PhysMem& mem,
                                         PhysAllocator& alloc) {
  TceTable t(fmt, mem, alloc, 0);
  t.tables_.clear();
  auto root = t.alloc_table();
  if (!root) return std::nullopt;
  t.root_ = *root;
  t.tables_.push_back(*root);
  return t;
}

std::optional<uint64_t> TceTable::leaf_pa(uint64_t index, TceTable* grow, bool* missing) const {
  *missing = false;
  const unsigned bits = fmt_.num_items_lg2(0);
  uint64_t table = root_;
  // Levels above 0 hold indirect TCEs (IODA3 multi-level TCE tables, our levels in tce.h).
  for (unsigned level = fmt_.top_level(); level > 0; --level) {
    const uint64_t slot = table + (((index >> (bits * level)) & (lg2_size(bits) - 1)) << 3);
    auto e = fmt_.load_entry(*mem_, slot);
    if (!e) return std::nullopt;
    if ((*e & (pt::TceFormat::kRead | pt::TceFormat::kWrite)) == 0) {
      if (!grow) {
        *missing = true;
        return std::nullopt;
      }
      auto next = grow->alloc_table();
      if (!next) return std::nullopt;
      grow->tables_.push_back(*next);
      if (!fmt_.store_entry(*mem_, slot, fmt_.encode_table(*next, level, level - 1)))
        return std::nullopt;
      e = fmt_.encode_table(*next, level, level - 1);
    }
    table = *e & mask(63, pt::TceFormat::kTableAlignLg2);
  }
  return table + ((index & (lg2_size(bits) - 1)) << 3);
}

std::optional<uint64_t> TceTable::read(uint64_t index) const {
  if (index >= entries()) return std::nullopt;
  bool missing = false;
  auto pa = leaf_pa(index, nullptr, &missing);
  if (!pa) return missing ? std::optional<uint64_t>(0) : std::nullopt;
  return fmt_.load_entry(*mem_, *pa);
}

bool TceTable::write(uint64_t index, uint64_t tce) {
  if (index >= entries()) return false;
  bool missing = false;
  auto pa = leaf_pa(index, tce != 0 ? this : nullptr, &missing);
  if (!pa) return missing;  // clearing an entry whose table does not exist: nothing to do
  return fmt_.store_entry(*mem_, *pa, tce);
}

}  // namespace isim::tce
