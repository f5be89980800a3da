#include "host/iommu_driver.h"

#include <algorithm>

namespace isim::host {

std::string_view to_string(Vendor v) {
  switch (v) {
    case Vendor::intel_vtd:
      return "intel-vtd";
    case Vendor::amd_vi:
      return "amd-vi";
    case Vendor::arm_smmuv3:
      return "arm-smmuv3";
    case Vendor::ibm_tce:
      return "ibm-tce";
  }
  return "?";
}

std::string_view to_string(PtFormat f) {
  switch (f) {
    case PtFormat::vtd_second_stage:
      return "vtd-second-stage";
    case PtFormat::x86_64:
      return "x86-64";
    case PtFormat::amd_v1:
      return "amd-v1";
    case PtFormat::arm_lpae_s1:
      return "arm-lpae-s1";
    case PtFormat::arm_lpae_s2:
      return "arm-lpae-s2";
    case PtFormat::tce:
      return "tce";
  }
  return "?";
}

std::string_view to_string(DomainType t) {
  switch (t) {
    case DomainType::paging:
      return "paging";
    case DomainType::identity:
      return "identity";
    case DomainType::blocking:
      return "blocking";
    case DomainType::nested:
      return "nested";
  }
  return "?";
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::not_supported:
      return "not supported";
    case Status::invalid:
      return "invalid";
    case Status::no_resources:
      return "no resources";
    case Status::hw_error:
      return "hardware error";
  }
  return "?";
}

bool HwInfo::can_page(PtFormat f) const {
  return std::find(paging_formats.begin(), paging_formats.end(), f) != paging_formats.end();
}

bool HwInfo::can_nest(PtFormat f) const {
  return std::find(nest_formats.begin(), nest_formats.end(), f) != nest_formats.end();
}

std::optional<PtFormat> HwInfo::pasid_format() const {
  if (!pasid) return std::nullopt;
  PtFormat f = PtFormat::vtd_second_stage;
  switch (vendor) {
    case Vendor::intel_vtd:
      f = PtFormat::vtd_second_stage;
      break;
    case Vendor::amd_vi:
      f = PtFormat::x86_64;
      break;
    case Vendor::arm_smmuv3:
      f = PtFormat::arm_lpae_s1;
      break;
    case Vendor::ibm_tce:
      return std::nullopt;  // TCE tables have no PASIDs (PAPR)
  }
  if (!can_page(f)) return std::nullopt;
  return f;
}

}  // namespace isim::host
