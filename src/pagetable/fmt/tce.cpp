#include "pagetable/fmt/tce.h"

#include <stdexcept>

#include "pagetable/builder_impl.h"

namespace isim::pt {

namespace {

// IODA3 IO_PSIZE (4 KiB, 64 KiB, 2 MiB, 16 MiB, 256 MiB, 1 GiB) and the 16 GiB DDW page size
// (LoPAPR ibm,query-pe-dma-window page-size mask).
bool valid_page(unsigned lg2) {
  return lg2 == 12 || lg2 == 16 || lg2 == 21 || lg2 == 24 || lg2 == 28 || lg2 == 30 || lg2 == 34;
}

constexpr unsigned kMaxTceLevels = 5;       // IODA3 NUM_LEVELS is levels - 1, at most 4
constexpr unsigned kMinMultiLevelBits = 9;  // IODA3: each table is at least 4 KiB
constexpr unsigned kMaxLevelBits = 28;      // a 2 GiB table: far beyond any real window

}  // namespace

unsigned TceConfig::level_bits() const {
  if (level_shift != 0) return level_shift >= 3 ? level_shift - 3 : 0;
  const unsigned n = window_lg2 > page_lg2 ? window_lg2 - page_lg2 : 0;
  if (levels <= 1) return n;
  const unsigned per = (n + levels - 1) / levels;
  return per < kMinMultiLevelBits ? kMinMultiLevelBits : per;
}

std::string TceConfig::validate() const {
  if (!valid_page(page_lg2)) return "tce: page_lg2 must be 12, 16, 21, 24, 28, 30 or 34";
  if (levels < 1 || levels > kMaxTceLevels) return "tce: levels must be in [1, 5]";
  if (window_lg2 <= page_lg2 || window_lg2 > 63) {
    return "tce: window_lg2 must be above page_lg2 and at most 63";
  }
  if (oa_bits <= page_lg2 || oa_bits > 64) return "tce: oa_bits must be in (page_lg2, 64]";
  const unsigned bits = level_bits();
  if (bits < 1 || bits > kMaxLevelBits) return "tce: tables must hold 2 to 2^28 entries";
  if (page_lg2 + bits * levels < window_lg2) return "tce: the tables do not cover the window";
  if (page_lg2 + bits * (levels - 1) > 63) return "tce: too many levels for this page size";
  return {};
}

TceFormat::TceFormat(const TceConfig& cfg) : cfg_(cfg) {
  if (std::string why = cfg.validate(); !why.empty()) throw std::invalid_argument(why);
  bits_ = cfg.level_bits();
}

std::optional<TceFormat> TceFormat::create(const TceConfig& cfg, std::string* why) {
  std::string err = cfg.validate();
  if (!err.empty()) {
    if (why) *why = err;
    return std::nullopt;
  }
  return TceFormat(cfg);
}

std::optional<uint64_t> TceFormat::encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                               const MapAttrs& a) const {
  if (level != 0 || page_lg2 != cfg_.page_lg2) return std::nullopt;
  if (!a.read && !a.write) return std::nullopt;
  if (a.exec && !a.read) return std::nullopt;
  if (a.extra & ~mask(11, 2)) return std::nullopt;
  if (oa & ~mask(cfg_.oa_bits - 1, page_lg2)) return std::nullopt;
  uint64_t e = oa | a.extra;
  if (a.read) e |= kRead;
  if (a.write) e |= kWrite;
  return e;
}

template class Builder<TceFormat>;

}  // namespace isim::pt
