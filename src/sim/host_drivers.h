// The built-in host drivers behind the domain API, registered by IOMMU type
// (host/driver_registry.h).
#pragma once

namespace isim {

/// Registers the VT-d and AMD-Vi adapters (idempotent).
void register_host_drivers();

}  // namespace isim
