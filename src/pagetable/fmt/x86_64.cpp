#include "pagetable/fmt/x86_64.h"

#include <stdexcept>

namespace isim::pt {

static_assert(PageTableFormat<X86Format>);

std::string X86Config::validate() const {
  if (levels != 4 && levels != 5) return "x86_64: levels must be 4 or 5";
  // SDM 4.1.4: MAXPHYADDR is at most 52.
  if (oa_bits < 32 || oa_bits > 52) return "x86_64: oa_bits must be in [32, 52]";
  return {};
}

X86Config vtd_first_stage_config(unsigned levels, unsigned haw, bool fs1gp, bool nxe, bool wpe,
                                 bool smep, bool eafe) {
  X86Config c;
  c.levels = levels;
  c.oa_bits = haw;
  c.page_1g = fs1gp;
  c.nx = nxe;
  c.wp = wpe;
  c.smep = smep;
  c.eafe = eafe;
  return c;
}

X86Config amd_v2_config(unsigned levels, unsigned oa_bits) {
  X86Config c;
  c.levels = levels;
  c.oa_bits = oa_bits;
  return c;
}

X86Format::X86Format(const X86Config& cfg) : cfg_(cfg) {
  if (std::string why = cfg.validate(); !why.empty()) throw std::invalid_argument(why);

  const uint64_t addr_hi = cfg.oa_bits < 52 ? mask(51, cfg.oa_bits) : 0;
  const uint64_t xd = cfg.nx ? 0 : kXD;
  const uint64_t common = addr_hi | xd;
  rsvd_[0] = {common, common};                 // PTE: bit 7 is PAT
  rsvd_[1] = {common, common | mask(20, 13)};  // PDE / 2 MiB leaf (bit 12 = PAT)
  rsvd_[2] = {common,                          // PDPTE / 1 GiB leaf
              cfg.page_1g ? (common | mask(29, 13)) : (common | kPS)};
  rsvd_[3] = {common | kPS, common | kPS};  // PML4E: PS reserved
  rsvd_[4] = {common | kPS, common | kPS};  // PML5E: PS reserved
}

std::optional<X86Format> X86Format::create(const X86Config& cfg, std::string* why) {
  std::string err = cfg.validate();
  if (!err.empty()) {
    if (why) *why = err;
    return std::nullopt;
  }
  return X86Format(cfg);
}

uint64_t X86Format::page_size_bitmap() const {
  uint64_t m = lg2_size(item_lg2sz(0)) | lg2_size(item_lg2sz(1));
  if (cfg_.page_1g) m |= lg2_size(item_lg2sz(2));
  return m;
}

std::optional<uint64_t> X86Format::encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                               const MapAttrs& a) const {
  if (page_lg2 != item_lg2sz(level) || !can_have_leaf(level)) return std::nullopt;
  const uint64_t pat = level == 0 ? kPat4K : kPatLarge;
  const uint64_t allowed = kPWT | kPCD | kA | kD | kG | pat | mask(11, 9) | mask(62, 52);
  if (a.extra & ~allowed) return std::nullopt;
  if (oa & ~mask(cfg_.oa_bits - 1, page_lg2)) return std::nullopt;

  uint64_t e = oa | kP | a.extra;
  if (a.write) e |= kRW;
  if (a.user) e |= kUS;
  if (!a.exec && cfg_.nx) e |= kXD;
  if (level > 0) e |= kPS;
  return e;
}

}  // namespace isim::pt
