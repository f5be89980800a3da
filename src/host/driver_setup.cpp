#include "host/driver_setup.h"

#include <fmt/format.h>

namespace isim::host {
namespace {

// The pool's lower half is the driver's, the upper half host page-table memory.
constexpr uint64_t kPoolHalves = 2;

/// The first user whose `get` differs from the first user's, as an error naming both and their
/// key (`key` of each user).
template <class Get, class Key>
std::string disagreement(const std::string& iommu, const std::vector<DriverRequest>& users, Key key,
                         Get get) {
  for (size_t i = 1; i < users.size(); ++i) {
    if (get(users[i]) == get(users[0])) continue;
    const std::string k0 = key(users[0]), ki = key(users[i]);
    return fmt::format(
        "devices '{}' and '{}' share IOMMU '{}' and its one host driver but disagree on {}; "
        "give them the same value or set it once in the IOMMU's host_driver: block",
        users[0].device, users[i].device, iommu, k0 == ki ? k0 : fmt::format("{} / {}", k0, ki));
  }
  return {};
}

}  // namespace

std::optional<SharedSetup> resolve_setup(const std::string& iommu, const std::string& iommu_type,
                                         const std::optional<HostDriverParams>& block,
                                         const std::vector<DriverRequest>& users,
                                         std::string* why) {
  auto fail = [&](std::string w) -> std::optional<SharedSetup> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  uint64_t base = 0, size = 0;
  Tick mmio = 0;
  if (block) {
    base = block->pool_base;
    size = block->pool_size;
    mmio = block->mmio_cost.ps;
  } else {
    if (users.empty()) return fail("IOMMU '" + iommu + "' has no host-driven device");
    auto named = [](const char* k) { return [k](const DriverRequest&) { return std::string(k); }; };
    std::string w = disagreement(iommu, users, named("pool_base"),
                                 [](const DriverRequest& u) { return u.pool_base; });
    if (w.empty())
      w = disagreement(iommu, users, named("pool_size"),
                       [](const DriverRequest& u) { return u.pool_size; });
    if (w.empty())
      w = disagreement(
          iommu, users,
          [](const DriverRequest& u) { return u.mmio_key.empty() ? "mmio_cost" : u.mmio_key; },
          [](const DriverRequest& u) { return u.mmio_cost; });
    if (!w.empty()) return fail(w);
    base = users.front().pool_base;
    size = users.front().pool_size;
    mmio = users.front().mmio_cost;
  }
  SharedSetup s;
  s.mmio_cost = mmio;
  s.driver.pool_base = base;
  for (const DriverRequest& u : users) s.driver.ats = s.driver.ats || u.ats;
  s.driver.pool_limit = base + size / kPoolHalves;
  s.host_base = s.driver.pool_limit;
  s.host_limit = base + size;
  if (iommu_type == "vtd") {
    const VtdMode mode = block ? block->vtd_mode : VtdMode::automatic;
    const DriverRequest* needs = nullptr;
    for (const DriverRequest& u : users)
      if (u.needs_scalable && needs == nullptr) needs = &u;
    if (mode == VtdMode::legacy && needs != nullptr)
      return fail(fmt::format(
          "IOMMU '{}': host_driver.vtd_mode is legacy, but device '{}' needs scalable mode ({})",
          iommu, needs->device, needs->scalable_why));
    s.driver.scalable = mode == VtdMode::scalable || (mode == VtdMode::automatic && needs);
  }
  return s;
}

}  // namespace isim::host
