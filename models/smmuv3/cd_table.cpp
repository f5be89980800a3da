#include "models/smmuv3/cd_table.h"

#include <cstring>

namespace isim::smmuv3 {

namespace {
constexpr unsigned kCdLg2 = 6;
constexpr unsigned kL1CdLg2 = 3;
constexpr unsigned kSplit4K = 6;    // 64 CDs in a 4 KiB leaf table
constexpr unsigned kSplit64K = 10;  // 1024 CDs in a 64 KiB leaf table
// A structure fetch is a privileged data read (stage-2 permission checks, IHI 0070 3.4.3).
constexpr pt::AccessReq kFetch = pt::AccessReq::r(/*priv=*/true);
}  // namespace

CdFetch fetch_cd(PhysMem& mem, const Ste& ste, uint32_t ssid, const IdParams& caps,
                 const Stage2Fn* s2, ReadLog* log) {
  CdFetch f;
  // The address size structure addresses must fit: IAS with stage 2, else OAS (3.4.3).
  const unsigned range = s2 ? caps.ias_bits() : caps.oas_bits;

  // Translate (if stage 2 is on) and read one structure; false leaves the status set.
  auto fetch = [&](uint64_t addr, void* dst, size_t len, ReadKind kind) {
    uint64_t pa = addr;
    if (s2) {
      pt::WalkLog wl;
      const pt::StageResult t = (*s2)(addr, kFetch, wl);
      if (log) log->append(wl);
      if (!t.ok()) {
        f.status = CdFetchStatus::kS2Fault;
        f.s2_ipa = addr;
        f.s2_fault = t.fault;
        return false;
      }
      pa = t.tr.oa;
    }
    const bool ok = (pa >> caps.oas_bits) == 0 && mem.read(pa, dst, len);
    uint64_t first = 0;
    if (ok) std::memcpy(&first, dst, sizeof first);
    if (log) log->push({pa, first, static_cast<uint8_t>(len), kind, 0, ok});
    if (!ok) {
      f.status = CdFetchStatus::kFetchAbort;
      f.fetch_addr = pa;
    }
    return ok;
  };

  uint64_t cd_addr;
  const S1Fmt fmt = ste.fmt();
  if (ste.s1cdmax == 0) {
    cd_addr = ste.s1_context_ptr;
  } else if (fmt == S1Fmt::kLinear) {
    cd_addr = ste.s1_context_ptr + (uint64_t{ssid} << kCdLg2);
  } else {
    const unsigned split = fmt == S1Fmt::k2Level4K ? kSplit4K : kSplit64K;
    const uint64_t l1_addr = ste.s1_context_ptr + ((uint64_t{ssid} >> split) << kL1CdLg2);
    uint64_t l1 = 0;
    if (!fetch(l1_addr, &l1, sizeof l1, ReadKind::kL1Cd)) return f;
    const uint64_t l2 = l1 & l1cd::kL2Ptr;
    if (!bit(l1, l1cd::V) || (l2 >> range) != 0) {
      f.status = CdFetchStatus::kBadSubstream;
      return f;
    }
    cd_addr = l2 + ((uint64_t{ssid} & (lg2_size(split) - 1)) << kCdLg2);
  }
  f.cd_addr = cd_addr;
  std::array<uint8_t, kCdBytes> raw{};
  if (!fetch(cd_addr, raw.data(), raw.size(), ReadKind::kCd)) return f;
  std::memcpy(f.words.data(), raw.data(), raw.size());
  return f;
}

}  // namespace isim::smmuv3
