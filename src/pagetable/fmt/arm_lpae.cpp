#include "pagetable/fmt/arm_lpae.h"

#include <stdexcept>

#include "pagetable/builder_impl.h"

namespace isim::pt {

namespace {

bool valid_granule(unsigned g) {
  return g == 12 || g == 14 || g == 16;
}

// SMMU IHI 0070 5.4 CD.IPS / 5.2 STE.S2PS and Arm ARM TCR_ELx.IPS: 000 32, 001 36, 010 40,
// 011 42, 100 44, 101 48 bits (110 = 52 bits needs FEAT_LPA: not modelled).
bool valid_pa_size(unsigned bits) {
  return bits == 32 || bits == 36 || bits == 40 || bits == 42 || bits == 44 || bits == 48;
}

unsigned max_tsz(unsigned g, bool ttst) {
  // D8.2.8-D8.2.10: T0SZ at most 39, or with FEAT_TTST 48 (4/16 KiB) and 47 (64 KiB).
  if (!ttst) return 39;
  return g == 16 ? 47 : 48;
}

// Without FEAT_LVA/LPA2 the input address has at most 48 bits.
constexpr unsigned kMinTsz = 16;

}  // namespace

int arm_s1_start_level(unsigned granule_lg2, unsigned ia_bits) {
  if (ia_bits <= granule_lg2) return 3;  // nothing left to index: not a valid configuration
  const unsigned stride = arm_stride(granule_lg2);
  const unsigned levels = (ia_bits - granule_lg2 + stride - 1) / stride;
  return 4 - static_cast<int>(levels);
}

std::optional<int> arm_s2_sl0_level(unsigned granule_lg2, unsigned sl0, bool ttst,
                                    unsigned pa_max_bits) {
  // VTCR_EL2.SL0 / STE.S2SL0 and AArch64.S2InvalidSL (DS = 0, SL2 = 0).
  switch (granule_lg2) {
    case 12:
      switch (sl0) {
        case 0:
          return 2;
        case 1:
          return 1;
        case 2:
          return pa_max_bits >= 44 ? std::optional<int>(0) : std::nullopt;
        case 3:
          return ttst ? std::optional<int>(3) : std::nullopt;
      }
      break;
    case 14:
      switch (sl0) {
        case 0:
          return 3;
        case 1:
          return 2;
        case 2:
          return pa_max_bits >= 42 ? std::optional<int>(1) : std::nullopt;
        case 3:
          return std::nullopt;  // level 0 needs DS = 1
      }
      break;
    case 16:
      switch (sl0) {
        case 0:
          return 3;
        case 1:
          return 2;
        case 2:
          return pa_max_bits >= 44 ? std::optional<int>(1) : std::nullopt;
        case 3:
          return std::nullopt;  // reserved
      }
      break;
  }
  return std::nullopt;
}

std::optional<unsigned> arm_s2_sl0_encode(unsigned granule_lg2, int spec_level) {
  if (granule_lg2 == 12) {
    switch (spec_level) {
      case 0:
        return 2;
      case 1:
        return 1;
      case 2:
        return 0;
      case 3:
        return 3;
    }
    return std::nullopt;
  }
  if (spec_level < 1 || spec_level > 3 || !valid_granule(granule_lg2)) return std::nullopt;
  return static_cast<unsigned>(3 - spec_level);
}

bool arm_s2_sl_consistent(unsigned granule_lg2, int spec_level, unsigned ia_bits) {
  if (spec_level < 0 || spec_level > 3) return false;
  const unsigned stride = arm_stride(granule_lg2);
  const unsigned below = static_cast<unsigned>(3 - spec_level) * stride + granule_lg2;
  // At least one bit at the initial lookup, at most a full table plus 16 concatenated.
  return ia_bits >= below + 1 && ia_bits <= below + stride + 4;
}

std::string ArmLpaeConfig::validate() const {
  if (stage != ArmStage::kStage1 && stage != ArmStage::kStage2) return "arm_lpae: bad stage";
  if (!valid_granule(granule_lg2)) return "arm_lpae: granule_lg2 must be 12, 14 or 16";
  if (tsz < kMinTsz || tsz > max_tsz(granule_lg2, ttst)) {
    return "arm_lpae: tsz out of range for this granule (16..39, or 47/48 with ttst)";
  }
  if (!valid_pa_size(oas_bits)) return "arm_lpae: oas_bits must be 32, 36, 40, 42, 44 or 48";
  if (!valid_pa_size(pa_max_bits)) {
    return "arm_lpae: pa_max_bits must be 32, 36, 40, 42, 44 or 48";
  }
  if (stage == ArmStage::kStage2) {
    if (sl0 > 3) return "arm_lpae: sl0 must be in [0, 3]";
    if (tbi || hpd || wxn || pan) return "arm_lpae: tbi/hpd/wxn/pan are stage-1 controls";
  } else if (xnx) {
    return "arm_lpae: xnx is a stage-2 control";
  }
  return {};
}

ArmLpaeConfig arm_s1_config(unsigned granule_lg2, unsigned t0sz, unsigned ips_bits) {
  ArmLpaeConfig c;
  c.stage = ArmStage::kStage1;
  c.granule_lg2 = granule_lg2;
  c.tsz = t0sz;
  c.oas_bits = ips_bits;
  return c;
}

ArmLpaeConfig arm_s2_config(unsigned granule_lg2, unsigned t0sz, unsigned sl0, unsigned ps_bits) {
  ArmLpaeConfig c;
  c.stage = ArmStage::kStage2;
  c.granule_lg2 = granule_lg2;
  c.tsz = t0sz;
  c.sl0 = sl0;
  c.oas_bits = ps_bits;
  return c;
}

ArmLpaeFormat::ArmLpaeFormat(const ArmLpaeConfig& cfg) : cfg_(cfg) {
  if (std::string why = cfg.validate(); !why.empty()) throw std::invalid_argument(why);
  const unsigned g = cfg.granule_lg2;
  const unsigned ia = cfg.ia_bits();
  oa_bits_ = cfg.oas_bits < cfg.pa_max_bits ? cfg.oas_bits : cfg.pa_max_bits;

  int start = arm_s1_start_level(g, ia);
  if (stage2()) {
    const std::optional<int> sl = arm_s2_sl0_level(g, cfg.sl0, cfg.ttst, cfg.pa_max_bits);
    walkable_ = sl && arm_s2_sl_consistent(g, *sl, ia);
    // A faulting configuration keeps the stage-1 geometry so tables stay well formed.
    if (walkable_) start = *sl;
  }
  top_ = static_cast<unsigned>(3 - start);
  top_bits_ = ia - item_lg2sz(top_);

  // RES0 fields (Tables D8-50..D8-53, 48-bit OA, non-secure, no BTI/BBML1/LPA/DS).
  if (!cfg.strict_res0) return;
  const uint64_t no_lpa = mask(49, 48);
  const uint64_t bit50 = 1ull << 50;
  // Tables: bits g-1:12 below a 16/64 KiB table address.
  rsvd_table_ =
      no_lpa | bit50 | (g > 12 ? mask(g - 1, 12) : 0) | (stage2() ? mask(63, 59) : kNSTable);
  // Stage-1 bit 50 is GP (FEAT_BTI), a PE instruction-fetch attribute that CPU tables shared
  // with an SMMU carry: not treated as RES0.
  const uint64_t leaf = no_lpa | (stage2() ? (bit50 | (1ull << 63) | (cfg.xnx ? 0 : kPXN)) : kNS);
  for (unsigned level = 0; level < 4; ++level) {
    // Pages: bits g-1:12 (16/64 KiB). Blocks: every bit from 12 below the block size.
    const unsigned low_top = level == 0 ? g - 1 : item_lg2sz(level) - 1;
    rsvd_leaf_[level] = leaf | (low_top >= 12 ? mask(low_top, 12) : 0);
  }
}

std::optional<ArmLpaeFormat> ArmLpaeFormat::create(const ArmLpaeConfig& cfg, std::string* why) {
  std::string err = cfg.validate();
  if (!err.empty()) {
    if (why) *why = err;
    return std::nullopt;
  }
  return ArmLpaeFormat(cfg);
}

uint64_t ArmLpaeFormat::page_size_bitmap() const {
  uint64_t m = 0;
  for (unsigned l = 0; l <= top_; ++l) {
    if (can_have_leaf(l)) m |= lg2_size(item_lg2sz(l));
  }
  return m;
}

std::optional<uint64_t> ArmLpaeFormat::encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                                   const MapAttrs& a) const {
  if (page_lg2 != item_lg2sz(level) || !can_have_leaf(level)) return std::nullopt;
  if (oa & ~mask(oa_bits_ - 1, page_lg2)) return std::nullopt;
  const uint64_t type = kValid | (level == 0 ? kTableOrPage : 0);
  if (!stage2()) {
    const uint64_t allowed = kAttrIndx | kSH | kNG | kSoftware | (1ull << 63);
    if (a.extra & ~allowed) return std::nullopt;
    if (a.user && a.write && a.exec) return std::nullopt;  // R VWLLR: no EL1 execute
    if (cfg_.wxn && a.write && a.exec) return std::nullopt;
    if (cfg_.pan && a.user) return std::nullopt;  // EL1 could not access it
    uint64_t e = oa | type | kAF | a.extra;
    if (!a.write) e |= kAP2;
    if (a.user) e |= kAP1;
    if (!(a.exec && a.user)) e |= kUXN;
    if (!a.exec) e |= kPXN;
    return e;
  }
  const uint64_t allowed = kMemAttr | kSH | kSoftware | mask(62, 60);
  if (a.extra & ~allowed) return std::nullopt;
  uint64_t e = oa | type | kAF | a.extra;
  if (a.read) e |= kS2APR;
  if (a.write) e |= kS2APW;
  if (!cfg_.xnx) {
    if (!a.exec) e |= kUXN;
  } else if (!a.exec) {
    e |= kUXN;  // XN[1:0] = 10: no execute
  } else if (!a.user) {
    e |= kUXN | kPXN;  // XN[1:0] = 11: EL1 only
  }
  return e;
}

template class Builder<ArmLpaeFormat>;

}  // namespace isim::pt
