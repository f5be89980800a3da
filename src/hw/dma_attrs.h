// The one TLM extension every DMA carries: who issued it and in which address space.
//
// A PCIe requester ID (bus:dev.fn) doubles as SMMUv3 StreamID and AMD-Vi DeviceID; the PASID
// (PCIe TLP prefix, 20 bits) carries its privileged-mode and execute-requested flags; the ATS
// type says whether the address is untranslated, a translation request, or already translated
// (PCIe 6.0 10.2). The IOMMU answers translation requests in the same extension.
#pragma once

#include <tlm>

#include <cstdint>
#include <string_view>

#include "hw/ats.h"

namespace isim {

class DmaAttrs final : public tlm::tlm_extension<DmaAttrs> {
 public:
  static constexpr uint32_t kPasidMask = (1u << 20) - 1;

  uint16_t rid = 0;        ///< requester ID: bus[15:8] device[7:3] function[2:0]
  bool has_pasid = false;  ///< a PASID TLP prefix is present
  uint32_t pasid = 0;      ///< 20-bit PASID (valid when has_pasid)
  bool priv = false;       ///< privileged-mode requested (PASID prefix PMR)
  bool exec = false;       ///< execute requested (PASID prefix ER)
  AtsType ats = AtsType::untranslated;
  std::string_view device;   ///< issuing device's name (points at storage it owns)
  AtsCompletion completion;  ///< filled by the IOMMU for translation requests
  /// Where memory received the DMA's first byte, set by the memory model on the first access
  /// it serves (pieces reach it in address order), so a trace player can check a trace's
  /// expected output address whatever IOMMU translated it. The issuer clears `out_seen`.
  bool out_seen = false;
  uint64_t out = 0;

  tlm::tlm_extension_base* clone() const override { return new DmaAttrs(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DmaAttrs&>(other);
  }
};

}  // namespace isim
