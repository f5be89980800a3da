#include "pasid/vtd_pasid_table.h"

#include <algorithm>
#include <vector>

namespace isim::pasid {

namespace {
constexpr uint64_t kPage = 4096;
// VT-d 3.4.3: a PASID-table page indexes PASID[5:0]; the directory indexes the rest.
constexpr unsigned kTableIndexBits = 6;
// VT-d 9.4: PDTS encodes a directory of 2^(PDTS + 7) entries.
constexpr unsigned kPdtsBase = 7;

bool zero(PhysMem& mem, uint64_t pa, uint64_t len) {
  const std::vector<uint8_t> z(len, 0);
  return mem.write(pa, z.data(), z.size());
}
}  // namespace

VtdPasidTable::VtdPasidTable(PhysMem& mem, PhysAllocator& alloc, const VtdTableOptions& o)
    : mem_(&mem), alloc_(&alloc), o_(o) {
  const unsigned dir_bits = o.pasid_bits > kTableIndexBits ? o.pasid_bits - kTableIndexBits : 0;
  pdts_ = dir_bits > kPdtsBase ? dir_bits - kPdtsBase : 0;
  dir_bytes_ =
      std::max<uint64_t>(kPage, (uint64_t{1} << (pdts_ + kPdtsBase)) * vtd::kPasidDirEntryBytes);
  auto pa = alloc.alloc(dir_bytes_, kPage);  // PASIDDIRPTR is bits HAW-1:12
  if (pa && zero(mem, *pa, dir_bytes_)) dir_ = *pa;
}

VtdPasidTable::~VtdPasidTable() {
  for (const auto& [idx, leaf] : leaves_) alloc_->free(leaf.first, kPage);
  if (dir_) alloc_->free(dir_, dir_bytes_);
}

uint64_t VtdPasidTable::table_bytes() const {
  return (dir_ ? dir_bytes_ : 0) + leaves_.size() * kPage;
}

TableError VtdPasidTable::set(uint32_t pasid, const PasidBinding& b) {
  if (!dir_) return TableError::no_memory;
  if (o_.pasid_bits < 32 && pasid >> o_.pasid_bits) return TableError::out_of_range;
  const uint32_t di = vtd::PasidEntry::dir_index(pasid);
  auto leaf = leaves_.find(di);
  if (leaf == leaves_.end()) {
    auto t = alloc_->alloc(kPage, kPage);
    if (!t) return TableError::no_memory;
    if (!zero(*mem_, *t, kPage)) return TableError::bus_error;
    vtd::PasidDirEntry de;
    de.present = true;
    de.table = *t;
    if (!mem_->write_le64(dir_ + uint64_t{di} * vtd::kPasidDirEntryBytes, de.encode()))
      return TableError::bus_error;
    leaf = leaves_.emplace(di, std::make_pair(*t, 0u)).first;
  }
  const uint64_t pa =
      leaf->second.first + uint64_t{vtd::PasidEntry::table_index(pasid)} * vtd::kPasidEntryBytes;
  auto old = mem_->read_le64(pa);
  if (!old) return TableError::bus_error;
  vtd::PasidEntry e = o_.templ;
  e.present = true;
  e.flptptr = b.pt_root;
  e.did = b.tag;
  const vtd::Qw8 q = e.encode();
  if (!mem_->write(pa, q.data(), vtd::kPasidEntryBytes)) return TableError::bus_error;
  if (!bit(*old, 0)) {
    ++leaf->second.second;
    ++entries_;
  }
  return TableError::none;
}

TableError VtdPasidTable::clear(uint32_t pasid) {
  if (o_.pasid_bits < 32 && pasid >> o_.pasid_bits) return TableError::out_of_range;
  const uint32_t di = vtd::PasidEntry::dir_index(pasid);
  auto leaf = leaves_.find(di);
  if (leaf == leaves_.end()) return TableError::not_present;
  const uint64_t pa =
      leaf->second.first + uint64_t{vtd::PasidEntry::table_index(pasid)} * vtd::kPasidEntryBytes;
  auto old = mem_->read_le64(pa);
  if (!old) return TableError::bus_error;
  if (!bit(*old, 0)) return TableError::not_present;
  if (!zero(*mem_, pa, vtd::kPasidEntryBytes)) return TableError::bus_error;
  --entries_;
  if (--leaf->second.second == 0) {
    // The directory entry goes before the page is reused (the caller flushes the PASID cache).
    if (!mem_->write_le64(dir_ + uint64_t{di} * vtd::kPasidDirEntryBytes, 0))
      return TableError::bus_error;
    alloc_->free(leaf->second.first, kPage);
    leaves_.erase(leaf);
  }
  return TableError::none;
}

}  // namespace isim::pasid
