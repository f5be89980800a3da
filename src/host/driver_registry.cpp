#include "host/driver_registry.h"

#include <map>

namespace isim::host {
namespace {

std::map<std::string, DriverFactory>& drivers() {
  static std::map<std::string, DriverFactory> m;
  return m;
}

}  // namespace

void register_driver(const std::string& iommu_type, DriverFactory make) {
  drivers()[iommu_type] = std::move(make);
}

const DriverFactory* find_driver(const std::string& iommu_type) {
  auto it = drivers().find(iommu_type);
  return it == drivers().end() ? nullptr : &it->second;
}

std::vector<std::string> driver_types() {
  std::vector<std::string> v;
  for (const auto& [name, f] : drivers()) v.push_back(name);
  return v;
}

}  // namespace isim::host
