// AMD-Vi event log entries (128 bits each; event code in bits 63:60).
//
// Source: AMD IOMMU 48882 rev 3.x, 2.5 "Event Logging" (2.5.2 ILLEGAL_DEV_TABLE_ENTRY, 2.5.3
// IO_PAGE_FAULT, 2.5.4 DEV_TAB_HARDWARE_ERROR, 2.5.5 PAGE_TAB_HARDWARE_ERROR, 2.5.6
// ILLEGAL_COMMAND_ERROR, 2.5.7 COMMAND_HARDWARE_ERROR, 2.5.8 IOTLB_INV_TIMEOUT, 2.5.9
// INVALID_DEVICE_REQUEST); digest section 1.10 (Linux iommu_print_event, FreeBSD
// amdvi_decode_evt_flag, VirtualBox iommu-amd.h).
//
// Per-event layouts (bit numbers within the 128-bit entry):
//   ILLEGAL_DEV_TABLE_ENTRY  15:0 DeviceID, 19:16 PASID[19:16], 47:32 PASID[15:0], 48 GN,
//                            51 I, 53 RW, 55 RZ, 56 TR, 127:64 address (the request address)
//   IO_PAGE_FAULT            15:0 DeviceID, 19:16 PASID[19:16] (GN=1), 47:32 DomainID (GN=0) or
//                            PASID[15:0] (GN=1), 48 GN, 49 NX, 50 US, 51 I, 52 PR, 53 RW,
//                            54 PE, 55 RZ, 56 TR, 127:64 address
//   DEV_TAB_HARDWARE_ERROR   15:0 DeviceID, 51 I, 53 RW, 56 TR, 58:57 Type, 127:64 DTE address
//   PAGE_TAB_HARDWARE_ERROR  15:0 DeviceID, 47:32 DomainID / PASID[15:0], 48 GN, 51 I, 53 RW,
//                            56 TR, 58:57 Type, 127:64 address of the table entry
//   ILLEGAL_COMMAND_ERROR    127:64 address of the command
//   COMMAND_HARDWARE_ERROR   58:57 Type, 127:64 address of the failed access
//   IOTLB_INV_TIMEOUT        15:0 DeviceID, 127:68 address of the timed-out command [67:64 = 0]
//   INVALID_DEVICE_REQUEST   15:0 DeviceID, 19:16 PASID[19:16], 47:32 PASID[15:0], 48 GN,
//                            49 US, 56 TR, 59:57 Type, 127:64 address
// Hardware-error Type (58:57): 01b master abort, 10b target abort, 11b data error.
#pragma once

#include <array>
#include <cstdint>

namespace isim::amdvi {

using Qw2 = std::array<uint64_t, 2>;

inline constexpr unsigned kEventBytes = 16;

enum class EventCode : uint8_t {
  None = 0x0,
  IllegalDevTableEntry = 0x1,
  IoPageFault = 0x2,
  DevTabHardwareError = 0x3,
  PageTabHardwareError = 0x4,
  IllegalCommandError = 0x5,
  CommandHardwareError = 0x6,
  IotlbInvTimeout = 0x7,
  InvalidDeviceRequest = 0x8,
  InvalidPprRequest = 0x9,  ///< listed; not produced by this layer
  EventCounterZero = 0xA,   ///< listed; performance counters are not modelled
};
const char* to_string(EventCode c);

/// Hardware-error Type field (DEV_TAB / PAGE_TAB / COMMAND_HARDWARE_ERROR).
enum class HwErrorType : uint8_t { Reserved = 0, MasterAbort = 1, TargetAbort = 2, DataError = 3 };

/// INVALID_DEVICE_REQUEST Type field (2.5.9, event bits 59:57). Only the value this model
/// produces is named. Type 1 is the "pretranslated transaction from a device whose DTE has I = 0
/// or V = 0" row; the TR flag (bit 56) tells a translation request from a translated one.
/// [UNVERIFIED] against the spec table: Type 5 is the posted write to the interrupt/EOI range
/// with IntCtl = 00b (a Linux-logged event with flags 0x0a00 quotes the spec text for it), so
/// the earlier choice of 5 for translation requests was wrong; no separate Type for an ATS
/// translation request with I = 0 is known, so the model uses Type 1 with TR = 1.
enum class InvalidRequestType : uint8_t {
  TranslatedWithoutIotlb = 1,   ///< pretranslated request from a device whose DTE has I = 0
  TranslationWithoutIotlb = 1,  ///< ATS translation request, DTE I = 0 (TR = 1)
};

/// One event log entry, decoded. Fields an event type does not have stay zero and are not
/// encoded.
struct Event {
  EventCode code = EventCode::None;
  uint16_t device_id = 0;
  uint32_t pasid = 0;  ///< with gn (and always for ILLEGAL_DEV_TABLE_ENTRY / INVALID_DEVICE_REQ)
  uint16_t domain_id = 0;  ///< IO_PAGE_FAULT / PAGE_TAB_HARDWARE_ERROR with gn = 0
  bool gn = false;         ///< guest (PASID-tagged) request
  bool nx = false;         ///< execute request
  bool us = false;         ///< user request
  bool i = false;          ///< interrupt request (0: memory transaction)
  bool pr = false;         ///< the page was present (IO_PAGE_FAULT)
  bool rw = false;         ///< write (1) or read (0)
  bool pe = false;         ///< permission error
  bool rz = false;         ///< reserved bit non-zero (0: invalid level encoding)
  bool tr = false;         ///< ATS translation request
  uint8_t type = 0;        ///< HwErrorType or InvalidRequestType
  uint64_t addr = 0;

  Qw2 encode() const;
  static Event decode(const Qw2& q);
  bool operator==(const Event&) const = default;

  // Constructors for each architected event.
  static Event illegal_dte(uint16_t dev, uint64_t addr, bool rz, bool rw, bool tr);
  static Event io_page_fault(uint16_t dev, uint64_t addr);
  static Event dev_tab_hw_error(uint16_t dev, uint64_t dte_addr, HwErrorType t, bool rw, bool tr);
  static Event page_tab_hw_error(uint16_t dev, uint64_t entry_addr, HwErrorType t, bool rw,
                                 bool tr);
  static Event illegal_command(uint64_t cmd_addr);
  static Event command_hw_error(uint64_t addr, HwErrorType t);
  static Event iotlb_inv_timeout(uint16_t dev, uint64_t cmd_addr);
  static Event invalid_device_request(uint16_t dev, uint64_t addr, InvalidRequestType t, bool tr);
};

}  // namespace isim::amdvi
