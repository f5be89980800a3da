// The SMMUv3 driver's domains: stage-1 / stage-2 tables, map / unmap, and TLB and ATC
// maintenance (TLBI + CMD_SYNC, strict or batched).
#include "models/smmuv3/driver.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "models/smmuv3/driver_defs.h"

namespace isim::smmuv3 {

using namespace drv;

// --- Domains -----------------------------------------------------------------------------------

pt::ArmLpaeConfig Smmuv3Driver::sva_config() const {
  pt::ArmLpaeConfig c = pt::arm_s1_config(kPageLg2, 64 - kVaBits, ids_.oas_bits);
  c.pa_max_bits = ids_.oas_bits;
  return c;
}

std::optional<uint32_t> Smmuv3Driver::create_s1_domain() {
  if (!up_ || !ids_.s1p) return std::nullopt;
  if (!ids_.asid16 && next_asid_ > 0xff) return std::nullopt;
  // DMA domains use the same stage-1 shape as SVA binds (make_cd writes one TCR for both).
  auto fmt = pt::ArmLpaeFormat::create(sva_config());
  if (!fmt) return std::nullopt;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;  // io-pgtable-arm keeps tables (walk caches stay valid)
  Domain d;
  d.table = pt::make_page_table(pt::FormatVariant{*fmt}, bus_.memory(), pool_, bo);
  if (!d.table) return std::nullopt;
  d.asid = next_asid_++;
  const uint32_t id = next_domain_++;
  domains_.emplace(id, std::move(d));
  return id;
}

std::optional<uint32_t> Smmuv3Driver::create_s2_domain() {
  if (!up_ || !ids_.s2p) return std::nullopt;
  if (!ids_.vmid16 && next_vmid_ > 0xff) return std::nullopt;
  // IPA = OAS bits (IHI 0070 3.4); start one level lower with concatenated tables when that
  // resolves the IPA (io-pgtable-arm's stage-2 concatenation).
  const unsigned ias = ids_.ias_bits();
  const int level = pt::arm_s2_sl_consistent(kPageLg2, 1, ias) ? 1 : 0;
  const auto sl0 = pt::arm_s2_sl0_encode(kPageLg2, level);
  if (!sl0) return std::nullopt;
  pt::ArmLpaeConfig c = pt::arm_s2_config(kPageLg2, 64 - ias, *sl0, ids_.oas_bits);
  c.pa_max_bits = ids_.oas_bits;
  auto fmt = pt::ArmLpaeFormat::create(c);
  if (!fmt) return std::nullopt;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;
  Domain d;
  d.s2 = true;
  d.s2_t0sz = 64 - ias;
  d.s2_sl0 = *sl0;
  d.table = pt::make_page_table(pt::FormatVariant{*fmt}, bus_.memory(), pool_, bo);
  if (!d.table) return std::nullopt;
  d.vmid = next_vmid_++;
  const uint32_t id = next_domain_++;
  domains_.emplace(id, std::move(d));
  return id;
}

bool Smmuv3Driver::is_s2(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it != domains_.end() && it->second.s2;
}

uint64_t Smmuv3Driver::domain_root(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.table->root();
}

uint16_t Smmuv3Driver::domain_asid(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.asid;
}

uint16_t Smmuv3Driver::domain_vmid(uint32_t domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? 0 : it->second.vmid;
}

bool Smmuv3Driver::map(uint32_t domain, uint64_t iova, uint64_t pa, uint64_t size, bool read,
                       bool write) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  Domain& d = it->second;
  // io-pgtable-arm leaves: stage 1 nG (tagged by ASID), inner shareable; stage 2 Normal WB.
  pt::MapAttrs a;
  a.read = read;
  a.write = write;
  a.extra = kLeafShIsh | (d.s2 ? kS2MemAttrNormalWb : pt::ArmLpaeFormat::kNG);
  if (d.table->map_range(iova, pa, size, a) != pt::MapStatus::Ok) return false;
  ++counts_.maps;
  return true;
}

bool Smmuv3Driver::unmap(uint32_t domain, uint64_t iova, uint64_t size) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  if (!it->second.table->unmap(iova, size).ok()) return false;
  ++counts_.unmaps;
  switch (opts_.flush) {
    case FlushPolicy::strict:
      return invalidate(domain, iova, size);
    case FlushPolicy::batched:
      it->second.pending = true;
      if (++pending_unmaps_ >= opts_.batch) return flush();
      return true;
    case FlushPolicy::caller:
      return true;
  }
  return true;
}

bool Smmuv3Driver::flush() {
  // Linux's flush queue ends in flush_iotlb_all: the whole ASID / VMID.
  bool ok = true;
  pending_unmaps_ = 0;
  for (auto& [id, d] : domains_) {
    if (!d.pending) continue;
    ++counts_.flushes;
    ok = invalidate_all(d) && ok;
  }
  return ok;
}

void Smmuv3Driver::tlbi_range(std::vector<Command>& cmds, Command base, uint64_t iova,
                              uint64_t size) const {
  // Linux __arm_smmu_tlb_inv_range. TTL stays 0 (the unmapped leaves' sizes vary), so a
  // single-page range would have NUM = SCALE = TTL = 0 (reserved): round it up to two pages.
  uint64_t addr = align_down(iova, kPageLg2);
  uint64_t pages = (align_up(iova + size, kPageLg2) - addr) >> kPageLg2;
  if (!ids_.ril) {
    for (uint64_t i = 0; i < pages; ++i) {
      base.addr = addr + (i << kPageLg2);
      cmds.push_back(base);
    }
    return;
  }
  if ((pages & kRangeNumMax) == 1) ++pages;
  base.tg = kTg4K;
  while (pages != 0) {
    const unsigned scale = static_cast<unsigned>(std::countr_zero(pages));
    const uint64_t num = (pages >> scale) & kRangeNumMax;
    base.scale = static_cast<uint8_t>(scale);
    base.num = static_cast<uint8_t>(num - 1);
    base.addr = addr;
    cmds.push_back(base);
    addr += num << (scale + kPageLg2);
    pages -= num << scale;
  }
}

Command Smmuv3Driver::atc_cmd(uint32_t sid, uint64_t iova, uint64_t size,
                              std::optional<uint32_t> ssid) const {
  // Linux arm_smmu_atc_inv_to_cmd: the smallest naturally aligned power-of-two span of pages
  // covering the range (4.5.1: 4 KiB * 2^Size at Address); size 0: everything.
  Command c = op(Opcode::kAtcInv);
  c.sid = sid;
  c.ssv = ssid.has_value();
  c.ssid = ssid.value_or(0);
  if (size == 0) {
    c.size = kAtcSizeAll;
    return c;
  }
  uint64_t first = iova >> kPageLg2;
  const uint64_t last = (iova + size - 1) >> kPageLg2;
  const unsigned span = static_cast<unsigned>(std::bit_width(first ^ last));
  first &= ~((uint64_t{1} << span) - 1);
  c.addr = first << kPageLg2;
  c.size = static_cast<uint8_t>(span);
  return c;
}

void Smmuv3Driver::atc_inv(std::vector<Command>& cmds, const Domain& d, uint64_t iova,
                           uint64_t size, std::optional<uint32_t> ssid) const {
  for (const auto& [sid, with_ssid, s] : d.masters) {
    auto m = masters_.find(sid);
    if (m == masters_.end() || !m->second.ats) continue;
    cmds.push_back(atc_cmd(sid, iova, size, with_ssid ? std::optional<uint32_t>(s) : ssid));
  }
}

bool Smmuv3Driver::invalidate_all(Domain& d) {
  // Linux arm_smmu_tlb_inv_context: TLBI_NH_ASID (stage 1) or TLBI_S12_VMALL (stage 2, which
  // also covers nested entries of the VMID); then the ATCs.
  d.pending = false;
  Command c = op(d.s2 ? Opcode::kTlbiS12Vmall : Opcode::kTlbiNhAsid);
  c.asid = d.asid;
  c.vmid = d.vmid;
  ++counts_.tlbi;
  if (!submit({c})) return false;
  std::vector<Command> atc;
  atc_inv(atc, d, 0, 0, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

bool Smmuv3Driver::invalidate(uint32_t domain, uint64_t iova, uint64_t size) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return false;
  Domain& d = it->second;
  const uint64_t pages =
      size == 0 ? 0 : (align_up(iova + size, kPageLg2) - align_down(iova, kPageLg2)) >> kPageLg2;
  if (size == 0 || (!ids_.ril && pages > kMaxTlbiOps)) return invalidate_all(d);
  // Linux arm_smmu_tlb_inv_range_domain: leaf invalidations of the range, then (for a nesting
  // parent) every stage-1 entry of the VMID, then the ATCs.
  Command base = op(d.s2 ? Opcode::kTlbiS2Ipa : Opcode::kTlbiNhVa);
  base.asid = d.asid;
  base.vmid = d.vmid;
  base.leaf = true;
  std::vector<Command> cmds;
  tlbi_range(cmds, base, iova, size);
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  if (d.nest_parent) {
    Command all = op(Opcode::kTlbiNhAll);
    all.vmid = d.vmid;
    ++counts_.tlbi;
    if (!submit({all})) return false;
  }
  std::vector<Command> atc;
  atc_inv(atc, d, iova, size, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

}  // namespace isim::smmuv3
