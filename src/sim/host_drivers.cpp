#include "sim/host_drivers.h"

#include "host/driver_registry.h"
#include "models/amdvi/host_adapter.h"
#include "models/smmuv3/host_adapter.h"
#include "models/tce/host_adapter.h"
#include "models/vtd/host_adapter.h"

namespace isim {

// One entry per architecture with an adapter: a new adapter plugs in here.
void register_host_drivers() {
  host::register_driver("vtd", host::PtFormat::vtd_second_stage,
                        [](host::HostBus& bus, const host::DriverSetup& s) {
                          vtd::DriverOptions o;
                          o.scalable = s.scalable;
                          o.table_base = s.pool_base;
                          o.table_limit = s.pool_limit;
                          return std::make_unique<vtd::VtdHostAdapter>(bus, o);
                        });
  host::register_driver("amdvi", host::PtFormat::amd_v1,
                        [](host::HostBus& bus, const host::DriverSetup& s) {
                          amdvi::AdapterOptions o;
                          o.pool_base = s.pool_base;
                          o.pool_limit = s.pool_limit;
                          return std::make_unique<amdvi::AmdviHostAdapter>(bus, o);
                        });
  host::register_driver("smmuv3", host::PtFormat::arm_lpae_s1,
                        [](host::HostBus& bus, const host::DriverSetup& s) {
                          smmuv3::AdapterOptions o;
                          o.ats = s.ats;
                          o.driver.pool_base = s.pool_base;
                          o.driver.pool_limit = s.pool_limit;
                          return std::make_unique<smmuv3::Smmuv3HostAdapter>(bus, o);
                        });
  // A pseries partition's driver: the bus's PAPR interface, the default window's TCE tables.
  host::register_driver("tce", host::PtFormat::tce,
                        [](host::HostBus& bus, const host::DriverSetup& s) {
                          tce::AdapterOptions o;
                          o.pool_base = s.pool_base;
                          o.pool_limit = s.pool_limit;
                          return std::make_unique<tce::TceHostAdapter>(bus, o);
                        });
}

}  // namespace isim
