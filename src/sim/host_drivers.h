// The built-in host drivers behind the domain API, registered by IOMMU type
// (host/driver_registry.h).
#pragma once

namespace isim {

/// Registers the VT-d, AMD-Vi, SMMUv3 and TCE adapters (idempotent).
void register_host_drivers();

}  // namespace isim
