#include "models/devices/host_drivers.h"

#include "models/amdvi/host_adapter.h"
#include "models/vtd/host_adapter.h"

namespace isim {

std::unique_ptr<host::IommuDriver> make_host_driver(const std::string& type, host::HostBus& bus,
                                                    const HostDriverOptions& o) {
  if (type == "vtd") {
    vtd::DriverOptions v;
    v.scalable = o.scalable;
    v.table_base = o.pool_base;
    v.table_limit = o.pool_base + o.pool_size;
    return std::make_unique<vtd::VtdHostAdapter>(bus, v);
  }
  if (type == "amdvi") {
    amdvi::AdapterOptions a;
    a.pool_base = o.pool_base;
    a.pool_limit = o.pool_base + o.pool_size;
    return std::make_unique<amdvi::AmdviHostAdapter>(bus, a);
  }
  return nullptr;
}

std::string host_driver_types() {
  return "vtd, amdvi";
}

}  // namespace isim
