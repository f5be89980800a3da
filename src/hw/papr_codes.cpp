#include <array>
#include <utility>

#include "hw/papr_if.h"

namespace isim {

std::optional<int64_t> papr_code(std::string_view name) {
  // LoPAPR hypervisor-call return codes, cross-checked with Linux arch/powerpc hvcall.h.
  static constexpr std::array<std::pair<std::string_view, int64_t>, 24> kCodes{{
      {"H_SUCCESS", 0},
      {"H_BUSY", 1},
      {"H_CLOSED", 2},
      {"H_NOT_AVAILABLE", 3},
      {"H_CONSTRAINED", 4},
      {"H_PARTIAL", 5},
      {"H_IN_PROGRESS", 14},
      {"H_HARDWARE", -1},
      {"H_FUNCTION", -2},
      {"H_PRIVILEGE", -3},
      {"H_PARAMETER", -4},
      {"H_BAD_MODE", -5},
      {"H_NOT_FOUND", -7},
      {"H_NO_MEM", -9},
      {"H_AUTHORITY", -10},
      {"H_PERMISSION", -11},
      {"H_RESOURCE", -16},
      {"H_NOT_ENOUGH_RESOURCES", -44},
      {"H_RESCINDED", -46},
      {"H_TOO_BIG", -64},
      {"H_OVERLAP", -68},
      // RTAS call status values (LoPAPR RTAS chapter): success, hardware error, parameter error.
      {"RTAS_SUCCESS", 0},
      {"RTAS_HW_ERROR", -1},
      {"RTAS_PARAM_ERROR", -3},
  }};
  for (const auto& [n, v] : kCodes)
    if (n == name) return v;
  return std::nullopt;
}

}  // namespace isim
