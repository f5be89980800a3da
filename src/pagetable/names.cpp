#include "pagetable/builder.h"
#include "pagetable/walk_types.h"

namespace isim::pt {

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::None:
      return "none";
    case FaultKind::NotPresent:
      return "not-present";
    case FaultKind::Permission:
      return "permission";
    case FaultKind::ReservedBit:
      return "reserved-bit";
    case FaultKind::AddressSize:
      return "address-size";
    case FaultKind::BusError:
      return "bus-error";
    case FaultKind::AccessFlag:
      return "access-flag";
    case FaultKind::SkippedBitsNonZero:
      return "skipped-bits-non-zero";
  }
  return "?";
}

const char* to_string(MapStatus s) {
  switch (s) {
    case MapStatus::Ok:
      return "ok";
    case MapStatus::Misaligned:
      return "misaligned";
    case MapStatus::SizeNotSupported:
      return "size-not-supported";
    case MapStatus::AlreadyMapped:
      return "already-mapped";
    case MapStatus::NoTableMemory:
      return "no-table-memory";
    case MapStatus::VaOutOfRange:
      return "va-out-of-range";
    case MapStatus::OaOutOfRange:
      return "oa-out-of-range";
    case MapStatus::AttrsNotSupported:
      return "attrs-not-supported";
    case MapStatus::PartialLeaf:
      return "partial-leaf";
    case MapStatus::BusError:
      return "bus-error";
    case MapStatus::BadTable:
      return "bad-table";
  }
  return "?";
}

}  // namespace isim::pt
