#include "models/smmuv3/stream_table.h"

#include <cstring>

namespace isim::smmuv3 {

namespace {
constexpr unsigned kSteLg2 = 6;    // 64-byte STEs
constexpr unsigned kL1StdLg2 = 3;  // 8-byte L1STDs
constexpr unsigned kDefaultSplit = 6;
}  // namespace

StrtabConfig decode_strtab(uint64_t strtab_base, uint32_t strtab_base_cfg, const IdParams& caps) {
  StrtabConfig st;
  const unsigned fmt = static_cast<unsigned>(bits(strtab_base_cfg, strtab::FMT_HI, strtab::FMT_LO));
  st.two_level = fmt == strtab::kFmt2Level && caps.two_level_strtab;
  const unsigned l2s =
      static_cast<unsigned>(bits(strtab_base_cfg, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO));
  st.log2size = l2s < caps.sid_bits ? l2s : caps.sid_bits;
  const unsigned split =
      static_cast<unsigned>(bits(strtab_base_cfg, strtab::SPLIT_HI, strtab::SPLIT_LO));
  st.split = (split == 6 || split == 8 || split == 10) ? split : kDefaultSplit;
  unsigned align_lg2;
  if (st.two_level) {
    const unsigned l1_bits = st.log2size > st.split ? st.log2size - st.split : 0;
    align_lg2 = l1_bits + kL1StdLg2;
  } else {
    align_lg2 = st.log2size + kSteLg2;
  }
  if (align_lg2 < kSteLg2) align_lg2 = kSteLg2;
  st.base = align_down(strtab_base & strtab::kBaseAddr, align_lg2);
  return st;
}

SteFetch fetch_ste(PhysMem& mem, const StrtabConfig& st, uint32_t sid, const IdParams& caps,
                   ReadLog* log) {
  SteFetch f;
  if (st.log2size < 32 && (uint64_t{sid} >> st.log2size) != 0) {
    f.status = SteFetchStatus::kBadStreamId;
    return f;
  }
  // IHI 0070 3.4.3: a structure address beyond the OAS is an external abort on the fetch.
  auto read = [&](uint64_t pa, void* dst, size_t len, ReadKind kind) {
    const bool ok = (pa >> caps.oas_bits) == 0 && mem.read(pa, dst, len);
    uint64_t first = 0;
    if (ok) std::memcpy(&first, dst, sizeof first);
    if (log) log->push({pa, first, static_cast<uint8_t>(len), kind, 0, ok});
    if (!ok) {
      f.status = SteFetchStatus::kFetchAbort;
      f.fetch_addr = pa;
    }
    return ok;
  };

  uint64_t ste_pa;
  if (!st.two_level) {
    ste_pa = st.base + (uint64_t{sid} << kSteLg2);
  } else {
    // 3.3.2.2: L1 index = StreamID[LOG2SIZE-1:SPLIT], L2 index = StreamID[SPLIT-1:0].
    const uint64_t l1_pa = st.base + ((uint64_t{sid} >> st.split) << kL1StdLg2);
    uint64_t l1 = 0;
    if (!read(l1_pa, &l1, sizeof l1, ReadKind::kL1Std)) return f;
    const unsigned span = static_cast<unsigned>(bits(l1, l1std::SPAN_HI, l1std::SPAN_LO));
    const uint64_t l2_index = sid & (lg2_size(st.split) - 1);
    if (span == 0 || span > l1std::kMaxSpan || span > st.split + 1 ||
        l2_index >= lg2_size(span - 1)) {
      f.status = SteFetchStatus::kBadStreamId;
      return f;
    }
    const uint64_t l2 = align_down(l1 & l1std::kL2Ptr, span - 1 + kSteLg2);
    ste_pa = l2 + (l2_index << kSteLg2);
  }
  f.ste_pa = ste_pa;
  std::array<uint8_t, kSteBytes> raw{};
  if (!read(ste_pa, raw.data(), raw.size(), ReadKind::kSte)) return f;
  std::memcpy(f.words.data(), raw.data(), raw.size());  // little-endian host (phys_mem.h)
  return f;
}

}  // namespace isim::smmuv3
