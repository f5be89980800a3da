// The PAPR partition interface (LoPAPR hypervisor calls and RTAS) as a model exposes
// it: scenario `hcall`/`rtas` steps and guest software models call it by name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace isim {

/// Outputs of one call: for an hcall, r3 (status) then r4...; for RTAS, the rets array (status
/// first). Values are register images (negative codes are two's complement).
struct PaprResult {
  std::vector<uint64_t> rets;
  bool known = true;  ///< false: the target does not implement a call of that name
};

/// What partition firmware describes about one PCI function's DMA in the device tree, as a
/// pseries kernel reads it at boot: the PE node's "ibm,dma-window" (LIOBN, bus address, size of
/// the default window), "ibm,ddw-applicable" / "ibm,ddw-extensions" (the DDW RTAS calls and
/// reset), "hcall-multi-tce" in "ibm,hypertas-functions", the PHB's BUID, the memory nodes.
struct PaprDmaInfo {
  uint32_t pe = 0;           ///< the function's PE: functions of one PE share its windows
  uint32_t config_addr = 0;  ///< RTAS PCI configuration address of the function
  uint64_t buid = 0;         ///< PHB bus unit ID (RTAS callers pass it as hi, lo words)
  uint64_t liobn = 0;        ///< ibm,dma-window: LIOBN of the default window
  uint64_t window_base = 0;  ///< ibm,dma-window: its first bus address
  uint64_t window_size = 0;  ///< ibm,dma-window: its size in bytes
  unsigned page_lg2 = 12;    ///< its TCE page size (the property has none; 4 KiB on PAPR)
  uint64_t memory_size = 0;  ///< partition memory [0, size): what TCEs may map
  bool multi_tce = true;     ///< H_PUT_TCE_INDIRECT and H_STUFF_TCE are offered
  bool ddw = true;           ///< ibm,query-/create-/remove-pe-dma-window are offered
  bool ddw_reset = true;     ///< ibm,reset-pe-dma-window is offered
};

class PaprInterface {
 public:
  virtual ~PaprInterface() = default;
  /// A hypervisor call, e.g. name "H_PUT_TCE", args {liobn, ioba, tce}. Must be called from an
  /// SC_THREAD: it takes simulated time.
  virtual PaprResult hcall(std::string_view name, std::span<const uint64_t> args) = 0;
  /// An RTAS call, e.g. "ibm,create-pe-dma-window" with its input array.
  virtual PaprResult rtas(std::string_view name, std::span<const uint64_t> args) = 0;
  /// The device-tree description of requester `rid`'s DMA, or nullopt when the target
  /// describes none.
  virtual std::optional<PaprDmaInfo> dma_info(uint16_t rid) const {
    (void)rid;
    return std::nullopt;
  }
};

/// Value of a PAPR hcall return-code name (H_SUCCESS, H_PARAMETER, ... as LoPAPR defines them;
/// values cross-checked with Linux hvcall.h), or nullopt.
std::optional<int64_t> papr_code(std::string_view name);

}  // namespace isim
