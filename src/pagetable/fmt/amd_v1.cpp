#include "pagetable/fmt/amd_v1.h"

#include <stdexcept>

namespace isim::pt {

static_assert(PageTableFormat<AmdV1Format>);

uint64_t AmdV1Format::expressible_sizes(unsigned mode) {
  uint64_t m = 0;
  for (unsigned l = 0; l < mode && l < kMaxMode - 1; ++l) {
    const unsigned lo = item_lg2sz(l);
    unsigned hi = lo + num_items_lg2(l) - 1;
    if (hi > kMaxPageLg2) hi = kMaxPageLg2;
    if (lo <= hi) m |= mask(hi, lo);
  }
  return m;
}

std::string AmdV1Config::validate() const {
  // 48882 2.2.2: DTE Mode 0 is "no translation" (not a page table) and 7 is reserved.
  if (mode < 1 || mode > AmdV1Format::kMaxMode) return "amd_v1: mode must be in [1, 6]";
  if (page_sizes & ~AmdV1Format::expressible_sizes(mode)) {
    return "amd_v1: page_sizes holds a size this mode cannot express";
  }
  return {};
}

AmdV1Format::AmdV1Format(const AmdV1Config& cfg) : cfg_(cfg) {
  if (std::string why = cfg.validate(); !why.empty()) throw std::invalid_argument(why);
  sizes_ = cfg.page_sizes != 0 ? cfg.page_sizes : expressible_sizes(cfg.mode);
}

std::optional<AmdV1Format> AmdV1Format::create(const AmdV1Config& cfg, std::string* why) {
  std::string err = cfg.validate();
  if (!err.empty()) {
    if (why) *why = err;
    return std::nullopt;
  }
  return AmdV1Format(cfg);
}

std::optional<uint64_t> AmdV1Format::encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                                 const MapAttrs& a) const {
  const unsigned isz = item_lg2sz(level);
  if (!can_have_leaf(level) || page_lg2 < isz || page_lg2 >= isz + kIndexBits ||
      page_lg2 > kMaxPageLg2) {
    return std::nullopt;
  }
  if (a.exec && !a.read) return std::nullopt;
  const uint64_t allowed = kA | kD | kU | kFC | mask(4, 1) | mask(8, 7) | (1ull << 63);
  if (a.extra & ~allowed) return std::nullopt;
  if (oa & ~kAddrMask) return std::nullopt;

  uint64_t e = kPR | a.extra;
  if (a.read) e |= kIR;
  if (a.write) e |= kIW;
  if (page_lg2 == isz) {
    e |= (oa & mask(51, isz)) | (uint64_t{kNlDefault} << kNextLevelLo);
  } else {
    // Size override: address bits 12..page_lg2-2 set, bit page_lg2-1 clear, page base above.
    const uint64_t base = oa & mask(51, page_lg2);
    e |= base | mask(page_lg2 - 2, kGranuleLg2) | (uint64_t{kNlSize} << kNextLevelLo);
  }
  return e;
}

}  // namespace isim::pt
