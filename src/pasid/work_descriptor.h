// 64-byte work descriptors and 32-byte completion records of an Intel DSA-style shared work
// queue device, and the descriptor formation ENQCMD performs.
//
// Layout (Intel DSA Architecture Specification 8.3.1 "Descriptor", 8.4 "Completion Record";
// cross-checked against Linux include/uapi/linux/idxd.h struct dsa_hw_desc /
// dsa_completion_record):
//   bytes 0-3   PASID 19:0, reserved 30:20, Priv (U/S) 31
//   bytes 4-7   Flags 23:0, Opcode 31:24
//   bytes 8-15  Completion Record Address
//   bytes 16-23 Source Address
//   bytes 24-31 Destination Address
//   bytes 32-35 Transfer Size
//   bytes 36-37 Completion Interrupt Handle; 38-63 operation specific (not interpreted here)
// Completion record: byte 0 Status, byte 1 Result, bytes 4-7 Bytes Completed, bytes 8-15
// Fault Address.
//
// ENQCMD (Intel SDM Vol. 2A "ENQCMD"): bits 31:0 of the source must be zero (#GP otherwise;
// earlier ISE revisions said they were ignored: the current SDM wins); the command's bits 19:0
// get IA32_PASID[19:0], bits 30:20 and bit 31 (user) are zero. IA32_PASID bit 31 (valid) clear
// is a #GP. ENQCMDS (supervisor) takes PASID and Priv from the source operand instead.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace isim::pasid {

inline constexpr unsigned kDescriptorBytes = 64;
inline constexpr unsigned kCompletionBytes = 32;
using DescriptorBytes = std::array<uint8_t, kDescriptorBytes>;
using CompletionBytes = std::array<uint8_t, kCompletionBytes>;

/// DSA 8.3.1 Opcode (the ones this device performs; others complete with BadOpcode).
enum class Opcode : uint8_t { noop = 0x00, memmove = 0x03 };

/// DSA 8.3.1 descriptor flags (bit positions in the Flags field).
namespace desc_flag {
inline constexpr uint32_t kFence = 1u << 0;
inline constexpr uint32_t kBlockOnFault = 1u << 1;
inline constexpr uint32_t kCompletionAddrValid = 1u << 2;  ///< CRAV
inline constexpr uint32_t kRequestCompletion = 1u << 3;    ///< RCR
inline constexpr uint32_t kRequestInterrupt = 1u << 4;     ///< RCI
}  // namespace desc_flag

/// DSA 8.4.1 completion status codes (the ones this device produces).
enum class CompletionStatus : uint8_t {
  none = 0x00,  ///< not yet written
  success = 0x01,
  page_fault_nobof = 0x03,  ///< page fault with Block On Fault = 0: partial completion
  bad_opcode = 0x10,
  invalid_flags = 0x11,
  xfer_erange = 0x13,  ///< transfer size zero or above the WQ's maximum
};

struct WorkDescriptor {
  uint32_t pasid = 0;  ///< 20 bits
  bool priv = false;
  uint32_t flags = 0;  ///< 24 bits
  uint8_t opcode = 0;
  uint64_t completion_addr = 0;
  uint64_t src = 0;
  uint64_t dst = 0;
  uint32_t xfer_size = 0;
  uint16_t int_handle = 0;

  static WorkDescriptor decode(const DescriptorBytes& b);
  DescriptorBytes encode() const;
};

struct CompletionRecord {
  CompletionStatus status = CompletionStatus::none;
  uint8_t result = 0;
  uint32_t bytes_completed = 0;
  uint64_t fault_addr = 0;

  static CompletionRecord decode(const CompletionBytes& b);
  CompletionBytes encode() const;
};

/// IA32_PASID MSR (SDM Vol. 4): bits 19:0 PASID, bit 31 valid.
struct Ia32Pasid {
  uint32_t pasid = 0;
  bool valid = false;
  uint64_t encode() const { return (pasid & 0xfffffu) | (valid ? uint64_t{1} << 31 : 0); }
};

/// What the CPU writes to the portal for ENQCMD: `src` with its first dword set to the MSR's
/// PASID (bits 31:20 zero); nullopt (a #GP) when the MSR is invalid or src bits 31:0 are not 0.
std::optional<DescriptorBytes> enqcmd_form(const DescriptorBytes& src, const Ia32Pasid& msr);

/// What an Arm CPU stores for ST64BV0 (FEAT_LS64_ACCDATA, Arm ARM ACCDATA_EL1): `src` with bits
/// 31:0 replaced by ACCDATA_EL1[31:0]. A kernel that keeps the process's PASID there (bits
/// 19:0, privileged bit 31 clear) gives the device the first dword ENQCMD would; the store is a
/// deferrable write whose status the target returns in Xs, as ENQCMD's sets ZF. No fault: EL0
/// may issue it whenever SCTLR_EL1.EnAS0 allows.
DescriptorBytes st64bv0_form(const DescriptorBytes& src, uint64_t accdata_el1);

}  // namespace isim::pasid
