#include "models/amdvi/commands.h"

#include <bit>

#include "base/bits.h"

namespace isim::amdvi {

namespace {

constexpr unsigned kOpLo = 60, kOpHi = 63;
constexpr unsigned kS = 0, kPDE = 1, kGN = 2, kInval = 4;  // bits of the second quadword
constexpr unsigned kTagLo = 32, kTagHi = 47;  // COMPLETE_PPR_REQUEST 111:96, second quadword

}  // namespace

const char* to_string(Opcode op) {
  switch (op) {
    case Opcode::CompletionWait:
      return "COMPLETION_WAIT";
    case Opcode::InvalidateDevtabEntry:
      return "INVALIDATE_DEVTAB_ENTRY";
    case Opcode::InvalidateIommuPages:
      return "INVALIDATE_IOMMU_PAGES";
    case Opcode::InvalidateIotlbPages:
      return "INVALIDATE_IOTLB_PAGES";
    case Opcode::InvalidateInterruptTable:
      return "INVALIDATE_INTERRUPT_TABLE";
    case Opcode::PrefetchIommuPages:
      return "PREFETCH_IOMMU_PAGES";
    case Opcode::CompletePprRequest:
      return "COMPLETE_PPR_REQUEST";
    case Opcode::InvalidateIommuAll:
      return "INVALIDATE_IOMMU_ALL";
  }
  return "?";
}

const char* to_string(CommandError e) {
  switch (e) {
    case CommandError::None:
      return "none";
    case CommandError::BadOpcode:
      return "unknown opcode";
    case CommandError::ReservedBit:
      return "reserved field non-zero";
    case CommandError::Unsupported:
      return "feature not supported";
  }
  return "?";
}

// --- 2.4.3: address/size encoding ------------------------------------------------------------
InvRange decode_inv_range(uint64_t address, bool s) {
  InvRange r;
  if (!s) {
    r.base = address & mask(63, 12);
    r.size_lg2 = 12;
    return r;
  }
  // The first zero at or above bit 12 is bit n; the range is 2^(n+1) bytes.
  const unsigned n = 12 + static_cast<unsigned>(std::countr_one(address >> 12));
  r.size_lg2 = n + 1;
  r.base = r.size_lg2 >= 64 ? 0 : address & ~((uint64_t{1} << r.size_lg2) - 1);
  if (r.size_lg2 > 64) r.size_lg2 = 64;
  return r;
}

InvAddress encode_inv_range(uint64_t start, uint64_t len) {
  const uint64_t last = len == 0 ? start : start + (len - 1);
  if (last < start) return {kInvAllPagesAddress, true};  // wraps: everything
  if ((start >> 12) == (last >> 12)) return {start & mask(63, 12), false};
  // Smallest naturally aligned power of two covering both ends: one above the highest bit in
  // which they differ.
  const unsigned size_lg2 = 64 - static_cast<unsigned>(std::countl_zero(start ^ last));
  if (size_lg2 >= 64) return {kInvAllPagesAddress, true};
  const uint64_t base = start & ~((uint64_t{1} << size_lg2) - 1);
  // Bits 12 .. size_lg2-2 set, bit size_lg2-1 clear.
  const uint64_t ones = size_lg2 >= 14 ? mask(size_lg2 - 2, 12) : 0;
  return {base | ones, true};
}

// --- Encode / builders ----------------------------------------------------------------------
Qw2 Command::encode() const {
  uint64_t q0 = uint64_t{static_cast<uint8_t>(op)} << kOpLo;
  uint64_t q1 = 0;
  switch (op) {
    case Opcode::CompletionWait:
      q0 |= (store_addr & mask(51, 3)) | (store ? 1u : 0u) | (interrupt ? 2u : 0u) |
            (flush ? 4u : 0u);
      q1 = store_data;
      break;
    case Opcode::InvalidateDevtabEntry:
    case Opcode::InvalidateInterruptTable:
      q0 |= device_id;
      break;
    case Opcode::InvalidateIommuPages:
      q0 |= (pasid & mask(19, 0)) | (uint64_t{domain_id} << 32);
      q1 = (address & mask(63, 12)) | (s ? 1u << kS : 0u) | (pde ? 1u << kPDE : 0u) |
           (gn ? 1u << kGN : 0u);
      break;
    case Opcode::InvalidateIotlbPages:
      q0 |= device_id | (bits(pasid, 15, 8) << 16) | (uint64_t{maxpend} << 24) |
            (uint64_t{queue_id} << 32) | (bits(pasid, 7, 0) << 48) | (bits(pasid, 19, 16) << 56);
      q1 = (address & mask(63, 12)) | (s ? 1u << kS : 0u) | (gn ? 1u << kGN : 0u) |
           ((uint64_t{iotlb_type} & 3) << 4);
      break;
    case Opcode::PrefetchIommuPages:
      q0 |= device_id | (uint64_t{pf_count} << 24) | ((pasid & mask(19, 0)) << 32);
      q1 = (address & mask(63, 12)) | (s ? 1u << kS : 0u) | (gn ? 1u << kGN : 0u) |
           (inval ? 1u << kInval : 0u);
      break;
    case Opcode::CompletePprRequest:
      q0 |= device_id | ((pasid & mask(19, 0)) << 32);
      q1 = (gn ? 1u << kGN : 0u) | (uint64_t{completion_tag} << kTagLo);
      break;
    case Opcode::InvalidateIommuAll:
      break;
  }
  return {q0, q1};
}

Command Command::completion_wait(bool store, bool interrupt, bool flush, uint64_t store_addr,
                                 uint64_t store_data) {
  Command c;
  c.op = Opcode::CompletionWait;
  c.store = store;
  c.interrupt = interrupt;
  c.flush = flush;
  c.store_addr = store_addr;
  c.store_data = store_data;
  return c;
}

Command Command::invalidate_devtab_entry(uint16_t device_id) {
  Command c;
  c.op = Opcode::InvalidateDevtabEntry;
  c.device_id = device_id;
  return c;
}

Command Command::invalidate_iommu_pages(uint16_t domain_id, uint64_t start, uint64_t len, bool pde,
                                        bool gn, uint32_t pasid) {
  Command c;
  c.op = Opcode::InvalidateIommuPages;
  c.domain_id = domain_id;
  const InvAddress a = encode_inv_range(start, len);
  c.address = a.address;
  c.s = a.s;
  c.pde = pde;
  c.gn = gn;
  c.pasid = gn ? pasid : 0;
  return c;
}

Command Command::invalidate_iotlb_pages(uint16_t device_id, uint8_t maxpend, uint64_t start,
                                        uint64_t len, bool gn, uint32_t pasid) {
  Command c;
  c.op = Opcode::InvalidateIotlbPages;
  c.device_id = device_id;
  c.queue_id = device_id;  // as Linux writes it
  c.maxpend = maxpend;
  const InvAddress a = encode_inv_range(start, len);
  c.address = a.address;
  c.s = a.s;
  c.gn = gn;
  c.pasid = gn ? pasid : 0;
  return c;
}

Command Command::invalidate_interrupt_table(uint16_t device_id) {
  Command c;
  c.op = Opcode::InvalidateInterruptTable;
  c.device_id = device_id;
  return c;
}

Command Command::prefetch_iommu_pages(uint16_t device_id, uint64_t addr, uint8_t count, bool s,
                                      bool inval, bool gn, uint32_t pasid) {
  Command c;
  c.op = Opcode::PrefetchIommuPages;
  c.device_id = device_id;
  c.address = addr & mask(63, 12);
  c.pf_count = count;
  c.s = s;
  c.inval = inval;
  c.gn = gn;
  c.pasid = gn ? pasid : 0;
  return c;
}

Command Command::complete_ppr_request(uint16_t device_id, uint16_t group, uint8_t status, bool gn,
                                      uint32_t pasid) {
  Command c;
  c.op = Opcode::CompletePprRequest;
  c.device_id = device_id;
  c.completion_tag = ppr_completion_tag(group, status);
  c.gn = gn;
  c.pasid = gn ? pasid : 0;
  return c;
}

Command Command::invalidate_iommu_all() {
  Command c;
  c.op = Opcode::InvalidateIommuAll;
  return c;
}

// --- Decode ---------------------------------------------------------------------------------
Qw2 command_reserved(Opcode op) {
  switch (op) {
    case Opcode::CompletionWait:
      return {mask(59, 52), 0};
    case Opcode::InvalidateDevtabEntry:
    case Opcode::InvalidateInterruptTable:
      return {mask(59, 16), ~uint64_t{0}};
    case Opcode::InvalidateIommuPages:
      return {mask(31, 20) | mask(59, 48), mask(11, 3)};
    case Opcode::InvalidateIotlbPages:
      return {0, (1u << 1) | (1u << 3) | mask(11, 6)};
    case Opcode::PrefetchIommuPages:
      return {mask(23, 16) | mask(59, 52), (1u << 1) | (1u << 3) | mask(11, 5)};
    case Opcode::CompletePprRequest:
      return {mask(31, 16) | mask(59, 52), mask(1, 0) | mask(31, 3) | mask(63, kTagHi + 1)};
    case Opcode::InvalidateIommuAll:
      return {mask(59, 0), ~uint64_t{0}};
  }
  return {~uint64_t{0}, ~uint64_t{0}};
}

DecodedCommand decode_command(const Qw2& raw, const Features& f) {
  DecodedCommand d;
  const unsigned opv = static_cast<unsigned>(bits(raw[0], kOpHi, kOpLo));
  if (opv < static_cast<unsigned>(Opcode::CompletionWait) ||
      opv > static_cast<unsigned>(Opcode::InvalidateIommuAll)) {
    d.error = CommandError::BadOpcode;
    return d;
  }
  Command& c = d.cmd;
  c.op = static_cast<Opcode>(opv);
  const uint64_t q0 = raw[0], q1 = raw[1];
  switch (c.op) {
    case Opcode::CompletionWait:
      c.store = bit(q0, 0);
      c.interrupt = bit(q0, 1);
      c.flush = bit(q0, 2);
      c.store_addr = q0 & mask(51, 3);
      c.store_data = q1;
      break;
    case Opcode::InvalidateDevtabEntry:
    case Opcode::InvalidateInterruptTable:
      c.device_id = static_cast<uint16_t>(bits(q0, 15, 0));
      break;
    case Opcode::InvalidateIommuPages:
      c.pasid = static_cast<uint32_t>(bits(q0, 19, 0));
      c.domain_id = static_cast<uint16_t>(bits(q0, 47, 32));
      c.s = bit(q1, kS);
      c.pde = bit(q1, kPDE);
      c.gn = bit(q1, kGN);
      c.address = q1 & mask(63, 12);
      break;
    case Opcode::InvalidateIotlbPages:
      c.device_id = static_cast<uint16_t>(bits(q0, 15, 0));
      c.pasid = static_cast<uint32_t>((bits(q0, 59, 56) << 16) | (bits(q0, 23, 16) << 8) |
                                      bits(q0, 55, 48));
      c.maxpend = static_cast<uint8_t>(bits(q0, 31, 24));
      c.queue_id = static_cast<uint16_t>(bits(q0, 47, 32));
      c.s = bit(q1, kS);
      c.gn = bit(q1, kGN);
      c.iotlb_type = static_cast<uint8_t>(bits(q1, 5, 4));
      c.address = q1 & mask(63, 12);
      break;
    case Opcode::PrefetchIommuPages:
      c.device_id = static_cast<uint16_t>(bits(q0, 15, 0));
      c.pf_count = static_cast<uint8_t>(bits(q0, 31, 24));
      c.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      c.s = bit(q1, kS);
      c.gn = bit(q1, kGN);
      c.inval = bit(q1, kInval);
      c.address = q1 & mask(63, 12);
      break;
    case Opcode::CompletePprRequest:
      c.device_id = static_cast<uint16_t>(bits(q0, 15, 0));
      c.pasid = static_cast<uint32_t>(bits(q0, 51, 32));
      c.gn = bit(q1, kGN);
      c.completion_tag = static_cast<uint16_t>(bits(q1, kTagHi, kTagLo));
      break;
    case Opcode::InvalidateIommuAll:
      break;
  }
  const Qw2 r = command_reserved(c.op);
  if ((q0 & r[0]) || (q1 & r[1])) {
    d.error = CommandError::ReservedBit;
    return d;
  }
  const bool unsupported = (c.op == Opcode::PrefetchIommuPages && !f.pref_sup) ||
                           (c.op == Opcode::InvalidateIommuAll && !f.ia_sup) ||
                           (c.op == Opcode::CompletePprRequest && !f.ppr_sup) ||
                           (c.gn && !f.gt_sup);
  if (unsupported) d.error = CommandError::Unsupported;
  return d;
}

}  // namespace isim::amdvi
