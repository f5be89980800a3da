#include "sim/registry.h"

#include "models/amdvi/amdvi_iommu.h"
#include "models/amdvi/host_driver.h"
#include "models/devices/dma_api_device.h"
#include "models/devices/generator.h"
#include "models/devices/mdev_device.h"
#include "models/devices/scenario_port.h"
#include "models/devices/swq_device.h"
#include "models/devices/trace_player.h"
#include "models/devices/viommu_device.h"
#include "models/none/none_iommu.h"
#include "models/smmuv3/host_driver.h"
#include "models/smmuv3/smmuv3_iommu.h"
#include "models/tce/guest_driver.h"
#include "models/tce/tce_iommu.h"
#include "models/vtd/vtd_iommu.h"
#include "sim/host_drivers.h"

namespace isim {

Registry<IommuBase>& iommu_types() {
  static Registry<IommuBase> r;
  return r;
}

Registry<DeviceBase>& device_types() {
  static Registry<DeviceBase> r;
  return r;
}

void register_builtin_components() {
  static bool done = false;
  if (done) return;
  done = true;
  register_none_iommu();
  register_tce_iommu();
  register_vtd_iommu();
  register_amdvi_iommu();
  register_smmuv3_iommu();
  register_scenario_port();
  register_generator();
  register_dma_api_device();
  register_viommu_device();
  register_trace_player();
  register_tce_guest();
  register_amdvi_host();
  register_smmuv3_host();
  register_swq_device();
  register_mdev_parent_device();
  register_host_drivers();
}

}  // namespace isim
