#include "models/amdvi/events.h"

#include "base/bits.h"

namespace isim::amdvi {

namespace {

// Bit positions within the first quadword (2.5: the flags sit in 59:48).
constexpr unsigned kGN = 48, kNX = 49, kUS = 50, kI = 51, kPR = 52, kRW = 53, kPE = 54, kRZ = 55,
                   kTR = 56;
constexpr unsigned kIdrUS = 49;  // INVALID_DEVICE_REQUEST puts US right after GN

uint64_t pasid_fields(uint64_t q, uint32_t pasid) {
  q = set_bits(q, 19, 16, bits(pasid, 19, 16));
  return set_bits(q, 47, 32, bits(pasid, 15, 0));
}
uint32_t pasid_of(uint64_t q) {
  return static_cast<uint32_t>((bits(q, 19, 16) << 16) | bits(q, 47, 32));
}

}  // namespace

const char* to_string(EventCode c) {
  switch (c) {
    case EventCode::None:
      return "NONE";
    case EventCode::IllegalDevTableEntry:
      return "ILLEGAL_DEV_TABLE_ENTRY";
    case EventCode::IoPageFault:
      return "IO_PAGE_FAULT";
    case EventCode::DevTabHardwareError:
      return "DEV_TAB_HARDWARE_ERROR";
    case EventCode::PageTabHardwareError:
      return "PAGE_TAB_HARDWARE_ERROR";
    case EventCode::IllegalCommandError:
      return "ILLEGAL_COMMAND_ERROR";
    case EventCode::CommandHardwareError:
      return "COMMAND_HARDWARE_ERROR";
    case EventCode::IotlbInvTimeout:
      return "IOTLB_INV_TIMEOUT";
    case EventCode::InvalidDeviceRequest:
      return "INVALID_DEVICE_REQUEST";
    case EventCode::InvalidPprRequest:
      return "INVALID_PPR_REQUEST";
    case EventCode::EventCounterZero:
      return "EVENT_COUNTER_ZERO";
  }
  return "?";
}

Qw2 Event::encode() const {
  uint64_t q = uint64_t{static_cast<uint8_t>(code)} << 60;
  uint64_t a = addr;
  switch (code) {
    case EventCode::IllegalDevTableEntry:
      q |= device_id;
      q = pasid_fields(q, pasid);
      q = set_bit(q, kGN, gn);
      q = set_bit(q, kI, i);
      q = set_bit(q, kRW, rw);
      q = set_bit(q, kRZ, rz);
      q = set_bit(q, kTR, tr);
      break;
    case EventCode::IoPageFault:
      q |= device_id;
      if (gn) {
        q = pasid_fields(q, pasid);
      } else {
        q = set_bits(q, 47, 32, domain_id);
      }
      q = set_bit(q, kGN, gn);
      q = set_bit(q, kNX, nx);
      q = set_bit(q, kUS, us);
      q = set_bit(q, kI, i);
      q = set_bit(q, kPR, pr);
      q = set_bit(q, kRW, rw);
      q = set_bit(q, kPE, pe);
      q = set_bit(q, kRZ, rz);
      q = set_bit(q, kTR, tr);
      break;
    case EventCode::DevTabHardwareError:
      q |= device_id;
      q = set_bit(q, kI, i);
      q = set_bit(q, kRW, rw);
      q = set_bit(q, kTR, tr);
      q = set_bits(q, 58, 57, type);
      break;
    case EventCode::PageTabHardwareError:
      q |= device_id;
      q = set_bits(q, 47, 32, gn ? bits(pasid, 15, 0) : domain_id);
      q = set_bit(q, kGN, gn);
      q = set_bit(q, kI, i);
      q = set_bit(q, kRW, rw);
      q = set_bit(q, kTR, tr);
      q = set_bits(q, 58, 57, type);
      break;
    case EventCode::IllegalCommandError:
      break;
    case EventCode::CommandHardwareError:
      q = set_bits(q, 58, 57, type);
      break;
    case EventCode::IotlbInvTimeout:
      q |= device_id;
      a &= mask(63, 4);  // 127:68: commands are 16-byte aligned
      break;
    case EventCode::InvalidDeviceRequest:
      q |= device_id;
      q = pasid_fields(q, pasid);
      q = set_bit(q, kGN, gn);
      q = set_bit(q, kIdrUS, us);
      q = set_bit(q, kTR, tr);
      q = set_bits(q, 59, 57, type);
      break;
    default:
      q |= device_id;
      break;
  }
  return {q, a};
}

Event Event::decode(const Qw2& w) {
  const uint64_t q = w[0];
  Event e;
  e.code = static_cast<EventCode>(bits(q, 63, 60));
  e.addr = w[1];
  switch (e.code) {
    case EventCode::IllegalDevTableEntry:
    case EventCode::InvalidDeviceRequest:
      e.pasid = pasid_of(q);
      break;
    case EventCode::IoPageFault:
      if (bit(q, kGN)) {
        e.pasid = pasid_of(q);
      } else {
        e.domain_id = static_cast<uint16_t>(bits(q, 47, 32));
      }
      break;
    case EventCode::PageTabHardwareError:
      if (bit(q, kGN)) {
        e.pasid = static_cast<uint32_t>(bits(q, 47, 32));
      } else {
        e.domain_id = static_cast<uint16_t>(bits(q, 47, 32));
      }
      break;
    default:
      break;
  }
  if (e.code != EventCode::IllegalCommandError && e.code != EventCode::CommandHardwareError) {
    e.device_id = static_cast<uint16_t>(bits(q, 15, 0));
  }
  e.gn = bit(q, kGN);
  e.i = bit(q, kI);
  e.rw = bit(q, kRW);
  e.tr = bit(q, kTR);
  if (e.code == EventCode::InvalidDeviceRequest) {
    e.us = bit(q, kIdrUS);
    e.type = static_cast<uint8_t>(bits(q, 59, 57));
    e.i = e.rw = false;
  } else {
    e.nx = bit(q, kNX);
    e.us = bit(q, kUS);
    e.pr = bit(q, kPR);
    e.pe = bit(q, kPE);
    e.rz = bit(q, kRZ);
    e.type = static_cast<uint8_t>(bits(q, 58, 57));
  }
  return e;
}

Event Event::illegal_dte(uint16_t dev, uint64_t addr, bool rz, bool rw, bool tr) {
  Event e;
  e.code = EventCode::IllegalDevTableEntry;
  e.device_id = dev;
  e.addr = addr;
  e.rz = rz;
  e.rw = rw;
  e.tr = tr;
  return e;
}

Event Event::io_page_fault(uint16_t dev, uint64_t addr) {
  Event e;
  e.code = EventCode::IoPageFault;
  e.device_id = dev;
  e.addr = addr;
  return e;
}

Event Event::dev_tab_hw_error(uint16_t dev, uint64_t dte_addr, HwErrorType t, bool rw, bool tr) {
  Event e;
  e.code = EventCode::DevTabHardwareError;
  e.device_id = dev;
  e.addr = dte_addr;
  e.type = static_cast<uint8_t>(t);
  e.rw = rw;
  e.tr = tr;
  return e;
}

Event Event::page_tab_hw_error(uint16_t dev, uint64_t entry_addr, HwErrorType t, bool rw, bool tr) {
  Event e;
  e.code = EventCode::PageTabHardwareError;
  e.device_id = dev;
  e.addr = entry_addr;
  e.type = static_cast<uint8_t>(t);
  e.rw = rw;
  e.tr = tr;
  return e;
}

Event Event::illegal_command(uint64_t cmd_addr) {
  Event e;
  e.code = EventCode::IllegalCommandError;
  e.addr = cmd_addr;
  return e;
}

Event Event::command_hw_error(uint64_t addr, HwErrorType t) {
  Event e;
  e.code = EventCode::CommandHardwareError;
  e.addr = addr;
  e.type = static_cast<uint8_t>(t);
  return e;
}

Event Event::iotlb_inv_timeout(uint16_t dev, uint64_t cmd_addr) {
  Event e;
  e.code = EventCode::IotlbInvTimeout;
  e.device_id = dev;
  e.addr = cmd_addr & mask(63, 4);
  return e;
}

Event Event::invalid_device_request(uint16_t dev, uint64_t addr, InvalidRequestType t, bool tr) {
  Event e;
  e.code = EventCode::InvalidDeviceRequest;
  e.device_id = dev;
  e.addr = addr;
  e.type = static_cast<uint8_t>(t);
  e.tr = tr;
  return e;
}

}  // namespace isim::amdvi
