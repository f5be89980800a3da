// The SMMUv3 driver's configuration structures: STEs and CDs written with Linux's entry writer,
// and what each master's STE holds (attach, PASIDs, SVA, nested).
#include "models/smmuv3/driver.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "models/smmuv3/driver_defs.h"
#include "models/smmuv3/stream_table.h"
#include "pasid/smmu_cd_table.h"

namespace isim::smmuv3 {

using namespace drv;

namespace {

template <std::size_t N>
void set_all(std::array<uint64_t, N>& w, WordField f) {
  put(w, f, mask(f.hi - f.lo, 0));
}

/// Bits of an STE the SMMU reads in its current configuration (Linux arm_smmu_get_ste_used).
SteWords ste_used(const SteWords& e) {
  SteWords u{};
  set_all(u, ste::V);
  if (!get_bit(e, ste::V)) return u;
  set_all(u, ste::CONFIG);
  const Ste s = decode_ste(e);
  if (s.abort()) return u;
  if (s.bypass()) {
    set_all(u, ste::SHCFG);
    return u;
  }
  set_all(u, ste::EATS);
  set_all(u, ste::STRW);
  if (s.s1_enabled()) {
    for (WordField f : {ste::S1FMT, ste::S1CTXPTR, ste::S1CDMAX, ste::S1DSS, ste::S1CIR, ste::S1COR,
                        ste::S1CSH, ste::S1STALLD, ste::S2VMID})
      set_all(u, f);
    if (s.dss() == S1Dss::kBypass) set_all(u, ste::SHCFG);
  }
  if (s.s2_enabled()) {
    set_all(u, ste::SHCFG);
    for (WordField f : {ste::S2VMID, ste::S2T0SZ, ste::S2SL0, ste::S2IR0, ste::S2OR0, ste::S2SH0,
                        ste::S2TG, ste::S2PS, ste::S2AA64, ste::S2ENDI, ste::S2AFFD, ste::S2PTW,
                        ste::S2HD, ste::S2HA, ste::S2S, ste::S2R, ste::S2TTB})
      set_all(u, f);
  }
  return u;
}

/// Bits of a CD the SMMU reads (Linux arm_smmu_get_cd_used): all of it once V is set.
CdWords cd_used(const CdWords& e) {
  CdWords u{};
  set_all(u, cd::V);
  if (!get_bit(e, cd::V)) return u;
  u.fill(~uint64_t{0});
  return u;
}

}  // namespace

// --- Stream table entries -----------------------------------------------------------------------

uint64_t Smmuv3Driver::ste_addr(uint32_t sid) {
  if (sid_bits_ < 32 && (sid >> sid_bits_) != 0) return 0;
  if (!two_level_) return strtab_ + uint64_t{sid} * kSteBytes;
  const uint32_t l1 = sid >> kStrtabSplit;
  if (l1 >> kMaxL1Lg2) return 0;
  auto it = l2_.find(l1);
  if (it == l2_.end()) {
    // Linux arm_smmu_init_l2_strtab: 256 abort STEs, then the L1STD (5.1: Span = SPLIT + 1).
    const uint64_t bytes = uint64_t{kSteBytes} << kStrtabSplit;
    const auto l2 = pool_.alloc(bytes, bytes);
    if (!l2) return 0;
    Ste abort;
    abort.v = true;
    const SteWords a = encode_ste(abort);
    std::vector<uint64_t> img(a.size() << kStrtabSplit);
    for (size_t i = 0; i < img.size(); i += a.size()) std::copy(a.begin(), a.end(), &img[i]);
    if (!bus_.memory().write(*l2, img.data(), bytes)) return 0;
    const uint64_t desc = (*l2 & l1std::kL2Ptr) | (kStrtabSplit + 1);
    if (!bus_.memory().write_le64(strtab_ + uint64_t{l1} * kL1StdBytes, desc)) return 0;
    it = l2_.emplace(l1, *l2).first;
  }
  return it->second + uint64_t{sid & ((1u << kStrtabSplit) - 1)} * kSteBytes;
}

SteWords Smmuv3Driver::make_ste(uint32_t sid) {
  const Master& m = masters_.at(sid);
  Ste s;
  s.v = true;
  auto stage1 = [&](S1Dss dss) {
    // Linux arm_smmu_make_cdtable_ste.
    s.config = static_cast<uint8_t>(SteConfig::kS1);
    m.cds->describe(s);
    s.s1dss = static_cast<uint8_t>(dss);
    s.s1cir = s.s1cor = kCacheWbra;
    s.s1csh = kShIsh;
    s.eats = m.ats ? static_cast<uint8_t>(Eats::kTrans) : 0;
    if (dss == S1Dss::kBypass) s.shcfg = kShcfgIncoming;
  };
  auto stage2 = [&](const Domain& d) {
    // Linux arm_smmu_make_s2_domain_ste: VTCR of the domain's table, S2AA64, S2PTW, S2R.
    s.s2vmid = d.vmid;
    s.s2t0sz = static_cast<uint8_t>(d.s2_t0sz);
    s.s2sl0 = static_cast<uint8_t>(d.s2_sl0);
    s.s2ir0 = s.s2or0 = kCacheWbra;
    s.s2sh0 = kShIsh;
    s.s2tg = static_cast<uint8_t>(tg0_encode(kPageLg2));
    s.s2ps = static_cast<uint8_t>(oas_encode(ids_.oas_bits).value_or(0));
    s.s2aa64 = s.s2ptw = s.s2r = true;
    s.s2ttb = d.table->root();
    s.shcfg = kShcfgIncoming;
    s.eats = m.ats ? static_cast<uint8_t>(Eats::kTrans) : 0;
  };
  switch (m.mode) {
    case RidMode::abort:
      if (!m.pasids.empty()) stage1(S1Dss::kTerminate);
      break;
    case RidMode::bypass:
      if (!m.pasids.empty()) {
        stage1(S1Dss::kBypass);
      } else {
        s.config = static_cast<uint8_t>(SteConfig::kBypass);
        s.shcfg = kShcfgIncoming;
      }
      break;
    case RidMode::s1:
      stage1(S1Dss::kSubstream0);
      break;
    case RidMode::s2:
      s.config = static_cast<uint8_t>(SteConfig::kS2);
      stage2(domains_.at(m.domain));
      break;
    case RidMode::nested:
      // The guest's CD table is an IPA, walked through the parent's stage 2 (3.3.3).
      s.config = static_cast<uint8_t>(SteConfig::kNested);
      stage2(domains_.at(m.domain));
      s.s1_context_ptr = m.nested_cd_ipa & mask(ste::S1CTXPTR.hi, ste::S1CTXPTR.lo);
      s.s1fmt = static_cast<uint8_t>(S1Fmt::kLinear);
      s.s1cdmax = static_cast<uint8_t>(m.nested_cdmax);
      s.s1dss = static_cast<uint8_t>(m.nested_cdmax ? S1Dss::kSubstream0 : S1Dss::kTerminate);
      s.s1cir = s.s1cor = kCacheWbra;
      s.s1csh = kShIsh;
      break;
  }
  return encode_ste(s);
}

bool Smmuv3Driver::write_entry(uint64_t pa, const Words8& target, bool is_ste,
                               const std::function<bool()>& sync) {
  // Linux arm_smmu_write_entry: the SMMU may read the entry at any moment, 64 bits at a time,
  // and must only ever see the old or the new configuration.
  Words8 cur{};
  if (!bus_.memory().read(pa, cur.data(), sizeof cur)) return false;
  const Words8 cur_used = is_ste ? ste_used(cur) : cd_used(cur);
  const Words8 tgt_used = is_ste ? ste_used(target) : cd_used(target);
  Words8 unused_update{};
  unsigned diff = 0;
  for (unsigned i = 0; i < cur.size(); ++i) {
    // Bits the current configuration ignores may take their new values at once.
    unused_update[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
    if ((unused_update[i] & tgt_used[i]) != target[i]) diff |= 1u << i;
  }
  bool ok = true;
  auto set = [&](const Words8& w, unsigned first, unsigned n) {
    bool changed = false;
    for (unsigned i = first; i < first + n; ++i) {
      if (cur[i] == w[i]) continue;
      cur[i] = w[i];
      ok = bus_.memory().write_le64(pa + 8 * i, w[i]) && ok;
      changed = true;
    }
    if (changed) ok = sync() && ok;
  };
  if (std::popcount(diff) == 1) {
    // Hitless: one word switches the configuration.
    const unsigned critical = static_cast<unsigned>(std::countr_zero(diff));
    unused_update[critical] = cur[critical];
    set(unused_update, 0, 8);
    set(target, critical, 1);
    set(target, 0, 8);
    ++counts_.ste_hitless;
  } else if (diff != 0) {
    // Breaking: V = 0 first, then the other words, then word 0.
    unused_update[0] = 0;
    set(unused_update, 0, 1);
    set(target, 1, 7);
    set(target, 0, 1);
    ++counts_.ste_breaking;
  } else {
    set(target, 0, 8);
  }
  return ok;
}

bool Smmuv3Driver::write_ste(uint32_t sid) {
  const uint64_t pa = ste_addr(sid);
  if (pa == 0) return false;
  const SteWords t = make_ste(sid);
  return write_entry(pa, t, true, [&] {
    Command c = op(Opcode::kCfgiSte);
    c.sid = sid;
    c.leaf = true;
    ++counts_.cfgi_ste;
    return submit({c});
  });
}

// --- Context descriptors -------------------------------------------------------------------------

Smmuv3Driver::Master& Smmuv3Driver::master(uint32_t sid) {
  return masters_[sid];
}

bool Smmuv3Driver::ensure_cd_table(uint32_t sid) {
  Master& m = master(sid);
  if (m.cds) return m.cds->root() != 0;
  // Linux arm_smmu_alloc_cd_tables: linear up to 2^10 contexts or without IDR0.CD2L, else
  // 2-level with 64 KiB leaves.
  pasid::SmmuTableOptions o;
  o.ssid_bits = master_ssid_bits();
  o.fmt = ids_.cd2l && o.ssid_bits > kCdLinearMaxBits ? S1Fmt::k2Level64K : S1Fmt::kLinear;
  o.write_cd = [this, sid](uint32_t ssid, uint64_t pa, const CdWords& w) {
    return write_cd(sid, ssid, pa, w);
  };
  m.cds = std::make_unique<pasid::SmmuCdTable>(bus_.memory(), pool_, o);
  m.cd_bytes = m.cds->table_bytes();
  return m.cds->root() != 0;
}

bool Smmuv3Driver::write_cd(uint32_t sid, uint32_t ssid, uint64_t pa, const CdWords& w) {
  Master& m = master(sid);
  // A new leaf table was just linked in: the CFGI_CD also drops any cached L1CD (Leaf = 0).
  const bool new_leaf = m.cds->table_bytes() != m.cd_bytes;
  m.cd_bytes = m.cds->table_bytes();
  return write_entry(pa, w, false, [&] {
    Command c = op(Opcode::kCfgiCd);
    c.sid = sid;
    c.ssid = ssid;
    c.leaf = !new_leaf;
    ++counts_.cfgi_cd;
    return submit({c});
  });
}

Cd Smmuv3Driver::make_cd(uint16_t asid, uint64_t ttb0, bool shared) const {
  // Linux arm_smmu_write_ctx_desc / make_s1_cd: TTB0 only (EPD1), 4 KiB granule, cacheable
  // walks, AArch64, R (record faults), A (abort terminated transactions), HA with IDR0.HTTU;
  // ASET = 1 (a private ASID) for DMA domains, 0 for a process's ASID shared with the CPU.
  Cd c;
  c.v = true;
  c.t0sz = static_cast<uint8_t>(64 - kVaBits);
  c.tg0 = static_cast<uint8_t>(tg0_encode(kPageLg2));
  c.ir0 = c.or0 = kCacheWbra;
  c.sh0 = kShIsh;
  c.epd1 = true;
  c.ips = static_cast<uint8_t>(oas_encode(ids_.oas_bits).value_or(0));
  c.aa64 = true;
  c.r = true;
  c.a = true;
  c.aset = !shared;
  c.ha = ids_.httu >= 1;
  c.asid = asid;
  c.ttb0 = ttb0 & mask(cd::TTB0.hi, cd::TTB0.lo);
  c.mair = kMair;
  return c;
}

bool Smmuv3Driver::set_cd(uint32_t sid, uint32_t ssid, const Cd& cd) {
  if (!ensure_cd_table(sid)) return false;
  return master(sid).cds->set_cd(ssid, cd) == pasid::TableError::none;
}

bool Smmuv3Driver::clear_cd(uint32_t sid, uint32_t ssid) {
  Master& m = master(sid);
  if (!m.cds) return true;
  const pasid::TableError e = m.cds->clear(ssid);
  m.cd_bytes = m.cds->table_bytes();
  return e == pasid::TableError::none || e == pasid::TableError::not_present;
}

// --- Masters -----------------------------------------------------------------------------------

bool Smmuv3Driver::set_ats(uint32_t sid, bool on) {
  if (on && !ids_.ats) return false;
  master(sid).ats = on;
  return true;
}

bool Smmuv3Driver::attach(uint32_t sid, uint32_t domain) {
  auto it = domains_.find(domain);
  if (!up_ || it == domains_.end()) return false;
  Domain& d = it->second;
  Master& m = master(sid);
  const RidMode old = m.mode;
  const uint32_t old_domain = m.domain;
  if (d.s2) {
    if (!m.pasids.empty()) return false;  // PASIDs need a CD table: stage 1 in the STE
    m.mode = RidMode::s2;
  } else {
    // The CD is in place before the STE points at it.
    if (!set_cd(sid, 0, make_cd(d.asid, d.table->root()))) return false;
    m.mode = RidMode::s1;
  }
  m.domain = domain;
  if (!write_ste(sid)) return false;
  if ((old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) &&
      domains_.count(old_domain))
    domains_.at(old_domain).masters.erase({sid, false, 0});
  if (old == RidMode::s1 && d.s2 && !clear_cd(sid, 0)) return false;
  d.masters.insert({sid, false, 0});
  return true;
}

bool Smmuv3Driver::attach_bypass(uint32_t sid) {
  if (!up_) return false;
  Master& m = master(sid);
  const RidMode old = m.mode;
  if (old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) {
    if (domains_.count(m.domain)) domains_.at(m.domain).masters.erase({sid, false, 0});
  }
  m.mode = RidMode::bypass;
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::attach_abort(uint32_t sid) {
  if (!up_) return false;
  Master& m = master(sid);
  const RidMode old = m.mode;
  if (old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) {
    if (domains_.count(m.domain)) domains_.at(m.domain).masters.erase({sid, false, 0});
  }
  m.mode = RidMode::abort;
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::attach_pasid(uint32_t sid, uint32_t ssid, uint32_t domain) {
  auto it = domains_.find(domain);
  if (!up_ || it == domains_.end() || it->second.s2 || ssid == 0) return false;
  if (ssid >> master_ssid_bits()) return false;
  Master& m = master(sid);
  if (m.mode == RidMode::s2 || m.mode == RidMode::nested) return false;
  Domain& d = it->second;
  if (!set_cd(sid, ssid, make_cd(d.asid, d.table->root()))) return false;
  const bool first = m.pasids.empty();
  auto prev = m.pasids.find(ssid);
  if (prev != m.pasids.end() && prev->second != 0 && domains_.count(prev->second))
    domains_.at(prev->second).masters.erase({sid, true, ssid});
  m.sva.erase(ssid);
  m.pasids[ssid] = domain;
  d.masters.insert({sid, true, ssid});
  // The STE must point at the CD table (S1DSS keeps what requests without a PASID get).
  return !first || m.mode == RidMode::s1 || write_ste(sid);
}

std::optional<uint16_t> Smmuv3Driver::bind_sva(uint32_t sid, uint32_t ssid, uint64_t ttb0) {
  if (!up_ || !ids_.s1p || ssid == 0 || (ssid >> master_ssid_bits()) != 0) return std::nullopt;
  if (!ids_.asid16 && next_asid_ > 0xff) return std::nullopt;
  Master& m = master(sid);
  if (m.mode == RidMode::s2 || m.mode == RidMode::nested) return std::nullopt;
  const uint16_t asid = next_asid_++;
  if (!set_cd(sid, ssid, make_cd(asid, ttb0, true))) return std::nullopt;
  const bool first = m.pasids.empty();
  // A replaced binding: a domain's ASID stays in use by the domain; a process's previous ASID
  // has no other user, so its TLB entries (and the ATC's for this SubstreamID) are dropped
  // once the new CD is visible, as unbind() would.
  std::optional<uint16_t> stale;
  if (auto prev = m.pasids.find(ssid); prev != m.pasids.end()) {
    if (prev->second != 0 && domains_.count(prev->second))
      domains_.at(prev->second).masters.erase({sid, true, ssid});
    if (auto s = m.sva.find(ssid); s != m.sva.end()) stale = s->second;
  }
  m.pasids[ssid] = 0;
  m.sva[ssid] = asid;
  if (first && m.mode != RidMode::s1 && !write_ste(sid)) return std::nullopt;
  if (stale) {
    Command c = op(Opcode::kTlbiNhAsid);
    c.asid = *stale;
    ++counts_.tlbi;
    if (!submit({c})) return std::nullopt;
    if (m.ats) {
      ++counts_.atc_inv;
      if (!submit({atc_cmd(sid, 0, 0, ssid)})) return std::nullopt;
    }
  }
  return asid;
}

uint64_t Smmuv3Driver::cd_table(uint32_t sid) const {
  auto it = masters_.find(sid);
  return it == masters_.end() || !it->second.cds ? 0 : it->second.cds->root();
}

bool Smmuv3Driver::unbind(uint32_t sid, uint32_t ssid) {
  auto mi = masters_.find(sid);
  if (mi == masters_.end() || !mi->second.pasids.count(ssid)) return false;
  Master& m = mi->second;
  // Linux: the CD goes first (CFGI_CD + SYNC), then the TLB entries of its ASID, then the ATC.
  if (!clear_cd(sid, ssid)) return false;
  std::vector<Command> cmds;
  const uint32_t dom = m.pasids[ssid];
  if (auto s = m.sva.find(ssid); s != m.sva.end()) {
    Command c = op(Opcode::kTlbiNhAsid);
    c.asid = s->second;
    cmds.push_back(c);
    ++counts_.tlbi;
    m.sva.erase(s);
  } else if (domains_.count(dom)) {
    domains_.at(dom).masters.erase({sid, true, ssid});
  }
  m.pasids.erase(ssid);
  if (!cmds.empty() && !submit(cmds)) return false;
  if (m.ats) {
    ++counts_.atc_inv;
    if (!submit({atc_cmd(sid, 0, 0, ssid)})) return false;
  }
  // The last PASID gone: the STE drops its CD table unless requests without one use it.
  return !m.pasids.empty() || m.mode == RidMode::s1 || write_ste(sid);
}

bool Smmuv3Driver::invalidate_asid(uint16_t asid, uint64_t va, uint64_t size) {
  std::vector<Command> cmds;
  if (size == 0) {
    Command c = op(Opcode::kTlbiNhAsid);
    c.asid = asid;
    cmds.push_back(c);
  } else {
    Command base = op(Opcode::kTlbiNhVa);
    base.asid = asid;
    base.leaf = true;
    tlbi_range(cmds, base, va, size);
  }
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  std::vector<Command> atc;
  for (const auto& [sid, m] : masters_) {
    if (!m.ats) continue;
    for (const auto& [ssid, a] : m.sva)
      if (a == asid) atc.push_back(atc_cmd(sid, va, size, ssid));
  }
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

bool Smmuv3Driver::attach_nested(uint32_t sid, uint32_t parent, uint64_t cd_table_ipa,
                                 unsigned s1cdmax) {
  auto it = domains_.find(parent);
  if (!up_ || !ids_.s1p || !ids_.s2p || it == domains_.end() || !it->second.s2) return false;
  if (s1cdmax > ids_.ssid_bits) return false;
  Master& m = master(sid);
  if (!m.pasids.empty()) return false;
  const RidMode old = m.mode;
  if ((old == RidMode::s1 || old == RidMode::s2 || old == RidMode::nested) &&
      domains_.count(m.domain))
    domains_.at(m.domain).masters.erase({sid, false, 0});
  m.mode = RidMode::nested;
  m.domain = parent;
  m.nested_cd_ipa = cd_table_ipa;
  m.nested_cdmax = s1cdmax;
  it->second.nest_parent = true;
  it->second.masters.insert({sid, false, 0});
  if (!write_ste(sid)) return false;
  return old != RidMode::s1 || clear_cd(sid, 0);
}

bool Smmuv3Driver::invalidate_nested(uint32_t parent, uint64_t va, uint64_t size) {
  auto it = domains_.find(parent);
  if (it == domains_.end() || !it->second.s2) return false;
  Domain& d = it->second;
  std::vector<Command> cmds;
  if (size == 0 || (!ids_.ril && (size >> kPageLg2) > kMaxTlbiOps)) {
    Command c = op(Opcode::kTlbiNhAll);
    c.vmid = d.vmid;
    cmds.push_back(c);
  } else {
    Command base = op(Opcode::kTlbiNhVaa);
    base.vmid = d.vmid;
    base.leaf = true;
    tlbi_range(cmds, base, va, size);
  }
  counts_.tlbi += cmds.size();
  if (!submit(cmds)) return false;
  std::vector<Command> atc;
  atc_inv(atc, d, va, size, std::nullopt);
  counts_.atc_inv += atc.size();
  return atc.empty() || submit(atc);
}

}  // namespace isim::smmuv3
