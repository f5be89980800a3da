// Serving TLM register accesses from a RegBank: every model's MMIO socket does the same
// unpacking of a generic payload into (offset, size, value), so it is written once here.
#pragma once

#include <tlm>

#include "hw/reg_bank.h"

namespace isim {

/// Performs the register access `tx` describes (its address is the offset in the bank) and
/// sets its response: OK for every access the bank decodes, including the RAZ/WI cases it
/// reports through the returned status (unmapped, misaligned, bad size), so the model can
/// count or escalate them; TLM_BYTE_ENABLE_ERROR_RESPONSE for byte-enabled or streaming
/// accesses, which no IOMMU register interface supports.
RegAccessStatus serve_register_access(RegBank& bank, tlm::tlm_generic_payload& tx);

}  // namespace isim
