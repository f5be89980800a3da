#include "pasid/smmu_cd_table.h"

#include <algorithm>
#include <vector>

namespace isim::pasid {

namespace {
constexpr unsigned kCdLg2 = 6;    // 5.4: 64-byte CDs
constexpr unsigned kL1CdLg2 = 3;  // 5.3: 8-byte L1CDs
constexpr unsigned kSplit4K = 6;
constexpr unsigned kSplit64K = 10;
// 5.2: S1ContextPtr holds address bits 55:6, so a table is at least 64-byte aligned.
constexpr uint64_t kMinAlign = 64;

bool zero(PhysMem& mem, uint64_t pa, uint64_t len) {
  const std::vector<uint8_t> z(len, 0);
  return mem.write(pa, z.data(), z.size());
}
}  // namespace

unsigned SmmuCdTable::split() const {
  return o_.fmt == smmuv3::S1Fmt::k2Level4K ? kSplit4K : kSplit64K;
}

SmmuCdTable::SmmuCdTable(PhysMem& mem, PhysAllocator& alloc, const SmmuTableOptions& o)
    : mem_(&mem), alloc_(&alloc), o_(o) {
  if (linear()) {
    root_bytes_ = uint64_t{1} << (o.ssid_bits + kCdLg2);
  } else {
    const unsigned l1_bits = o.ssid_bits > split() ? o.ssid_bits - split() : 0;
    root_bytes_ = uint64_t{1} << (l1_bits + kL1CdLg2);
  }
  // Tables are aligned to their size (Linux allocates them as naturally aligned DMA memory).
  auto pa = alloc.alloc(root_bytes_, std::max(root_bytes_, kMinAlign));
  if (pa && zero(mem, *pa, root_bytes_)) root_ = *pa;
}

SmmuCdTable::~SmmuCdTable() {
  const uint64_t leaf_bytes = uint64_t{1} << (split() + kCdLg2);
  for (const auto& [idx, leaf] : leaves_) alloc_->free(leaf.first, leaf_bytes);
  if (root_) alloc_->free(root_, root_bytes_);
}

uint64_t SmmuCdTable::table_bytes() const {
  return (root_ ? root_bytes_ : 0) + leaves_.size() * (uint64_t{1} << (split() + kCdLg2));
}

void SmmuCdTable::describe(smmuv3::Ste& ste) const {
  ste.s1_context_ptr = root_;
  ste.s1fmt = static_cast<uint8_t>(o_.fmt);
  ste.s1cdmax = static_cast<uint8_t>(o_.ssid_bits);
}

uint64_t SmmuCdTable::slot(uint32_t ssid, bool create, TableError* err) {
  *err = TableError::none;
  if (!root_) {
    *err = TableError::no_memory;
    return 0;
  }
  if (o_.ssid_bits < 32 && ssid >> o_.ssid_bits) {
    *err = TableError::out_of_range;
    return 0;
  }
  if (linear()) return root_ + (uint64_t{ssid} << kCdLg2);
  const uint32_t l1 = ssid >> split();
  auto leaf = leaves_.find(l1);
  if (leaf == leaves_.end()) {
    if (!create) {
      *err = TableError::not_present;
      return 0;
    }
    const uint64_t bytes = uint64_t{1} << (split() + kCdLg2);
    auto t = alloc_->alloc(bytes, bytes);
    if (!t) {
      *err = TableError::no_memory;
      return 0;
    }
    // 5.3: L1CD.V bit 0, L2Ptr bits 55:12.
    if (!zero(*mem_, *t, bytes) ||
        !mem_->write_le64(root_ + (uint64_t{l1} << kL1CdLg2),
                          (*t & smmuv3::l1cd::kL2Ptr) | (uint64_t{1} << smmuv3::l1cd::V))) {
      *err = TableError::bus_error;
      return 0;
    }
    leaf = leaves_.emplace(l1, std::make_pair(*t, 0u)).first;
  }
  return leaf->second.first + ((uint64_t{ssid} & ((uint64_t{1} << split()) - 1)) << kCdLg2);
}

bool SmmuCdTable::store(uint32_t ssid, uint64_t pa, const smmuv3::CdWords& w) {
  if (o_.write_cd) return o_.write_cd(ssid, pa, w);
  return mem_->write(pa, w.data(), smmuv3::kCdBytes);
}

TableError SmmuCdTable::set(uint32_t pasid, const PasidBinding& b) {
  smmuv3::Cd c = o_.templ;
  c.v = true;
  c.ttb0 = b.pt_root;
  c.asid = b.tag;
  return set_cd(pasid, c);
}

TableError SmmuCdTable::set_cd(uint32_t pasid, const smmuv3::Cd& c) {
  TableError err;
  const uint64_t pa = slot(pasid, true, &err);
  if (!pa) return err;
  smmuv3::CdWords old{};
  if (!mem_->read(pa, old.data(), smmuv3::kCdBytes)) return TableError::bus_error;
  if (!store(pasid, pa, smmuv3::encode_cd(c))) return TableError::bus_error;
  if (!smmuv3::decode_cd(old).v) {
    ++entries_;
    if (!linear()) ++leaves_.at(pasid >> split()).second;
  }
  return TableError::none;
}

TableError SmmuCdTable::clear(uint32_t pasid) {
  TableError err;
  const uint64_t pa = slot(pasid, false, &err);
  if (!pa) return err;
  smmuv3::CdWords old{};
  if (!mem_->read(pa, old.data(), smmuv3::kCdBytes)) return TableError::bus_error;
  if (!smmuv3::decode_cd(old).v) return TableError::not_present;
  if (!store(pasid, pa, smmuv3::CdWords{})) return TableError::bus_error;
  --entries_;
  if (linear()) return TableError::none;
  const uint32_t l1 = pasid >> split();
  auto leaf = leaves_.find(l1);
  if (--leaf->second.second == 0) {
    if (!mem_->write_le64(root_ + (uint64_t{l1} << kL1CdLg2), 0)) return TableError::bus_error;
    alloc_->free(leaf->second.first, uint64_t{1} << (split() + kCdLg2));
    leaves_.erase(leaf);
  }
  return TableError::none;
}

}  // namespace isim::pasid
