// VT-d DMA-remapping fault reason codes (the FR field of a fault recording register).
//
// Source: Intel VT-d specification (rev 3.x/4.x) 7.1.3 "Fault Conditions and Remapping
// Hardware Behavior": legacy-mode conditions (Table "Non-recoverable Address Translation
// Faults", codes 0x1..0xE) and scalable-mode conditions (RTA/SRT/SCT/SPD/SPT/SFL/SSL/SGN,
// codes 0x30..0x91). The spec names are kept as enumerator names so a reader can look each one
// up in the table; the one-line meanings come from the same table.
// Interrupt-remapping reasons (0x20..0x29) are listed for completeness; the model does not
// implement interrupt remapping.
#pragma once

#include <cstdint>

namespace isim::vtd {

enum class FaultReason : uint8_t {
  None = 0x00,

  // --- Legacy mode (RTADDR.TTM = 00b), VT-d 7.1.3 ---
  LRT_2 = 0x01,  ///< root entry present bit clear
  LCT_2 = 0x02,  ///< context entry present bit clear
  LCT_4 = 0x03,  ///< invalid context entry programming (AW not in SAGAW, TT reserved/unsupported)
  LGN_1 = 0x04,  ///< input address above 2^min(MGAW, AGAW) (or HAW for pass-through)
  LGN_2 = 0x05,  ///< write (or AtomicOp) without write permission
  LGN_3 = 0x06,  ///< read (or AtomicOp) without read permission
  LSL_1 = 0x07,  ///< error accessing a second-stage paging entry
  LRT_1 = 0x08,  ///< error accessing the root entry (root table address invalid)
  LCT_1 = 0x09,  ///< error accessing the context entry (context table pointer invalid)
  LRT_3 = 0x0A,  ///< non-zero reserved field in a present root entry
  LCT_3 = 0x0B,  ///< non-zero reserved field in a present context entry
  LSL_2 = 0x0C,  ///< non-zero reserved field in a second-stage paging entry with R or W set
  LCT_5 = 0x0D,  ///< translation request or translated request blocked by context TT
  LGN_4 = 0x0E,  ///< output address in the interrupt address range 0xFEEx_xxxx

  // --- Interrupt remapping (not modelled) ---
  IR_RSVD_REQ = 0x20,
  IR_INDEX = 0x21,
  IR_NOT_PRESENT = 0x22,
  IR_READ_ERROR = 0x23,
  IR_RSVD_IRTE = 0x24,
  IR_COMPAT_BLOCKED = 0x25,
  IR_SID = 0x26,
  IR_PID_READ = 0x27,
  IR_PID_RSVD = 0x28,
  IR_NO_PASID = 0x29,

  // --- Scalable mode (RTADDR.TTM = 01b) and mode-independent RTA checks ---
  RTA_1 = 0x30,   ///< invalid root-table address / TTM programming
  RTA_2 = 0x31,   ///< legacy mode (TTM=00b) and a request-with-PASID
  RTA_3 = 0x32,   ///< legacy mode and a page request
  RTA_4 = 0x33,   ///< (RTA.4) listed for completeness; not produced by this translator
  SRT_1 = 0x38,   ///< error accessing a scalable-mode root entry
  SRT_2 = 0x39,   ///< root entry LP/UP clear
  SRT_3 = 0x3A,   ///< non-zero reserved field in a scalable-mode root entry
  SCT_1 = 0x40,   ///< error accessing a scalable-mode context entry
  SCT_2 = 0x41,   ///< context entry P clear
  SCT_3 = 0x42,   ///< non-zero reserved field in a context entry
  SCT_4 = 0x43,   ///< invalid context entry programming
  SCT_5 = 0x44,   ///< translation (or translated) request with DTE clear
  SCT_6 = 0x45,   ///< request-with-PASID with PASIDE clear
  SCT_7 = 0x46,   ///< PASID beyond the directory size PDTS allows
  SCT_8 = 0x47,   ///< page request with PRE clear
  SCT_9 = 0x48,   ///< RID_PASID field error
  SPD_1 = 0x50,   ///< error accessing a PASID directory entry
  SPD_2 = 0x51,   ///< PASID directory entry P clear
  SPD_3 = 0x52,   ///< non-zero reserved field in a PASID directory entry
  SPT_1 = 0x58,   ///< error accessing a PASID table entry
  SPT_2 = 0x59,   ///< PASID table entry P clear
  SPT_3 = 0x5A,   ///< non-zero reserved field in a PASID table entry
  SPT_4 = 0x5B,   ///< invalid PASID table entry programming (PGTT, AW, FSPM unsupported)
  SPT_5 = 0x5C,   ///< execute request with ERE clear
  SPT_6 = 0x5D,   ///< supervisor request with SRE clear
  SFL_1 = 0x70,   ///< error accessing a first-stage paging entry
  SFL_2 = 0x71,   ///< first-stage entry P clear
  SFL_3 = 0x72,   ///< non-zero reserved field in a first-stage entry
  SFL_4 = 0x73,   ///< error accessing the FS-PML5E/FS-PML4E (first-stage pointer invalid)
  SFL_5 = 0x74,   ///< nested: first-stage table address beyond MGAW/AW of stage 2
  SFL_6 = 0x75,   ///< nested: no stage-2 read permission on the FS-PML5E/FS-PML4E table
  SFL_7 = 0x76,   ///< nested: no stage-2 read permission on a first-stage table
  SFL_8 = 0x77,   ///< nested: no stage-2 write permission for a first-stage A/D update
  SSL_1 = 0x78,   ///< error accessing a second-stage paging entry
  SSL_2 = 0x79,   ///< second-stage entry with R=W=0 met during the walk
  SSL_3 = 0x7A,   ///< non-zero reserved field in a second-stage entry
  SSL_4 = 0x7B,   ///< invalid second-stage page-table pointer (root table not accessible)
  SSL_5 = 0x7C,   ///< second-stage A/D update needed with a non-snooped walk
  SGN_1 = 0x80,   ///< input address not canonical (first stage)
  SGN_2 = 0x81,   ///< user request to a first-stage supervisor page (U/S=0)
  SGN_3 = 0x82,   ///< execute request without execute permission
  SGN_4 = 0x83,   ///< input address beyond the hardware / AW limit
  SGN_5 = 0x84,   ///< second-stage output address beyond HAW
  SGN_6 = 0x85,   ///< write (or AtomicOp) without write permission
  SGN_7 = 0x86,   ///< read (or AtomicOp) without read permission
  SGN_8 = 0x87,   ///< output address in the interrupt address range
  SFL_9 = 0x90,   ///< first-stage A/D update needed with a non-snooped walk
  SFL_10 = 0x91,  ///< first-stage A/D update failed
};

/// The spec condition name ("LCT.2", "SPT.4", ...), or "?" for an unknown value.
const char* spec_name(FaultReason r);
/// A one-line description of the condition.
const char* describe(FaultReason r);
/// True for the scalable-mode codes (0x30 and above, excluding interrupt remapping).
constexpr bool is_scalable_reason(FaultReason r) {
  return static_cast<uint8_t>(r) >= 0x30;
}

}  // namespace isim::vtd
