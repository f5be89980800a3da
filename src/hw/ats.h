// The ATS vocabulary shared by DMA (hw/dma_attrs.h) and the pure-C++ layers (device TLBs,
// translators): the PCIe Address Type of a request and the translation completion.
#pragma once

#include <cstdint>

namespace isim {

/// PCIe Address Type (AT) of a request (PCIe base spec, 10.2.1).
enum class AtsType : uint8_t {
  untranslated,         ///< AT=00b: the IOMMU translates the address
  translation_request,  ///< AT=01b: a device asks for a translation (ATS)
  translated,           ///< AT=10b: the device already holds a translation from its ATC
};

/// Result of a translation request, filled by the IOMMU (ATS translation completion).
struct AtsCompletion {
  bool valid = false;              ///< a completion was produced (false: unsupported request)
  uint64_t translated = 0;         ///< output address of the page containing the request
  unsigned page_lg2 = 12;          ///< size of the translated range
  bool read = false;               ///< R: reads permitted
  bool write = false;              ///< W: writes permitted
  bool exec = false;               ///< Exe
  bool priv = false;               ///< Priv
  bool untranslated_only = false;  ///< U: the device must not cache it, send untranslated
};

}  // namespace isim
