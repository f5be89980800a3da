#include "sim/sriov.h"

#include <fmt/format.h>

namespace isim {

std::optional<uint16_t> vf_rid(uint16_t pf_rid, const SriovParams& p, uint32_t n) {
  const uint64_t rid = uint64_t{pf_rid} + p.first_vf_offset + uint64_t{n - 1} * p.vf_stride;
  if (n == 0 || rid > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(rid);
}

std::string vf_rid_problem(uint16_t pf_rid, const SriovParams& p, uint32_t n) {
  const auto rid = vf_rid(pf_rid, p, n);
  if (!rid) return fmt::format("VF {}'s requester ID would pass bus 255", n);
  if (!p.ari && ((*rid >> 3) & 0x1f) != 0)
    return fmt::format(
        "VF {} would be {:02x}:{:02x}.{}: without ARI only device 0 (functions 0-7) exists "
        "below a port",
        n, *rid >> 8, (*rid >> 3) & 0x1f, *rid & 7);
  return {};
}

}  // namespace isim
