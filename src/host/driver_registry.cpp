#include "host/driver_registry.h"

#include <map>

namespace isim::host {
namespace {

struct Entry {
  PtFormat dma_format;
  DriverFactory make;
};

std::map<std::string, Entry>& drivers() {
  static std::map<std::string, Entry> m;
  return m;
}

}  // namespace

void register_driver(const std::string& iommu_type, PtFormat dma_format, DriverFactory make) {
  drivers()[iommu_type] = Entry{dma_format, std::move(make)};
}

const DriverFactory* find_driver(const std::string& iommu_type) {
  auto it = drivers().find(iommu_type);
  return it == drivers().end() ? nullptr : &it->second.make;
}

PtFormat dma_format(const std::string& iommu_type) {
  return drivers().at(iommu_type).dma_format;
}

std::string driver_type_list() {
  std::string s;
  for (const auto& [name, e] : drivers()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::vector<std::string> driver_types() {
  std::vector<std::string> v;
  for (const auto& [name, f] : drivers()) v.push_back(name);
  return v;
}

}  // namespace isim::host
