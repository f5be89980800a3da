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

class PaprInterface {
 public:
  virtual ~PaprInterface() = default;
  /// A hypervisor call, e.g. name "H_PUT_TCE", args {liobn, ioba, tce}. Must be called from an
  /// SC_THREAD: it takes simulated time.
  virtual PaprResult hcall(std::string_view name, std::span<const uint64_t> args) = 0;
  /// An RTAS call, e.g. "ibm,create-pe-dma-window" with its input array.
  virtual PaprResult rtas(std::string_view name, std::span<const uint64_t> args) = 0;
};

/// Value of a PAPR hcall return-code name (H_SUCCESS, H_PARAMETER, ... as LoPAPR defines them;
/// values cross-checked with Linux hvcall.h), or nullopt.
std::optional<int64_t> papr_code(std::string_view name);

}  // namespace isim
