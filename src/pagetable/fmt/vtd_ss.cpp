#include "pagetable/fmt/vtd_ss.h"

#include <stdexcept>

namespace isim::pt {

static_assert(PageTableFormat<VtdSsFormat>);

std::string VtdSsConfig::validate() const {
  // VT-d 9.4 context-entry AW / 9.6 PASID-entry AW: 1..3 = 3..5 levels (2-level is obsolete).
  if (levels < 3 || levels > 5) return "vtd_ss: levels must be 3, 4 or 5";
  // VT-d 11.4.2: HAW/MGAW at most 52 / 57 (and an input width of at least 30 bits).
  if (haw < 32 || haw > 52) return "vtd_ss: haw must be in [32, 52]";
  if (mgaw != 0 && (mgaw < 30 || mgaw > 57)) return "vtd_ss: mgaw must be 0 or in [30, 57]";
  return {};
}

VtdSsFormat::VtdSsFormat(const VtdSsConfig& cfg) : cfg_(cfg) {
  if (std::string why = cfg.validate(); !why.empty()) throw std::invalid_argument(why);

  const unsigned agaw = cfg.agaw_bits();
  in_bits_ = (cfg.mgaw != 0 && cfg.mgaw < agaw) ? cfg.mgaw : agaw;

  const uint64_t addr_hi = cfg.haw < 52 ? mask(51, cfg.haw) : 0;
  // Non-leaf entries: SNP and TM are reserved (9.8).
  const uint64_t table = addr_hi | kSNP | kTM;
  const uint64_t leaf = addr_hi | (cfg.snp ? 0 : kSNP) | (cfg.tm ? 0 : kTM);
  rsvd_[0] = {leaf, leaf};  // SS-PTE: bit 7 ignored
  rsvd_[1] = {table, cfg.sp_2m ? (leaf | mask(20, 12)) : (table | kPS)};
  rsvd_[2] = {table, cfg.sp_1g ? (leaf | mask(29, 12)) : (table | kPS)};
  rsvd_[3] = {table | kPS, table | kPS};
  rsvd_[4] = {table | kPS, table | kPS};
}

std::optional<VtdSsFormat> VtdSsFormat::create(const VtdSsConfig& cfg, std::string* why) {
  std::string err = cfg.validate();
  if (!err.empty()) {
    if (why) *why = err;
    return std::nullopt;
  }
  return VtdSsFormat(cfg);
}

uint64_t VtdSsFormat::page_size_bitmap() const {
  uint64_t m = 0;
  for (unsigned l = 0; l <= top_level() && l <= 2; ++l) {
    if (can_have_leaf(l)) m |= lg2_size(item_lg2sz(l));
  }
  return m;
}

std::optional<uint64_t> VtdSsFormat::encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                                 const MapAttrs& a) const {
  if (page_lg2 != item_lg2sz(level) || !can_have_leaf(level)) return std::nullopt;
  if (!a.read && !a.write) return std::nullopt;
  if (a.exec && !cfg_.exec && !a.read) return std::nullopt;  // execute comes only with read
  const uint64_t allowed = mask(6, 3) | kA | kD | (1ull << 10) | (cfg_.snp ? kSNP : 0) |
                           (cfg_.tm ? kTM : 0) | mask(61, 52) | (1ull << 63);
  if (a.extra & ~allowed) return std::nullopt;
  if (oa & ~mask(cfg_.haw - 1, page_lg2)) return std::nullopt;

  uint64_t e = oa | a.extra;
  if (a.read) e |= kR;
  if (a.write) e |= kW;
  if (a.exec && cfg_.exec) e |= kX;
  if (level > 0) e |= kPS;
  return e;
}

}  // namespace isim::pt
