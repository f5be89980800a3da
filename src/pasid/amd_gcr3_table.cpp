#include "pasid/amd_gcr3_table.h"

#include <algorithm>
#include <vector>

namespace isim::pasid {

namespace {
constexpr uint64_t kPage = 4096;

bool zero(PhysMem& mem, uint64_t pa, uint64_t len) {
  const std::vector<uint8_t> z(len, 0);
  return mem.write(pa, z.data(), z.size());
}
}  // namespace

AmdGcr3Table::AmdGcr3Table(PhysMem& mem, PhysAllocator& alloc, const AmdTableOptions& o)
    : mem_(&mem), alloc_(&alloc), o_(o) {
  o_.levels = std::clamp(o.levels, 1u, 2u);
  auto pa = alloc.alloc(kPage, kPage);  // 2.2.2.1: the GCR3 table root is 4 KiB aligned
  if (pa && zero(mem, *pa, kPage)) root_ = *pa;
}

AmdGcr3Table::~AmdGcr3Table() {
  for (const auto& [idx, leaf] : leaves_) alloc_->free(leaf.first, kPage);
  if (root_) alloc_->free(root_, kPage);
}

unsigned AmdGcr3Table::pasid_bits() const {
  return std::min(o_.pasid_bits, amdvi::gcr3_pasid_bits(o_.levels));
}

uint64_t AmdGcr3Table::table_bytes() const {
  return (root_ ? kPage : 0) + leaves_.size() * kPage;
}

uint64_t AmdGcr3Table::slot(uint32_t pasid, bool create, TableError* err) {
  *err = TableError::none;
  if (!root_) {
    *err = TableError::no_memory;
    return 0;
  }
  if (pasid >> pasid_bits()) {
    *err = TableError::out_of_range;
    return 0;
  }
  uint64_t table = root_;
  if (o_.levels == 2) {
    const uint32_t l1 = amdvi::gcr3_index(pasid, 1);
    auto leaf = leaves_.find(l1);
    if (leaf == leaves_.end()) {
      if (!create) {
        *err = TableError::not_present;
        return 0;
      }
      auto t = alloc_->alloc(kPage, kPage);
      if (!t) {
        *err = TableError::no_memory;
        return 0;
      }
      amdvi::Gcr3Entry e{true, *t};
      if (!zero(*mem_, *t, kPage) ||
          !mem_->write_le64(root_ + uint64_t{l1} * amdvi::kGcr3EntryBytes, e.encode())) {
        *err = TableError::bus_error;
        return 0;
      }
      leaf = leaves_.emplace(l1, std::make_pair(*t, 0u)).first;
    }
    table = leaf->second.first;
  }
  return table + uint64_t{amdvi::gcr3_index(pasid, 0)} * amdvi::kGcr3EntryBytes;
}

TableError AmdGcr3Table::set(uint32_t pasid, const PasidBinding& b) {
  TableError err;
  const uint64_t pa = slot(pasid, true, &err);
  if (!pa) return err;
  auto old = mem_->read_le64(pa);
  if (!old) return TableError::bus_error;
  if (!mem_->write_le64(pa, amdvi::Gcr3Entry{true, b.pt_root}.encode()))
    return TableError::bus_error;
  if (!amdvi::Gcr3Entry::decode(*old).valid) {
    ++entries_;
    if (o_.levels == 2) ++leaves_.at(amdvi::gcr3_index(pasid, 1)).second;
  }
  return TableError::none;
}

TableError AmdGcr3Table::clear(uint32_t pasid) {
  TableError err;
  const uint64_t pa = slot(pasid, false, &err);
  if (!pa) return err;
  auto old = mem_->read_le64(pa);
  if (!old) return TableError::bus_error;
  if (!amdvi::Gcr3Entry::decode(*old).valid) return TableError::not_present;
  if (!mem_->write_le64(pa, 0)) return TableError::bus_error;
  --entries_;
  if (o_.levels == 1) return TableError::none;
  const uint32_t l1 = amdvi::gcr3_index(pasid, 1);
  auto leaf = leaves_.find(l1);
  if (--leaf->second.second == 0) {
    if (!mem_->write_le64(root_ + uint64_t{l1} * amdvi::kGcr3EntryBytes, 0))
      return TableError::bus_error;
    alloc_->free(leaf->second.first, kPage);
    leaves_.erase(leaf);
  }
  return TableError::none;
}

}  // namespace isim::pasid
