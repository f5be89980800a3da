// SR-IOV: a physical function's virtual functions and their requester IDs, as the SR-IOV
// Extended Capability defines them (PCIe 6.0 9.3.3: NumVFs, First VF Offset, VF Stride; 6.13
// ARI). A config entry with `sriov:` becomes the PF plus NumVFs entries `<name>_vf<n>`, each
// its own requester (assignable to its own domain) with the PF's type, params and workload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/param_types.h"

namespace isim {

struct SriovParams {
  uint32_t num_vfs = 0;          ///< NumVFs: VFs enabled
  uint32_t first_vf_offset = 1;  ///< First VF Offset: VF 1's routing ID minus the PF's
  uint32_t vf_stride = 1;        ///< VF Stride: routing-ID distance between consecutive VFs
  bool ari = true;               ///< ARI Capable Hierarchy: the 8 bits below the bus are all
                                 ///< function number (else device 0, functions 0-7 only)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    v.param("num_vfs", num_vfs, "NumVFs: virtual functions enabled", Range<uint32_t>{1, 65535});
    v.param("first_vf_offset", first_vf_offset, "First VF Offset (routing-ID units)",
            Range<uint32_t>{1, 65535});
    v.param("vf_stride", vf_stride, "VF Stride (routing-ID units)", Range<uint32_t>{1, 65535});
    v.param("ari", ari, "ARI Capable Hierarchy (8-bit function numbers)");
  }
};

/// PCIe 9.3.3.10/11: VF n's routing ID = PF routing ID + First VF Offset + (n - 1) * VF Stride
/// (n = 1..NumVFs), in 16-bit routing-ID arithmetic: a carry out of the device/function
/// byte moves the VF to a higher bus. Empty when it would pass bus 255.
std::optional<uint16_t> vf_rid(uint16_t pf_rid, const SriovParams& p, uint32_t n);

/// Why VF `n`'s routing ID is not usable, or empty. Without ARI a function below a
/// downstream port can only be device 0 (functions 0-7), on the PF's bus or the buses the
/// device captures above it.
std::string vf_rid_problem(uint16_t pf_rid, const SriovParams& p, uint32_t n);

}  // namespace isim
